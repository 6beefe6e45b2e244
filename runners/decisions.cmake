# runners/decisions.cmake: the HCABI 1.2 decisions (docs/spec-1.2-decisions.md) tell
# two readings apart at 1.2 and not before (label "nested"). Included from
# runners/CMakeLists.txt after integration.cmake, whose helpers it reuses:
#
#   include("${CMAKE_CURRENT_SOURCE_DIR}/decisions.cmake")
#
# For each decision below, refvmm takes the reading 1.1 also allowed and 1.2 rejects
# (the test-only --inject-fault FUNC:other, or a status fault), and boots only the
# image of the tests concerned, twice:
#
#   conform.decision.KIND.v1.1   pinned to 1.1: CONFORMANT (exit 0): the suite accepts
#                                every reading the 1.1 text allows (the 1.2 tests skip)
#   conform.decision.KIND.v1.2   pinned to 1.2: NON-CONFORMANT (exit 3), exactly the
#                                decision's test failing, on exactly its requirement
#
#   precedence  0x7FFF0000:status:NOT_SUPPORTED: an unknown function with RAX[63:32]
#               set is NOT_SUPPORTED: X86.rax_upper_before_unknown_function (X86-010)
#   ipi         IPI.SEND:other: mask 0 succeeds before the vector is checked:
#               IPI.send_mask_zero_bad_vector (IPI-005)
#   tlb         TLB.FLUSH:other: mask 0 before the range, a range ending at 2^64
#               overflows, and a range canonical in 57 bits is valid:
#               TLB.flush_mask_zero_bad_range (TLB-004),
#               TLB.flush_top_page_accepted (TLB-005), TLB.flush_canonical_48_bits
#               (TLB-006) and, with the width decided, TLB.flush_range_canonical_57_only
#               (TLB-001.3)
#   console     CONSOLE.READ:other: len 0 checks gpa, and a READ of an odd length
#               returns 0 with input pending:
#               CONSOLE.read_len_zero_any_address (CONSOLE-023),
#               CONSOLE.read_pending_input (CONSOLE-025)
#   vcpu        VCPU.START:other: ALREADY_STARTED before the arguments:
#               VCPU.start_arguments_before_state (VCPU-026)
#   mem         MEM.GET_LAYOUT:other: the max_entries capacity is checked, up to 1024
#               entries (a capacity that overflows 64 bits MEM-010's test already
#               required to be valid in 1.0):
#               MEM.get_layout_checks_written_entries (MEM-013)
#   batch       BATCH.EXECUTE:other: a denied entry's reserved bits first, and
#               every result written after the last entry ran:
#               BATCH.denied_before_reserved_bits (BATCH-006),
#               BATCH.results_before_next_entry (BATCH-007)
#
# Each is one nested boot per version; they take the nested lock like every
# nested test.

if(NOT DEFINED integ_check OR NOT COMMAND hcabi_conform_expect_fail)
  message(FATAL_ERROR "runners/decisions.cmake: include integration.cmake first")
endif()
if(NOT "1.2" IN_LIST conform_versions)
  return()
endif()

# hcabi_conform_decision_test(KIND FAULT FAIL TEST=REQ... FILTERS --filter ...)
function(hcabi_conform_decision_test kind fault)
  cmake_parse_arguments(PARSE_ARGV 2 D "" "" "FAIL;FILTERS")
  set(dir "${integ_dir}/decision-${kind}")
  add_test(NAME conform.decision.${kind}.v1.1
    COMMAND "${HCABI_PYTHON}" "${integ_check}" conformant
            -- ${integ_run} --spec-version 1.1 --out "${dir}/v1.1"
               "--refvmm-arg=--inject-fault=${fault}" ${D_FILTERS})
  set_tests_properties(conform.decision.${kind}.v1.1 PROPERTIES
    RESOURCE_LOCK hcabi_nested
    ENVIRONMENT "${integ_nested_env}"
    TIMEOUT 1800
    LABELS "nested;conformance;decisions")
  hcabi_conform_expect_fail(conform.decision.${kind}.v1.2 FAULT "${fault}" OUT "${dir}/v1.2"
    LABEL decisions RUN_ARGS --spec-version 1.2 FAIL ${D_FAIL} FILTERS ${D_FILTERS})
endfunction()

hcabi_conform_decision_test(precedence "0x7FFF0000:status:NOT_SUPPORTED"
  FAIL "X86.rax_upper_before_unknown_function=X86-010"
  FILTERS ${integ_x86_filters})
hcabi_conform_decision_test(ipi "IPI.SEND:other"
  FAIL "IPI.send_mask_zero_bad_vector=IPI-005"
  FILTERS --filter "IPI.*")
hcabi_conform_decision_test(tlb "TLB.FLUSH:other"
  FAIL "TLB.flush_mask_zero_bad_range=TLB-004" "TLB.flush_top_page_accepted=TLB-005"
       "TLB.flush_canonical_48_bits=TLB-006" "TLB.flush_range_canonical_57_only=TLB-001.3"
  FILTERS --filter "TLB.*")
hcabi_conform_decision_test(console "CONSOLE.READ:other"
  FAIL "CONSOLE.read_len_zero_any_address=CONSOLE-023" "CONSOLE.read_pending_input=CONSOLE-025"
  FILTERS --filter "CONSOLE.*")
hcabi_conform_decision_test(vcpu "VCPU.START:other"
  FAIL "VCPU.start_arguments_before_state=VCPU-026"
  FILTERS --filter "VCPU.*")
hcabi_conform_decision_test(mem "MEM.GET_LAYOUT:other"
  FAIL "MEM.get_layout_checks_written_entries=MEM-013"
  FILTERS --filter "MEM.*")
hcabi_conform_decision_test(batch "BATCH.EXECUTE:other"
  FAIL "BATCH.denied_before_reserved_bits=BATCH-006" "BATCH.results_before_next_entry=BATCH-007"
  FILTERS --filter "BATCH.*")
