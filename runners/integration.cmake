# runners/integration.cmake: end-to-end tests of the conformance suite and of
# hcabi-conform, one per "done when" of the issues they close. Included from
# runners/CMakeLists.txt after versions.cmake, whose fixtures and reports it reuses:
#
#   include("${CMAKE_CURRENT_SOURCE_DIR}/integration.cmake")
#
# Every check is runners/integration_check.py (standard library only), which runs
# hcabi-conform and reads its reports; a failure lists what differed.
#
# A deliberately wrong implementation fails (refvmm's test-only --inject-fault,
# passed through hcabi-conform's --refvmm-arg). Each run boots only the image of the
# function it breaks (one nested boot, --filter on every test of that image), must end
# NON-CONFORMANT (exit 3) with exactly the expected test failing (status `fail`, not
# crash or timeout: the fault is caught by the test that checks it, not by the image
# falling over), on exactly the expected requirement, every other test of the image
# passing, and the report recording the injected arguments (target_info.vmm_args):
#
#   conform.fault.status    CONSOLE.WRITE_BYTE returns NOT_SUPPORTED (-2): CONSOLE.write_byte
#                           and CONSOLE.write_byte_output fail CONSOLE-010.2 (SUCCESS) and .3
#                           (INVALID_PARAM); only the status is wrong, so the bytes still
#                           arrive (.1 and .4 pass). The guest runtime writes to COM1, never
#                           through WRITE_BYTE, so nothing else is affected
#   conform.fault.value     TIME.GET_WALLCLOCK's value XOR bit 63 (a date after 2200):
#                           TIME.wallclock fails TIME-010 (TIME.monotonic also reads the wall
#                           clock, but only differences of it, which bit 63 leaves alone)
#   conform.fault.clobber   TIME.GET_WALLCLOCK clobbers R11 (the classic SYSCALL-path victim):
#                           X86.preserve_gprs fails X86-006.1 for both VMCALL and VMMCALL. The
#                           x86 image calls GET_WALLCLOCK only through hcabi_raw_call (which
#                           declares RCX, R11 and the argument registers changed) and the
#                           preserve tests' own assembly, so compiled guest code is not wrecked
#                           (a callee-saved register such as RBX would be, on the calls the
#                           guest runtime makes through abi.h's wrappers)
#   conform.fault.arm64     the three kinds at once on refvmm arm64 (the arm64 image, one
#                           boot), each caught by an ARM64 binding test (below)
#
# Plain QEMU, which has no HCABI:
#
#   conform.qemu.absent     `run --target qemu` (accelerator auto: TCG where QEMU cannot use
#                           /dev/kvm) exits 3, says "HCABI not present", and every image ends
#                           by itself (isa-debug-exit) within seconds
#
# Reports and the gate, on the newest version's full run (conform.vX.Y.run, fixture
# conform_vX.Y, with --junit) and the failing report of conform.fault.value:
#
#   conform.vX.Y.junit          the JUnit XML is valid (integration_junit.validate_junit: the
#                               structure Jenkins and GitLab read; no Debian package ships a
#                               JUnit XSD) and says what the JSON report says
#   conform.vX.Y.gate.doctored  `gate --require X.Y` accepts the real report and rejects (exit
#                               3, with the precise reason) a failed test turned into a skip,
#                               a wrong claimed version (older; newer), a removed test result,
#                               and a failing report whose verdict was edited to conformant
#   conform.vX.Y.bundle         `bundle` + `gate --bundle` accept the real run; a log's line,
#                               a result, a replayed log, a member behind MANIFEST.json's
#                               back each rejected, exit 3 (runners/bundle_check.py)
#
# A partial implementation: refvmm providing only the core profile's extensions
# (--refvmm-arg=--extensions=...), one nested run of the whole suite, judged twice:
#
#   conform.profile.core.run    `run --profile core` exits 0, CONFORMANT; discovery
#                               advertises exactly BASE, CONSOLE, TIME, SYSTEM; every test
#                               of the binding areas passes (a binding requirement never
#                               ends as skip); every test of those four passes, or skips
#                               saying it needs a withheld extension (test-end needs=, e.g.
#                               TIME.monotonic_across_vcpus needs VCPU); every test of a
#                               withheld extension skips; every required requirement passes
#   conform.profile.core.gate   `gate --require NEWEST --profile core` ACCEPTS that report
#   conform.profile.full.gate   `gate --require NEWEST --profile full` REJECTS it (exit 3),
#                               naming each missing extension (VCPU, IPI, TLB, MEM, STEAL,
#                               BATCH) in its reasons: the same report re-judged, no boot
#
# and, booting nothing:
#
#   conform.coverage        `hcabi-conform coverage` exits 0 on the build's manifests and
#                           lists nothing uncovered, at every version of the registry
#
# The README's main job, exactly as the README runs it from the repository root:
#
#   conform.readme          `runners/hcabi-conform run` (plus --build-dir when this build is
#                           not build/) exits 0 and prints a CONFORMANT verdict
#
# Nested runs take the nested lock, like versions.cmake's, and use the build's launcher
# cache (HCABI_NESTED_CACHE) through the runner's $HCABI_NESTED_CACHE.

