# HcabiNested.cmake: what other parts of the build need to run things under
# the nested KVM launcher (scripts/hcabi-nested; docs/internals.md, "The nested
# launcher").
#
# The top-level CMakeLists.txt adds reference-impl/ and conformance/ before
# scripts/, so a part that wants nested tests includes this file itself:
#
#   include("${PROJECT_SOURCE_DIR}/scripts/HcabiNested.cmake")
#   hcabi_add_nested_test(NAME refvmm.nested.hello
#     JOBS "hello $<TARGET_FILE:hcabi-refvmm> --serial - $<TARGET_FILE:hello-guest>"
#     EXPECT_STATUS "hello=1"
#     EXPECT_SERIAL "hello=^@hcabi suite-end ")
#
# Variables (cache, so every directory sees them):
#   HCABI_NESTED_LAUNCHER  path of scripts/hcabi-nested
#   HCABI_NESTED_CACHE     its download cache (kernel, modules, busybox)
#   HCABI_NESTED_TIMEOUT   default CTest TIMEOUT of nested tests, seconds
#   HCABI_NESTED_HOLDER    the launcher's --holder for every nested test:
#                          "'$<TARGET_FILE:hcabi-nested-probe>' --hold", a
#                          generator expression (use it in add_test() or
#                          file(GENERATE) only); "" runs them without one.
#                          The holder keeps one idle KVM VM alive across the
#                          batch so that the nested kernel does not patch its
#                          static keys between jobs, which has panicked it
#                          under TCG (docs/internals.md, "The nested launcher")
#
# hcabi_add_nested_test(NAME <test>
#     JOBS "<job> <program> [args...]" ...    one boot runs them all, in order
#     [EXPECT_STATUS "<job>=<N>" ...]         <job>.status must hold N
#     [EXPECT_SERIAL "<job>=<regex>" ...]     <job>.serial must match (Python re, MULTILINE)
#     [EXPECT_STDERR "<job>=<regex>" ...]     <job>.stderr must match
#     [EXPECT_SERIAL_FILE "<job>=<path>" ...] <job>.serial must equal the file
#     [TIMEOUT <seconds>] [LABELS <label>...] [ARCH <arch>]   launcher's --arch (default x86_64)
#     [HOLDER "<program> [args...]" | NO_HOLDER]  default: HCABI_NESTED_HOLDER
#     [SKIP_UNFETCHABLE])  skipped (CTest SKIP, one line why) when Debian's
#                          archive cannot give the packages of ARCH's cache
# Job arguments are shell words (quote with '...'); generator expressions work
# ($<TARGET_FILE:...>); any argument that is an existing file is copied into
# the guest.  Values must not contain ';'.  The test is labelled "nested" and,
# but for SKIP_UNFETCHABLE, always counts as failed (never skipped) when the
# environment fails: CI must not go green without having run it.

include_guard(GLOBAL)

set(HCABI_NESTED_LAUNCHER "${CMAKE_CURRENT_LIST_DIR}/hcabi-nested" CACHE INTERNAL "scripts/hcabi-nested")
set(HCABI_NESTED_CTEST_DRIVER "${CMAKE_CURRENT_LIST_DIR}/hcabi_nested_ctest.py" CACHE INTERNAL "CTest driver of nested tests")
set(HCABI_NESTED_CACHE "${PROJECT_SOURCE_DIR}/build/nested-cache" CACHE PATH
    "Download cache of scripts/hcabi-nested (kernel, modules, busybox from Debian's archive)")
# The nested path is 20-40x slower than hardware; a test checks function, never timing.
set(HCABI_NESTED_TIMEOUT 1800 CACHE STRING "Default CTest TIMEOUT (seconds) of nested tests")
# scripts/CMakeLists.txt builds hcabi-nested-probe; the generator expression
# resolves whatever the order in which the directories are added.
set(HCABI_NESTED_HOLDER "'$<TARGET_FILE:hcabi-nested-probe>' --hold" CACHE STRING
    "--holder of scripts/hcabi-nested in nested tests (a generator expression; empty: none)")

