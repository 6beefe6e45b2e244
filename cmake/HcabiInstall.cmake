# Install rules that span directories, included at the end of the top-level
# CMakeLists.txt (after every target exists), and the test of the installed
# package. Each directory installs its own targets; see the top level for the
# components.

# Man pages, when the build makes them (a target `man` writing BUILD/man/*.1),
# each in the component of the command it documents, and built by default so
# that there is something to install. Deferred to the end of the top level,
# wherever `man` is defined. OPTIONAL: a page the target does not make is
# left out. hcabi-compat.1 is not installed: hcabi-compat works on a
# checkout's registry and is not installed itself.
function(hcabi_install_man_pages)
  if(NOT TARGET man)
    return()
  endif()
  add_custom_target(hcabi-man-pages ALL)
  add_dependencies(hcabi-man-pages man)
  foreach(page_component "hcabi-conform.1;runner" "hcabi-refvmm.1;refvmm")
    list(GET page_component 0 page)
    list(GET page_component 1 component)
    install(FILES "${PROJECT_BINARY_DIR}/man/${page}" DESTINATION "${CMAKE_INSTALL_MANDIR}/man1"
            COMPONENT ${component} OPTIONAL)
  endforeach()
endfunction()
cmake_language(DEFER DIRECTORY "${PROJECT_SOURCE_DIR}" CALL hcabi_install_man_pages)

# bash completion of hcabi-conform, where bash-completion looks for it.
if(EXISTS "${PROJECT_SOURCE_DIR}/runners/completion/hcabi-conform")
  install(FILES "${PROJECT_SOURCE_DIR}/runners/completion/hcabi-conform"
          DESTINATION "${CMAKE_INSTALL_DATADIR}/bash-completion/completions" COMPONENT runner)
endif()

# install.package: cmake --install into a temporary prefix, then an
# out-of-tree program (tests/install/consumer) built against it with
# find_package and with pkg-config, shared and static, and the installed
# hcabi-conform run from the prefix (tests/install/check.cmake).
if(BUILD_TESTING AND TARGET hcabi_ref_shared)
  add_test(NAME install.package
    COMMAND "${CMAKE_COMMAND}"
            -D "BUILD_DIR=${PROJECT_BINARY_DIR}"
            -D "WORK_DIR=${PROJECT_BINARY_DIR}/install-test"
            -D "CONSUMER_DIR=${PROJECT_SOURCE_DIR}/tests/install/consumer"
            -D "C_COMPILER=${CMAKE_C_COMPILER}"
            -D "LIBDIR=${CMAKE_INSTALL_LIBDIR}"
            -D "BINDIR=${CMAKE_INSTALL_BINDIR}"
            -D "SUITEDIR=${HCABI_INSTALL_SUITEDIR}"
            -D "INCLUDEDIR=${CMAKE_INSTALL_INCLUDEDIR}"
            -D "WITH_IMAGES=$<TARGET_EXISTS:hcabi-conformance>"
            -P "${PROJECT_SOURCE_DIR}/tests/install/check.cmake")
  set_tests_properties(install.package PROPERTIES LABELS "install" TIMEOUT 300)
endif()

# install.debian: dpkg-buildpackage -us -uc -b on a copy of the checkout (the
# source tree stays clean), every package built, lintian without an error
# (tests/install/debian.cmake). About half a minute.
if(BUILD_TESTING AND EXISTS "${PROJECT_SOURCE_DIR}/debian/control")
  add_test(NAME install.debian
    COMMAND "${CMAKE_COMMAND}" -D "SOURCE_DIR=${PROJECT_SOURCE_DIR}" -D "WORK_DIR=${PROJECT_BINARY_DIR}/debian-test"
            -P "${PROJECT_SOURCE_DIR}/tests/install/debian.cmake")
  set_tests_properties(install.debian PROPERTIES LABELS "install;debian" TIMEOUT 900
                       SKIP_REGULAR_EXPRESSION "install.debian: skipped:")
endif()