include("${PROJECT_SOURCE_DIR}/scripts/HcabiNested.cmake")

if(NOT DEFINED conform_versions OR NOT DEFINED HCABI_CONFORM)
  message(FATAL_ERROR "runners/integration.cmake: include versions.cmake first")
endif()

set(integ_check "${CMAKE_CURRENT_LIST_DIR}/integration_check.py")
set(integ_dir "${CMAKE_BINARY_DIR}/conform-integration")
set(integ_run "${HCABI_PYTHON}" "${HCABI_CONFORM}" run --build-dir "${CMAKE_BINARY_DIR}")
set(integ_nested_env "HCABI_NESTED_CACHE=${HCABI_NESTED_CACHE}")
list(GET conform_versions -1 integ_newest)
# every test of the binding areas (the images x86 and general)
set(integ_x86_filters --filter "X86.*" --filter "DISC.*" --filter "GEN.*" --filter "STATUS.*" --filter "VER.*")

# hcabi_conform_expect_fail(NAME FAULT F... OUT DIR LABEL L [RUN_ARGS ...]
#                           FAIL TEST=REQ... [MESSAGE TEST=TEXT...] FILTERS --filter ...)
# The one expected-failure run (here and in decisions.cmake): refvmm with the
# test-only --inject-fault=F (each F, in one boot) boots the FILTERS' image once,
# nested; the run must end NON-CONFORMANT with exactly the FAIL tests failing on
# exactly their requirements, the MESSAGE texts in their checks, and the faults
# recorded in the report (integration_check.py fault). Logs in DIR, the JSON report
# DIR.json.
function(hcabi_conform_expect_fail name)
  cmake_parse_arguments(PARSE_ARGV 1 E "" "OUT;LABEL" "FAULT;RUN_ARGS;FAIL;MESSAGE;FILTERS")
  set(checks "")
  set(faults "")
  foreach(f IN LISTS E_FAIL)
    list(APPEND checks --fail "${f}")
  endforeach()
  foreach(m IN LISTS E_MESSAGE)
    list(APPEND checks --message "${m}")
  endforeach()
  foreach(f IN LISTS E_FAULT)
    list(APPEND checks "--vmm-arg=--inject-fault=${f}")
    list(APPEND faults "--refvmm-arg=--inject-fault=${f}")
  endforeach()
  add_test(NAME ${name}
    COMMAND "${HCABI_PYTHON}" "${integ_check}" fault --report "${E_OUT}.json"
            ${checks}
            -- ${integ_run} ${E_RUN_ARGS} --out "${E_OUT}" --json "${E_OUT}.json"
               ${faults} ${E_FILTERS})
  set_tests_properties(${name} PROPERTIES
    RESOURCE_LOCK hcabi_nested
    ENVIRONMENT "${integ_nested_env}"
    TIMEOUT 1800
    LABELS "nested;conformance;${E_LABEL}")
endfunction()

# hcabi_conform_fault_test(KIND FAULT FAIL TEST=REQ... MESSAGE TEST=TEXT... FILTERS --filter ...)
function(hcabi_conform_fault_test kind fault)
  hcabi_conform_expect_fail(conform.fault.${kind} FAULT "${fault}"
    OUT "${integ_dir}/fault-${kind}" LABEL integration ${ARGN})
  set_tests_properties(conform.fault.${kind} PROPERTIES FIXTURES_SETUP conform_fault_${kind})
endfunction()

hcabi_conform_fault_test(status "CONSOLE.WRITE_BYTE:status:-2"
  FAIL "CONSOLE.write_byte=CONSOLE-010.2,CONSOLE-010.3"
       "CONSOLE.write_byte_output=CONSOLE-010.2,CONSOLE-010.3"
  MESSAGE "CONSOLE.write_byte=got status=-2(NOT_SUPPORTED)"
  FILTERS --filter "CONSOLE.*")
hcabi_conform_fault_test(value "TIME.GET_WALLCLOCK:value:0x8000000000000000"
  FAIL "TIME.wallclock=TIME-010"
  MESSAGE "TIME.wallclock=ns since the epoch is after 2020-01-01 and before 2200-01-01"
  FILTERS --filter "TIME.*")
