# runners/versions.cmake: per-version conformance of the reference target, and the
# gate on each version (label "nested"). Included from runners/CMakeLists.txt:
#
#   include("${CMAKE_CURRENT_SOURCE_DIR}/versions.cmake")
#
# For every version V of the registry (abi.h's HCABI_VERSION_X_Y macros, newest
# included), one full run of the suite against hcabi-refvmm pinned to V:
#
#   conform.vX.Y.run   hcabi-conform run --target ref --spec-version X.Y --json ...
#                      must exit 0 (conformant). It is the only boot of the version:
#                      `gate` accepts only a complete report (not --filter'ed, not a
#                      shard), so the gate tests below share its report through the
#                      CTest fixture conform_vX.Y.
#
# and for every pair of versions of the same major, with the build's tests manifest:
#
#   conform.vX.Y.gate.X.Y       the report of X.Y passes `gate --require X.Y`;
#   conform.vNEW.gate.OLD       a newer report passes `gate --require OLD` (a minor
#                               version only adds: OLD's requirements are a subset);
#   conform.vOLD.gate.NEW       an older report is rejected by `gate --require NEW`
#                               (exit 3), and the message names what is missing: that
#                               the implementation claims OLD, older than NEW, and every
#                               requirement added after OLD up to NEW (from
#                               spec/generated/requirements.json), as not covered.
#
# The expectations are checked by runners/versions-expect.cmake (cmake -P). The runs
# boot every image once per version nested (about 2 minutes each on 2 cores) or
# directly when /dev/kvm is usable; they take the nested lock so that they do not
# compete with other nested tests for the 2 cores. Nested, they use the build's
# launcher cache, HCABI_NESTED_CACHE (scripts/HcabiNested.cmake), through the
# runner's $HCABI_NESTED_CACHE.

include("${PROJECT_SOURCE_DIR}/scripts/HcabiNested.cmake")

set(HCABI_CONFORM "${CMAKE_CURRENT_LIST_DIR}/hcabi-conform")
set(HCABI_CONFORM_EXPECT "${CMAKE_CURRENT_LIST_DIR}/versions-expect.cmake")
set(HCABI_CONFORM_TIMEOUT 3600 CACHE STRING "CTest TIMEOUT (seconds) of one full conform.vX.Y.run")
set(conform_dir "${CMAKE_BINARY_DIR}/conform-versions")
set(conform_tests_manifest "${CMAKE_BINARY_DIR}/conformance/tests.json")
set(conform_requirements "${PROJECT_SOURCE_DIR}/spec/generated/requirements.json")

# The versions the registry defines (and the core implements), oldest first.
file(STRINGS "${PROJECT_SOURCE_DIR}/abi.h" version_lines
     REGEX "^#define HCABI_VERSION_[0-9]+_[0-9]+ ")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             "${PROJECT_SOURCE_DIR}/abi.h" "${conform_requirements}")
set(conform_versions "")
foreach(line IN LISTS version_lines)
  if(line MATCHES "^#define HCABI_VERSION_([0-9]+)_([0-9]+) ")
    list(APPEND conform_versions "${CMAKE_MATCH_1}.${CMAKE_MATCH_2}")
  endif()
endforeach()
if(NOT conform_versions)
  message(FATAL_ERROR "runners/versions.cmake: no HCABI_VERSION_X_Y in abi.h")
endif()

# Requirement IDs by the version that added them, from the requirements manifest.
file(READ "${conform_requirements}" conform_manifest)
string(JSON nreq LENGTH "${conform_manifest}" requirements)
math(EXPR last "${nreq} - 1")
foreach(i RANGE ${last})
  string(JSON rid GET "${conform_manifest}" requirements ${i} id)
  string(JSON since GET "${conform_manifest}" requirements ${i} since)
  string(REPLACE "." "_" key "${since}")
  # the gate names atomic requirements: a requirement's parts, when it has some
  string(JSON nparts ERROR_VARIABLE no_parts LENGTH "${conform_manifest}" requirements ${i} parts)
  if(no_parts OR nparts EQUAL 0)
    list(APPEND conform_reqs_${key} "${rid}")
  else()
    math(EXPR lastpart "${nparts} - 1")
    foreach(j RANGE ${lastpart})
      string(JSON pid GET "${conform_manifest}" requirements ${i} parts ${j} id)
      list(APPEND conform_reqs_${key} "${pid}")
    endforeach()
  endif()
