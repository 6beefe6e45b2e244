# The arm64 conformance images' cross compiler (Debian: gcc-aarch64-linux-gnu):
# a toolchain file for the separate configure of conformance/ that the main
# build runs (conformance/CMakeLists.txt, "the arm64 images"). Freestanding
# images: no system, and compiler checks build a library, not a program.
# With -DHCABI_ARM64_LINUX=ON it serves hcabi-refvmm's arm64 build instead
# (reference-impl/refvmm/cross/): a static Linux program against the cross libc.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES HCABI_ARM64_LINUX)
if(HCABI_ARM64_LINUX)
  set(CMAKE_SYSTEM_NAME Linux)
else()
  set(CMAKE_SYSTEM_NAME Generic)
endif()
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_ASM_COMPILER aarch64-linux-gnu-gcc)
find_program(CMAKE_OBJCOPY aarch64-linux-gnu-objcopy REQUIRED)
if(NOT HCABI_ARM64_LINUX)
  set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
endif()