hcabi_conform_fault_test(clobber "TIME.GET_WALLCLOCK:clobber:r11"
  FAIL "X86.preserve_gprs=X86-006.1"
  MESSAGE "X86.preserve_gprs=TIME.GET_WALLCLOCK via VMCALL: R11 was"
          "X86.preserve_gprs=TIME.GET_WALLCLOCK via VMMCALL: R11 was"
  FILTERS ${integ_x86_filters})

# The same on arm64 (docs/arm64.md, "Binding tests and fault injection"): refvmm
# arm64, nested, boots the arm64 image once with three faults, each caught by the
# arm64 binding test that checks what it breaks:
#   CONSOLE.WRITE returns INVALID_PARAM (-3) for a valid write: ARM64.argument_registers
#     fails ARM64-007 (x0). -3 is what every call with x1[63:32] set must return, so
#     ARM64.function_id_upper_bits is not disturbed
#   BASE.PROBE_FUNCTION's value XOR 0x100: ARM64.result_registers fails ARM64-008 (x1);
#     and since faults apply after every other step, the INVALID_PARAM calls of
#     PROBE_FUNCTION with x1[63:32] set return x1 = 0x100: ARM64.function_id_upper_bits
#     fails ARM64-009 (x1 is 0 with an error status)
#   TIME.GET_WALLCLOCK clobbers x7 (refvmm arm64 takes the clobber's register number
#     0..15 as x0..x15; x7 is a call's last argument register, which GET_WALLCLOCK
#     does not take): ARM64.preserve_gprs fails ARM64-010. The image calls
#     GET_WALLCLOCK only through hcabi_raw_call, which declares x2..x7 changed, and the
#     binding tests' own assembly, so compiled guest code is not wrecked
# Not defined where refvmm arm64 and the arm64 images are not built (no cross
# compiler) or qemu-system-aarch64 is missing.
if(TARGET hcabi-refvmm-arm64 AND TARGET hcabi-conformance-arm64 AND HCABI_QEMU_AARCH64)
  hcabi_conform_expect_fail(conform.fault.arm64
    FAULT "CONSOLE.WRITE:status:-3" "BASE.PROBE_FUNCTION:value:0x100" "TIME.GET_WALLCLOCK:clobber:7"
    OUT "${integ_dir}/fault-arm64" LABEL integration
    RUN_ARGS --arch arm64
    FAIL "ARM64.argument_registers=ARM64-007"
         "ARM64.result_registers=ARM64-008"
         "ARM64.function_id_upper_bits=ARM64-009"
         "ARM64.preserve_gprs=ARM64-010"
    MESSAGE "ARM64.argument_registers=CONSOLE.WRITE(line, length in x3): x0 (status)"
            "ARM64.result_registers=PROBE_FUNCTION(PROBE_FUNCTION): x0 0, x1 1: x1 (value)"
            "ARM64.function_id_upper_bits=(BASE.PROBE_FUNCTION): x1 after the error"
            "ARM64.preserve_gprs=TIME.GET_WALLCLOCK via HVC #0: x7 was"
    FILTERS --filter "ARM64.*")
  set_tests_properties(conform.fault.arm64 PROPERTIES
    LABELS "nested;conformance;integration;arm64")
endif()

# conform.fault.riscv64: the same three kinds of fault on refvmm riscv64 (nested), the
# riscv64 image, one boot:
#   CONSOLE.WRITE returns -3: RV64.argument_registers fails RV64-006 (a0, the status)
#   BASE.PROBE_FUNCTION's value XOR 0x100: RV64.result_registers and RV64.extension_id
#     fail RV64-007 (a1); the INVALID_PARAM calls with a6[63:32] set return a1 = 0x100:
#     RV64.function_id_upper_bits fails RV64-008 (a1 is 0 with an error status)
#   TIME.GET_WALLCLOCK clobbers x12 = a2 (refvmm riscv64 takes the clobber's register
#     number as xN; a2 is an argument register GET_WALLCLOCK does not take):
#     RV64.preserve_gprs fails RV64-009. The image calls GET_WALLCLOCK only through
#     hcabi_raw_call and the binding tests' own assembly, as on arm64
# Not defined where refvmm riscv64 and the riscv64 images are not built.
if(TARGET hcabi-refvmm-riscv64 AND TARGET hcabi-conformance-riscv64)
  hcabi_conform_expect_fail(conform.fault.riscv64
    FAULT "CONSOLE.WRITE:status:-3" "BASE.PROBE_FUNCTION:value:0x100" "TIME.GET_WALLCLOCK:clobber:12"
    OUT "${integ_dir}/fault-riscv64" LABEL integration
    RUN_ARGS --arch riscv64
    FAIL "RV64.argument_registers=RV64-006"
         "RV64.result_registers=RV64-007"
         "RV64.extension_id=RV64-007"
         "RV64.function_id_upper_bits=RV64-008"
         "RV64.preserve_gprs=RV64-009"
    MESSAGE "RV64.argument_registers=CONSOLE.WRITE(line, length in a1): a0 (status)"
            "RV64.result_registers=PROBE_FUNCTION(PROBE_FUNCTION): a0 0, a1 1: a1 (value)"
            "RV64.extension_id=PROBE_FUNCTION(PROBE_FUNCTION): a1 (value)"
            "RV64.function_id_upper_bits=(BASE.PROBE_FUNCTION): a1 after the error"
            "RV64.preserve_gprs=TIME.GET_WALLCLOCK: a2 (x12) was"
    FILTERS --filter "RV64.*")
  set_tests_properties(conform.fault.riscv64 PROPERTIES
    LABELS "nested;conformance;integration;riscv64")
