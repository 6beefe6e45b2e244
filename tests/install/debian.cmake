# The Debian packages build and are lintian-clean (ctest: install.debian).
#
# cmake -D SOURCE_DIR=... -D WORK_DIR=... -P debian.cmake
#
# Copies the checkout's files (tracked and untracked, not ignored) to
# WORK_DIR/hcabi, so that the source tree stays clean, runs
# `dpkg-buildpackage -us -uc -b` there (debian/), checks that every binary
# package of debian/control was built, then `lintian --fail-on error` on the
# result. Skipped (the message "install.debian: skipped: ...") where dpkg-buildpackage, debhelper, lintian or git
# are not installed (scripts/setup-debian.sh installs them).

foreach(var SOURCE_DIR WORK_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "debian.cmake: -D ${var}=... is required")
  endif()
endforeach()

foreach(tool dpkg-buildpackage dh lintian git tar)
  find_program(have_${tool} ${tool})
  if(NOT have_${tool})
    message("install.debian: skipped: ${tool} is not installed (scripts/setup-debian.sh installs it)")
    return() # CTest's SKIP_REGULAR_EXPRESSION marks the test skipped
  endif()
endforeach()

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}/hcabi")
execute_process(
  COMMAND git -C "${SOURCE_DIR}" ls-files -z --cached --others --exclude-standard
  COMMAND tar -C "${SOURCE_DIR}" --null -T - -cf -
  COMMAND tar -xf - -C "${WORK_DIR}/hcabi"
  RESULTS_VARIABLE rcs ERROR_VARIABLE err)
if(NOT rcs STREQUAL "0;0;0")
  message(FATAL_ERROR "install.debian: copying the checkout to ${WORK_DIR}/hcabi failed (${rcs}): ${err}")
endif()

execute_process(COMMAND dpkg-buildpackage -us -uc -b
  WORKING_DIRECTORY "${WORK_DIR}/hcabi"
  RESULT_VARIABLE rc OUTPUT_FILE "${WORK_DIR}/build.log" ERROR_FILE "${WORK_DIR}/build.log")
if(NOT rc EQUAL 0)
  file(STRINGS "${WORK_DIR}/build.log" lines)
  list(LENGTH lines n)
  math(EXPR from "${n} - 40")
  if(from LESS 0)
    set(from 0)
  endif()
  list(SUBLIST lines ${from} 40 tail)
  list(JOIN tail "\n" tail)
  message(FATAL_ERROR "install.debian: dpkg-buildpackage -us -uc -b failed (${rc}); the end of ${WORK_DIR}/build.log:\n${tail}")
endif()

# every Package: of debian/control, as a .deb
file(STRINGS "${SOURCE_DIR}/debian/control" packages REGEX "^Package: ")
list(TRANSFORM packages REPLACE "^Package: *" "")
foreach(pkg IN LISTS packages)
  file(GLOB deb "${WORK_DIR}/${pkg}_*.deb")
  if(NOT deb)
    message(FATAL_ERROR "install.debian: no ${pkg}_*.deb in ${WORK_DIR}")
  endif()
endforeach()

file(GLOB changes "${WORK_DIR}/hcabi_*.changes")
execute_process(COMMAND lintian --fail-on error ${changes}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "install.debian: lintian reports errors:\n${out}${err}")
endif()
message(STATUS "install.debian: built ${packages}; lintian:\n${out}")