function(hcabi_add_nested_test)
    cmake_parse_arguments(PARSE_ARGV 0 T "NO_HOLDER;SKIP_UNFETCHABLE" "NAME;TIMEOUT;HOLDER;ARCH"
        "JOBS;EXPECT_STATUS;EXPECT_SERIAL;EXPECT_STDERR;EXPECT_SERIAL_FILE;LABELS")
    if(NOT T_NAME OR NOT T_JOBS)
        message(FATAL_ERROR "hcabi_add_nested_test: NAME and JOBS are required")
    endif()
    if(T_UNPARSED_ARGUMENTS)
        message(FATAL_ERROR "hcabi_add_nested_test(${T_NAME}): unexpected arguments: ${T_UNPARSED_ARGUMENTS}")
    endif()
    if(NOT T_TIMEOUT)
        set(T_TIMEOUT ${HCABI_NESTED_TIMEOUT})
    endif()
    if(T_NO_HOLDER)
        set(T_HOLDER "")
    elseif(NOT DEFINED T_HOLDER)
        set(T_HOLDER "${HCABI_NESTED_HOLDER}")
    endif()
    # the launcher gives up a little before CTest would kill it, so that it can
    # say what hung; the rest is for filling the download cache on first use
    math(EXPR launcher_timeout "${T_TIMEOUT} * 9 / 10")
    set(arch_args "")
    if(T_ARCH)
        set(arch_args --arch "${T_ARCH}")
    endif()
    if(T_SKIP_UNFETCHABLE)
        list(APPEND arch_args --skip-unfetchable)
    endif()

    string(MAKE_C_IDENTIFIER "${T_NAME}" dirname)
    set(dir "${CMAKE_CURRENT_BINARY_DIR}/nested/${dirname}")

    set(jobs "")
    foreach(job IN LISTS T_JOBS)
        if(NOT job MATCHES "^([A-Za-z0-9_][A-Za-z0-9_.+-]*) +(.+)$")
            message(FATAL_ERROR "hcabi_add_nested_test(${T_NAME}): job \"${job}\" is not \"NAME PROGRAM [ARGS...]\"")
        endif()
        string(APPEND jobs "${CMAKE_MATCH_1}\t${CMAKE_MATCH_2}\n")
    endforeach()

    set(expect "")
    set(lists T_EXPECT_STATUS T_EXPECT_SERIAL T_EXPECT_STDERR T_EXPECT_SERIAL_FILE)
    set(kinds status serial stderr serial-file)
    foreach(list kind IN ZIP_LISTS lists kinds)
        foreach(item IN LISTS ${list})
            if(NOT item MATCHES "^([^=]+)=(.*)$")
                message(FATAL_ERROR "hcabi_add_nested_test(${T_NAME}): \"${item}\" is not JOB=VALUE")
            endif()
            string(APPEND expect "${CMAKE_MATCH_1}\t${kind}\t${CMAKE_MATCH_2}\n")
        endforeach()
    endforeach()

    # one file per configuration: generator expressions may differ between them
    file(GENERATE OUTPUT "${dir}/jobs-$<CONFIG>.txt" CONTENT "${jobs}")
    file(GENERATE OUTPUT "${dir}/expect-$<CONFIG>.txt" CONTENT "${expect}")

    add_test(NAME ${T_NAME}
        COMMAND "${HCABI_PYTHON}" "${HCABI_NESTED_CTEST_DRIVER}"
            --launcher "${HCABI_NESTED_LAUNCHER}"
            --cache "${HCABI_NESTED_CACHE}"
            --timeout "${launcher_timeout}"
            "--holder=${T_HOLDER}"
            ${arch_args}
            --out "${dir}/out"
            --jobs "${dir}/jobs-$<CONFIG>.txt"
            --expect "${dir}/expect-$<CONFIG>.txt")
    set_tests_properties(${T_NAME} PROPERTIES LABELS "nested;${T_LABELS}" TIMEOUT ${T_TIMEOUT})
    if(T_SKIP_UNFETCHABLE)
        set_tests_properties(${T_NAME} PROPERTIES SKIP_RETURN_CODE 77)
    endif()
endfunction()
