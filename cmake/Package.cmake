# What `cmake --install` and the Debian package (scripts/package, CPack DEB) hold besides the
# binary: man pages (scdoc), shell completion, the systemd units (installed, not enabled),
# an example configuration and the data files of data/ (whatever the directory holds).
include(GNUInstallDirs)
# scripts/package builds before packaging; cpack must not build the whole test suite first.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

# systemd looks here on every Debian; bookworm's lintian wants /lib, not /usr/lib.
set(DMARC_SYSTEMD_UNIT_DIR "/lib/systemd/system" CACHE STRING "Where the systemd units go")

# ---- man pages: docs/man/*.scd -> build/man/*.gz --------------------------------------------
find_program(SCDOC scdoc)
find_program(GZIP gzip)
file(GLOB dmarc_man_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/man/*.scd)
set(dmarc_man_outputs)
if(SCDOC AND GZIP)
  foreach(src ${dmarc_man_sources})
    get_filename_component(page ${src} NAME_WE)        # dmarcctl, dmarcctl (.toml.5 is ext)
    get_filename_component(full ${src} NAME)
    string(REGEX REPLACE "\\.scd$" "" page ${full})     # dmarcctl.1, dmarcctl.toml.5
    string(REGEX MATCH "[0-9]$" section ${page})
    set(out ${CMAKE_BINARY_DIR}/man/${page}.gz)
    add_custom_command(OUTPUT ${out}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
      COMMAND ${SCDOC} < ${src} > ${CMAKE_BINARY_DIR}/man/${page}
      COMMAND ${GZIP} -9nf ${CMAKE_BINARY_DIR}/man/${page}
      DEPENDS ${src} VERBATIM)
    list(APPEND dmarc_man_outputs ${out})
    install(FILES ${out} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
  endforeach()
  add_custom_target(man ALL DEPENDS ${dmarc_man_outputs})
else()
  message(STATUS "scdoc not found: no man pages (scripts/install-deps installs it)")
endif()

# ---- completion, examples, data -----------------------------------------------------------
install(FILES contrib/completion/dmarcctl.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME dmarcctl)
install(FILES contrib/completion/_dmarcctl
        DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
install(FILES contrib/dmarcctl.toml.example
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples RENAME dmarcctl.toml)
if(IS_DIRECTORY ${PROJECT_SOURCE_DIR}/data)
  # Data files other modules read at run time (the sender map, ...): all of data/.
  install(DIRECTORY data/ DESTINATION ${CMAKE_INSTALL_DATADIR}/dmarcctl)
endif()

# The units name the installed binary: ExecStart gets the prefix of this installation (cpack
# installs with /usr), so one source serves /usr and /usr/local.
install(CODE "
  set(bin \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/dmarcctl\")
  file(READ \"${PROJECT_SOURCE_DIR}/contrib/systemd/dmarcctl.service\" unit)
  string(REPLACE \"/usr/local/bin/dmarcctl\" \"\${bin}\" unit \"\${unit}\")
  file(MAKE_DIRECTORY \"\$ENV{DESTDIR}${DMARC_SYSTEMD_UNIT_DIR}\")
  file(WRITE \"\$ENV{DESTDIR}${DMARC_SYSTEMD_UNIT_DIR}/dmarcctl.service\" \"\${unit}\")
  message(STATUS \"Installing: \$ENV{DESTDIR}${DMARC_SYSTEMD_UNIT_DIR}/dmarcctl.service\")
")
install(FILES contrib/systemd/dmarcctl.timer DESTINATION ${DMARC_SYSTEMD_UNIT_DIR}
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

# Debian wants these two in every package's doc directory (a native package: changelog.gz).
set(dmarc_changelog ${CMAKE_BINARY_DIR}/changelog.gz)
add_custom_command(OUTPUT ${dmarc_changelog}
  COMMAND ${GZIP} -9nc ${PROJECT_SOURCE_DIR}/contrib/debian/changelog > ${dmarc_changelog}
  DEPENDS ${PROJECT_SOURCE_DIR}/contrib/debian/changelog VERBATIM)
add_custom_target(debian_changelog ALL DEPENDS ${dmarc_changelog})
install(FILES ${dmarc_changelog} contrib/debian/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR})

# ---- CPack: dmarcctl_<version>_<arch>.deb ---------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME dmarcctl)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "dmarcctl maintainers <dmarcctl@users.noreply.github.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "DMARC and SMTP TLS report collector and policy advisor")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "dmarcctl fetches the DMARC aggregate reports (RFC 7489) and SMTP TLS reports
(RFC 8460) that arrive in report mailboxes over IMAP, stores each report once
in a SQLite database, summarises them per domain, tells when it is safe to
tighten DMARC, SPF and MTA-STS, and forwards the reports to Graylog as GELF.

A systemd timer runs it nightly; it is installed but not enabled.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_SET_DESTDIR ON)   # the absolute unit directory goes into the package, not the system
set(CPACK_INSTALL_PREFIX /usr)   # with DESTDIR, this (not the line above) sets the prefix
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION mail)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)   # runtime libraries only, computed by dpkg-shlibdeps
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "publicsuffix, ca-certificates")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)
include(CPack)
