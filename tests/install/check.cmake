# The installed package, as a user gets it (ctest: install.package).
#
# cmake -D BUILD_DIR=... -D WORK_DIR=... -D CONSUMER_DIR=... -D C_COMPILER=...
#       -D LIBDIR=... -D BINDIR=... -D INCLUDEDIR=... -D SUITEDIR=... -D WITH_IMAGES=0|1 -P check.cmake
#
#  1. cmake --install BUILD_DIR --prefix WORK_DIR/prefix, components lib and
#     dev (and images and runner when the images are built): the headers
#     are abi.h and hcabi_ref.h and nothing else, the shared library has the
#     versioned SONAME;
#  2. the consumer (CONSUMER_DIR) configured with find_package against the
#     prefix, built and run, shared and static;
#  3. the same program built with the C compiler and pkg-config's flags,
#     shared (pkg-config --libs) and fully static (--static --libs);
#  4. the installed hcabi-conform, run from outside the tree, finds the
#     installed images, tests manifest and requirements by itself.
# Each consumer must print "hcabi_ref consumer: OK". Any failure is one
# FATAL_ERROR line naming the step.

foreach(var BUILD_DIR WORK_DIR CONSUMER_DIR C_COMPILER LIBDIR BINDIR INCLUDEDIR SUITEDIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check.cmake: -D ${var}=... is required")
  endif()
endforeach()

set(prefix "${WORK_DIR}/prefix")
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

# run(STEP cmd...): run a command in WORK_DIR; fail naming STEP with its output.
function(run step)
  execute_process(COMMAND ${ARGN} WORKING_DIRECTORY "${WORK_DIR}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "install.package: ${step} failed (${rc}):\n${out}\n${err}")
  endif()
  set(run_output "${out}" PARENT_SCOPE)
endfunction()

# consumer_ok(STEP program [env...]): the program ran and called into the library.
function(consumer_ok step program)
  run("${step}" ${CMAKE_COMMAND} -E env ${ARGN} "${program}")
  if(NOT run_output MATCHES "^hcabi_ref consumer: OK [0-9]+\\.[0-9]+\n$")
    message(FATAL_ERROR "install.package: ${step}: unexpected output: ${run_output}")
  endif()
  message(STATUS "${step}: ${run_output}")
endfunction()

# 1. install
set(components lib dev)
if(WITH_IMAGES)
  list(APPEND components images runner)
endif()
foreach(component IN LISTS components)
  run("cmake --install --component ${component}"
      "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}" --component ${component})
endforeach()
file(GLOB headers RELATIVE "${prefix}/${INCLUDEDIR}" "${prefix}/${INCLUDEDIR}/*" "${prefix}/${INCLUDEDIR}/*/*")
list(SORT headers)
if(NOT headers STREQUAL "hcabi;hcabi/abi.h;hcabi/hcabi_ref.h")
  message(FATAL_ERROR "install.package: installed headers are [${headers}], want hcabi/abi.h and hcabi/hcabi_ref.h only")
endif()
set(libdir "${prefix}/${LIBDIR}")
file(GLOB sonames RELATIVE "${libdir}" "${libdir}/libhcabi_ref.so*")
list(SORT sonames)
if(NOT sonames MATCHES "^libhcabi_ref\\.so;libhcabi_ref\\.so\\.[0-9]+;libhcabi_ref\\.so\\.[0-9]+\\.[0-9]+\\.[0-9]+$"
   OR NOT EXISTS "${libdir}/libhcabi_ref.a")
  message(FATAL_ERROR "install.package: in ${libdir}: [${sonames}], want libhcabi_ref.so, .so.N, .so.N.M.P and libhcabi_ref.a")
endif()

# 2. find_package
run("configure the find_package consumer"
    "${CMAKE_COMMAND}" -S "${CONSUMER_DIR}" -B "${WORK_DIR}/consumer"
    "-DCMAKE_C_COMPILER=${C_COMPILER}" "-DCMAKE_PREFIX_PATH=${prefix}" -DCMAKE_BUILD_TYPE=Release)
run("build the find_package consumer" "${CMAKE_COMMAND}" --build "${WORK_DIR}/consumer")
consumer_ok("find_package, hcabi_ref::hcabi_ref" "${WORK_DIR}/consumer/consumer_shared")
consumer_ok("find_package, hcabi_ref::hcabi_ref_static" "${WORK_DIR}/consumer/consumer_static")
# the shared one really uses the installed libhcabi_ref.so.N
run("ldd consumer_shared" ldd "${WORK_DIR}/consumer/consumer_shared")
if(NOT run_output MATCHES "libhcabi_ref\\.so\\.[0-9]+ => ${libdir}/")
  message(FATAL_ERROR "install.package: consumer_shared does not load ${libdir}/libhcabi_ref.so.N:\n${run_output}")
endif()

# 3. pkg-config
find_program(PKG_CONFIG pkg-config)
if(NOT PKG_CONFIG)
  message(FATAL_ERROR "install.package: pkg-config not found (Debian: apt-get install pkg-config)")
endif()
set(pc_env "PKG_CONFIG_PATH=${libdir}/pkgconfig")
run("pkg-config --cflags --libs hcabi_ref"
    ${CMAKE_COMMAND} -E env ${pc_env} "${PKG_CONFIG}" --cflags --libs hcabi_ref)
string(STRIP "${run_output}" flags)
separate_arguments(flags UNIX_COMMAND "${flags}")
run("cc with pkg-config's flags (shared)" "${C_COMPILER}" -std=c11 -Wall -Wextra -Werror
    "${CONSUMER_DIR}/consumer.c" -o "${WORK_DIR}/pc_shared" ${flags})
consumer_ok("pkg-config, shared" "${WORK_DIR}/pc_shared" "LD_LIBRARY_PATH=${libdir}")
run("pkg-config --static --cflags --libs hcabi_ref"
    ${CMAKE_COMMAND} -E env ${pc_env} "${PKG_CONFIG}" --static --cflags --libs hcabi_ref)
string(STRIP "${run_output}" flags)
separate_arguments(flags UNIX_COMMAND "${flags}")
run("cc -static with pkg-config --static's flags" "${C_COMPILER}" -std=c11 -Wall -Wextra -Werror -static
    "${CONSUMER_DIR}/consumer.c" -o "${WORK_DIR}/pc_static" ${flags})
consumer_ok("pkg-config, static" "${WORK_DIR}/pc_static")

# 4. the installed runner finds the installed suite by itself (run from
#    WORK_DIR, no --build-dir, no --manifest)
if(WITH_IMAGES)
  run("installed hcabi-conform list" "${prefix}/${BINDIR}/hcabi-conform" list --json)
  if(NOT run_output MATCHES "\"file\": \"hcabi-conf-base\\.elf\"")
    message(FATAL_ERROR "install.package: the installed hcabi-conform list --json names no hcabi-conf-base.elf:\n${run_output}")
  endif()
  if(NOT EXISTS "${prefix}/${SUITEDIR}/conformance/images/hcabi-conf-base.elf")
    message(FATAL_ERROR "install.package: the images are not installed in ${prefix}/${SUITEDIR}/conformance/images")
  endif()
  message(STATUS "installed hcabi-conform lists the installed suite")
endif()
