# The core library's sources, one list for every build of it: the host
# build (CMakeLists.txt here) and the cross build of hcabi-refvmm for arm64
# (reference-impl/refvmm/cross/CMakeLists.txt). Sets HCABI_REF_SOURCES
# (absolute paths) and HCABI_REF_DIR.
set(HCABI_REF_SOURCES
  core.c
  binding.c
  registry.c
  dispatch.c
  gpa.c
  cpuid.c
  fault.c
  extset.c
  ext_base.c
  ext_console.c
  ext_time.c
  ext_vcpu.c
  ext_ipi.c
  ext_tlb.c
  ext_mem.c
  ext_steal.c
  ext_batch.c
  ext_system.c
)
set(HCABI_REF_DIR "${CMAKE_CURRENT_LIST_DIR}")
list(TRANSFORM HCABI_REF_SOURCES PREPEND "${HCABI_REF_DIR}/")