endif()

# Plain QEMU: every image of the suite, each must end by itself within 30 s (about
# 0.5 s under TCG on 2 cores); --timeout bounds a hang.
add_test(NAME conform.qemu.absent
  COMMAND "${HCABI_PYTHON}" "${integ_check}" absent --report "${integ_dir}/qemu.json" --max-seconds 30
          --tests "${conform_tests_manifest}"
          -- ${integ_run} --target qemu --timeout 120 --out "${integ_dir}/qemu" --json "${integ_dir}/qemu.json")
set_tests_properties(conform.qemu.absent PROPERTIES
  TIMEOUT 1800
  LABELS "conformance;qemu;integration")

set(integ_report "${conform_dir}/report-${integ_newest}.json")
add_test(NAME conform.v${integ_newest}.junit
  COMMAND "${HCABI_PYTHON}" "${integ_check}" junit --report "${integ_report}"
          --junit "${conform_dir}/report-${integ_newest}.xml")
set_tests_properties(conform.v${integ_newest}.junit PROPERTIES
  FIXTURES_REQUIRED conform_v${integ_newest}
  TIMEOUT 120
  LABELS "nested;conformance;integration")

add_test(NAME conform.v${integ_newest}.gate.doctored
  COMMAND "${HCABI_PYTHON}" "${integ_check}" gate
          --python "${HCABI_PYTHON}" --conform "${HCABI_CONFORM}" --report "${integ_report}"
          --tests "${conform_tests_manifest}" --require ${integ_newest}
          --workdir "${integ_dir}/doctored" --failing-report "${integ_dir}/fault-value.json")
set_tests_properties(conform.v${integ_newest}.gate.doctored PROPERTIES
  FIXTURES_REQUIRED "conform_v${integ_newest};conform_fault_value"
  TIMEOUT 300
  LABELS "nested;conformance;integration")

# A real bundle: `bundle` of the newest version's report, `gate --bundle` ACCEPTS
# it; doctored copies (a log's check line edited, a result edited in the report,
# a log replayed from the oldest version's run, a member edited behind
# MANIFEST.json's back) are each REJECTED, exit 3 (runners/bundle_check.py).
list(GET conform_versions 0 integ_oldest)
add_test(NAME conform.v${integ_newest}.bundle
  COMMAND "${HCABI_PYTHON}" "${PROJECT_SOURCE_DIR}/runners/bundle_check.py"
          --conform "${HCABI_CONFORM}" --report "${integ_report}"
          --other-report "${conform_dir}/report-${integ_oldest}.json"
          --require ${integ_newest} --build-dir "${PROJECT_BINARY_DIR}" --work "${integ_dir}/bundle")
set_tests_properties(conform.v${integ_newest}.bundle PROPERTIES
  FIXTURES_REQUIRED "conform_v${integ_newest};conform_v${integ_oldest}"
  TIMEOUT 300
  LABELS "nested;conformance;integration")

# The extension lists come from the registry through abi.h's generated
# HCABI_FOREACH_PROFILE_EXTENSION, never typed here.
# (file(READ): its lines end in a backslash, which file(STRINGS) would join)
file(READ "${PROJECT_SOURCE_DIR}/abi.h" integ_abi)
string(REGEX MATCHALL "X\\((core|full), [A-Z0-9_]+, [A-Z0-9_]+\\)" integ_profile_rows "${integ_abi}")
set(integ_core_exts "")
set(integ_full_exts "")
foreach(row IN LISTS integ_profile_rows)
  if(row MATCHES "X\\((core|full), [A-Z0-9_]+, ([A-Z0-9_]+)\\)")
    list(APPEND integ_${CMAKE_MATCH_1}_exts "${CMAKE_MATCH_2}")
  endif()
