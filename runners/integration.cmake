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

# hcabi_conform_expect_fail(NAME FAULT F OUT DIR LABEL L [RUN_ARGS ...]
#                           FAIL TEST=REQ... [MESSAGE TEST=TEXT...] FILTERS --filter ...)
# The one expected-failure run (here and in decisions.cmake): refvmm with the
# test-only --inject-fault=F boots the FILTERS' image once, nested; the run must end
# NON-CONFORMANT with exactly the FAIL tests failing on exactly their requirements,
# the MESSAGE texts in their checks, and the fault recorded in the report
# (integration_check.py fault). Logs in DIR, the JSON report DIR.json.
function(hcabi_conform_expect_fail name)
  cmake_parse_arguments(PARSE_ARGV 1 E "" "FAULT;OUT;LABEL" "RUN_ARGS;FAIL;MESSAGE;FILTERS")
  set(checks "")
  foreach(f IN LISTS E_FAIL)
    list(APPEND checks --fail "${f}")
  endforeach()
  foreach(m IN LISTS E_MESSAGE)
    list(APPEND checks --message "${m}")
  endforeach()
  add_test(NAME ${name}
    COMMAND "${HCABI_PYTHON}" "${integ_check}" fault --report "${E_OUT}.json"
            ${checks} "--vmm-arg=--inject-fault=${E_FAULT}"
            -- ${integ_run} ${E_RUN_ARGS} --out "${E_OUT}" --json "${E_OUT}.json"
               "--refvmm-arg=--inject-fault=${E_FAULT}" ${E_FILTERS})
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
