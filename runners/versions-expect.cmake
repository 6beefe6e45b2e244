# runners/versions-expect.cmake: run `hcabi-conform gate` on a report and check its exit
# status and that its output holds every expected line (runners/versions.cmake).
#
#   cmake -DPYTHON=... -DCONFORM=runners/hcabi-conform -DREPORT=report.json -DREQUIRE=X.Y
#         -DTESTS=BUILD/conformance/tests.json -DEXPECT_STATUS=N -DEXPECT_FILE=F
#         -P runners/versions-expect.cmake
#
# EXPECT_FILE has one expected text per line; each must occur, as written, in the gate's
# standard output or error. The gate runs with -v, which lists every reason on its own
# line (without it, reasons that share a cause are one line naming the first few).
foreach(var PYTHON CONFORM REPORT REQUIRE TESTS EXPECT_STATUS EXPECT_FILE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "versions-expect.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT EXISTS "${REPORT}")
  message(FATAL_ERROR "no report ${REPORT}: its conform.v*.run test did not write one")
endif()
execute_process(
  COMMAND "${PYTHON}" "${CONFORM}" gate -v --report "${REPORT}" --require "${REQUIRE}" --tests "${TESTS}"
  RESULT_VARIABLE status
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err)
set(all "${out}${err}")
message("${all}")
set(problems "")
if(NOT status STREQUAL "${EXPECT_STATUS}")
  string(APPEND problems "  exit status ${status}, expected ${EXPECT_STATUS}\n")
endif()
file(STRINGS "${EXPECT_FILE}" expected)
foreach(line IN LISTS expected)
  string(FIND "${all}" "${line}" at)
  if(at EQUAL -1)
    string(APPEND problems "  missing from the output: ${line}\n")
  endif()
endforeach()
if(problems)
  message(FATAL_ERROR "gate --report ${REPORT} --require ${REQUIRE}: not as expected:\n${problems}")
endif()
list(LENGTH expected n)
message("gate --require ${REQUIRE}: exit status ${status} and all ${n} expected line(s), as expected")
