# CTest registration of the compatibility checker (scripts/hcabi_compat.py;
# docs/compatibility.md). scripts/CMakeLists.txt includes this file:
#
#   include("${CMAKE_CURRENT_SOURCE_DIR}/compat.cmake")
#
# HCABI_PYTHON comes from the top-level CMakeLists.txt: Debian's interpreter,
# which sees python3-jsonschema and python3-pytest.
#
#   compat.released  every released snapshot (spec/registry/releases/X.Y) against
#                    the next, and the newest against the current registry
#   compat.tests     the checker's own tests

set(_hcabi_compat_dir "${CMAKE_CURRENT_LIST_DIR}")

add_test(NAME compat.released
         COMMAND "${HCABI_PYTHON}" "${_hcabi_compat_dir}/hcabi-compat" --all
                 --registry "${_hcabi_compat_dir}/../spec/registry")
add_test(NAME compat.tests
         COMMAND "${HCABI_PYTHON}" -m pytest -q -p no:cacheprovider
                 "${_hcabi_compat_dir}/tests/test_hcabi_compat.py"
                 "${_hcabi_compat_dir}/tests/test_hcabi_compat_breaks.py"
         WORKING_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}")
set_tests_properties(compat.released PROPERTIES LABELS "python;compat" TIMEOUT 120)
set_tests_properties(compat.tests PROPERTIES LABELS "python;unit;compat" TIMEOUT 600
                     ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