endforeach()
list(REMOVE_DUPLICATES integ_core_exts)
list(REMOVE_DUPLICATES integ_full_exts)
set(integ_missing "${integ_full_exts}")
list(REMOVE_ITEM integ_missing ${integ_core_exts})
if(NOT integ_core_exts OR NOT integ_missing)
  message(FATAL_ERROR "runners/integration.cmake: no core/full profile lists in abi.h")
endif()
string(REPLACE ";" "," integ_core_list "${integ_core_exts}")
set(integ_core_report "${integ_dir}/profile-core.json")
add_test(NAME conform.profile.core.run
  COMMAND "${HCABI_PYTHON}" "${integ_check}" partial --report "${integ_core_report}"
          --provided "${integ_core_list}" --profile core
          -- ${integ_run} --profile core --out "${integ_dir}/profile-core" --json "${integ_core_report}"
             "--refvmm-arg=--extensions=${integ_core_list}")
set_tests_properties(conform.profile.core.run PROPERTIES
  FIXTURES_SETUP conform_profile_core
  RESOURCE_LOCK hcabi_nested
  ENVIRONMENT "${integ_nested_env}"
  TIMEOUT ${HCABI_CONFORM_TIMEOUT}
  LABELS "nested;conformance;integration")
set(integ_gate "${HCABI_PYTHON}" "${HCABI_CONFORM}" gate --report "${integ_core_report}"
    --require ${integ_newest} --tests "${conform_tests_manifest}")
add_test(NAME conform.profile.core.gate
  COMMAND "${HCABI_PYTHON}" "${integ_check}" expect --status 0
          --line "^hcabi-conform gate: ACCEPTED.*profile core"
          -- ${integ_gate} --profile core)
set(integ_missing_lines "")
foreach(ext IN LISTS integ_missing)
  list(APPEND integ_missing_lines --line "^  - .*extension ${ext}\\b")
endforeach()
add_test(NAME conform.profile.full.gate
  COMMAND "${HCABI_PYTHON}" "${integ_check}" expect --status 3
          --line "^hcabi-conform gate: REJECTED: .*profile full" ${integ_missing_lines}
          -- ${integ_gate} --profile full)
set_tests_properties(conform.profile.core.gate conform.profile.full.gate PROPERTIES
  FIXTURES_REQUIRED conform_profile_core
  TIMEOUT 120
  LABELS "nested;conformance;integration")

add_test(NAME conform.coverage
  COMMAND "${HCABI_PYTHON}" "${integ_check}" coverage
          --python "${HCABI_PYTHON}" --conform "${HCABI_CONFORM}" --build-dir "${CMAKE_BINARY_DIR}"
          --manifest "${conform_requirements}")
set_tests_properties(conform.coverage PROPERTIES
  TIMEOUT 120
  LABELS "conformance;integration")

# The README's command, from the repository root, with the interpreter its #! line
# finds; --build-dir only when this build is not the README's build/.
# Off by default: it boots the same suite at the same (newest) version on the
# same target as conform.v<newest>.run, which CI already runs, and every
# extra nested boot adds CI time and exposure to the rare nested triple fault
# (see docs/refvmm.md). Turn it on to check the README's exact invocation.
option(HCABI_TEST_README_RUN "Also run the README's main job as a CTest test" OFF)
if(HCABI_TEST_README_RUN)
set(readme_cmd runners/hcabi-conform run)
get_filename_component(integ_build_real "${CMAKE_BINARY_DIR}" REALPATH)
get_filename_component(integ_readme_build "${PROJECT_SOURCE_DIR}/build" REALPATH)
if(NOT integ_build_real STREQUAL integ_readme_build)
  list(APPEND readme_cmd --build-dir "${CMAKE_BINARY_DIR}")
endif()
add_test(NAME conform.readme
  COMMAND "${HCABI_PYTHON}" "${integ_check}" conformant --cwd "${PROJECT_SOURCE_DIR}"
          --report "${CMAKE_BINARY_DIR}/conform-out/report.json" --tested ${integ_newest}
          -- ${readme_cmd}
  WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}")
set_tests_properties(conform.readme PROPERTIES
  RESOURCE_LOCK hcabi_nested
  ENVIRONMENT "${integ_nested_env}"
  TIMEOUT ${HCABI_CONFORM_TIMEOUT}
  LABELS "nested;conformance;integration")
endif()
