# Installs the two files whose place or text depends on where failoverdns
# goes, at install time, so `cmake --install --prefix DIR`, DESTDIR and
# cpack all get them right:
#   - the default config: /etc/failoverdns/ when the prefix is /usr (as
#     GNUInstallDirs places sysconfdir there), else <prefix>/etc/failoverdns/;
#   - the systemd unit (conf/failoverdns.service, written for the Debian
#     package's paths) with this install's binary, config dir and README
#     written in; under /usr it goes where systemd.pc says system units go.
# Set by the install(CODE) in packaging/install.cmake: FDNS_SOURCE_DIR,
# FDNS_BINARY_DIR, FDNS_BINDIR, FDNS_SYSCONFDIR, FDNS_DOCDIR, FDNS_UNITDIR, FDNS_SYSTEM_UNITDIR.

function(fdns_full_path out dir system_dir)
  if(IS_ABSOLUTE "${dir}")
    set(${out} "${dir}" PARENT_SCOPE)
  elseif(CMAKE_INSTALL_PREFIX STREQUAL "/usr" AND system_dir)
    set(${out} "${system_dir}" PARENT_SCOPE)
  else()
    set(${out} "${CMAKE_INSTALL_PREFIX}/${dir}" PARENT_SCOPE)
  endif()
endfunction()

fdns_full_path(bindir "${FDNS_BINDIR}" "")
fdns_full_path(docdir "${FDNS_DOCDIR}" "")
fdns_full_path(confdir "${FDNS_SYSCONFDIR}/failoverdns" "/etc/failoverdns")
fdns_full_path(unitdir "${FDNS_UNITDIR}" "${FDNS_SYSTEM_UNITDIR}")

# An admin's edited config is never overwritten (the .deb leaves that to
# dpkg: it is a conffile).
if(EXISTS "$ENV{DESTDIR}${confdir}/failoverdns.json")
  message(STATUS "Keeping: $ENV{DESTDIR}${confdir}/failoverdns.json (already there)")
else()
  file(INSTALL DESTINATION "${confdir}" TYPE FILE PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
       FILES "${FDNS_SOURCE_DIR}/conf/failoverdns.json")
endif()

file(READ "${FDNS_SOURCE_DIR}/conf/failoverdns.service" unit)
string(REPLACE "/usr/bin/failoverdns " "${bindir}/failoverdns " unit "${unit}")
string(REPLACE "-config-dir /etc/failoverdns\n" "-config-dir ${confdir}\n" unit "${unit}")
string(REPLACE "file:///usr/share/doc/failoverdns/" "file://${docdir}/" unit "${unit}")
set(staged "${FDNS_BINARY_DIR}/install-staging/failoverdns.service")
file(WRITE "${staged}" "${unit}")
file(INSTALL DESTINATION "${unitdir}" TYPE FILE PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
     FILES "${staged}")