endforeach()

foreach(v IN LISTS conform_versions)
  set(report "${conform_dir}/report-${v}.json")
  add_test(NAME conform.v${v}.run
    COMMAND "${HCABI_PYTHON}" "${HCABI_CONFORM}" run --target ref --spec-version ${v}
            --build-dir "${CMAKE_BINARY_DIR}"
            --out "${conform_dir}/out-${v}"
            --json "${report}" --junit "${conform_dir}/report-${v}.xml"
            --html "${conform_dir}/report-${v}.html")
  set_tests_properties(conform.v${v}.run PROPERTIES
    FIXTURES_SETUP conform_v${v}
    RESOURCE_LOCK hcabi_nested
    ENVIRONMENT "HCABI_NESTED_CACHE=${HCABI_NESTED_CACHE}"
    TIMEOUT ${HCABI_CONFORM_TIMEOUT}
    LABELS "nested;conformance;versions")
endforeach()

function(hcabi_conform_gate_test name report version expect_status)
  set(args "")
  foreach(s IN LISTS ARGN)
    string(APPEND args "${s}\n")
  endforeach()
  set(expect_file "${conform_dir}/expect/${name}.txt")
  file(WRITE "${expect_file}" "${args}")
  add_test(NAME ${name}
    COMMAND "${CMAKE_COMMAND}"
            "-DPYTHON=${HCABI_PYTHON}" "-DCONFORM=${HCABI_CONFORM}"
            "-DREPORT=${report}" "-DREQUIRE=${version}" "-DTESTS=${conform_tests_manifest}"
            "-DEXPECT_STATUS=${expect_status}" "-DEXPECT_FILE=${expect_file}"
            -P "${HCABI_CONFORM_EXPECT}")
  set_tests_properties(${name} PROPERTIES TIMEOUT 120 LABELS "nested;conformance;versions")
endfunction()

foreach(rv IN LISTS conform_versions)        # the report's version
  string(REPLACE "." ";" rparts "${rv}")
  list(GET rparts 0 rmajor)
  foreach(gv IN LISTS conform_versions)      # the version the gate requires
    string(REPLACE "." ";" gparts "${gv}")
    list(GET gparts 0 gmajor)
    if(NOT rmajor EQUAL gmajor)
      continue()
    endif()
    set(report "${conform_dir}/report-${rv}.json")
    set(name conform.v${rv}.gate.${gv})
    if(rv VERSION_GREATER_EQUAL gv)
      hcabi_conform_gate_test(${name} "${report}" ${gv} 0
        "ACCEPTED")
    else()
      # every requirement added after rv, up to and including gv
      set(missing "")
      foreach(mv IN LISTS conform_versions)
        if(mv VERSION_GREATER rv AND mv VERSION_LESS_EQUAL gv)
          string(REPLACE "." "_" key "${mv}")
          foreach(rid IN LISTS conform_reqs_${key})
            list(APPEND missing "requirement ${rid} (since ${mv}) is not covered by this report: tested_version ${rv}")
          endforeach()
        endif()
      endforeach()
      hcabi_conform_gate_test(${name} "${report}" ${gv} 3
        "REJECTED"
        "the implementation claims HCABI ${rv}, older than the required ${gv}"
        ${missing})
    endif()
    set_tests_properties(${name} PROPERTIES FIXTURES_REQUIRED conform_v${rv})
  endforeach()
endforeach()
