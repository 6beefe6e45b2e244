# The riscv64 conformance images' cross compiler (Debian: gcc-riscv64-linux-gnu):
# a toolchain file for the separate configure of conformance/ that the main
# build runs (conformance/CMakeLists.txt, "the riscv64 images"). Freestanding
# images: no system, and compiler checks build a library, not a program.
# The images' -march/-mabi/-mcmodel are conformance/CMakeLists.txt's
# (docs/riscv64.md: integer registers only, medany).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR riscv64)
set(CMAKE_C_COMPILER riscv64-linux-gnu-gcc)
set(CMAKE_ASM_COMPILER riscv64-linux-gnu-gcc)
find_program(CMAKE_OBJCOPY riscv64-linux-gnu-objcopy REQUIRED)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
