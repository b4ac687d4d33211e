# Installation (`cmake --install`) and the Debian package (`cpack -G DEB`,
# which tools/package runs on an optimised build). Where each file goes and
# why: README "As a system service".
include(GNUInstallDirs)

# Relative: under the prefix. Under the prefix /usr (a system install, the
# .deb) the unit goes where systemd.pc says system units go.
set(FAILOVERDNS_SYSTEMD_UNIT_DIR "lib/systemd/system" CACHE STRING
    "where the systemd unit is installed; relative: under the prefix")
pkg_get_variable(FAILOVERDNS_SYSTEM_UNIT_DIR systemd systemdsystemunitdir)
if(NOT FAILOVERDNS_SYSTEM_UNIT_DIR)
  set(FAILOVERDNS_SYSTEM_UNIT_DIR /usr/lib/systemd/system)
endif()

install(TARGETS failoverdns RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
# Every shipped example and resolver snippet; not the default config, nor
# the unit, which have places of their own.
file(GLOB examples CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/conf/*)
list(REMOVE_ITEM examples ${PROJECT_SOURCE_DIR}/conf/failoverdns.json ${PROJECT_SOURCE_DIR}/conf/failoverdns.service)
install(FILES ${examples} DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
# The default config and the unit: their place and text depend on the
# prefix given at install time (--prefix, cpack), so a script decides then.
install(CODE "
  set(FDNS_SOURCE_DIR \"${PROJECT_SOURCE_DIR}\")
  set(FDNS_BINARY_DIR \"${PROJECT_BINARY_DIR}\")
  set(FDNS_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
  set(FDNS_SYSCONFDIR \"${CMAKE_INSTALL_SYSCONFDIR}\")
  set(FDNS_DOCDIR \"${CMAKE_INSTALL_DOCDIR}\")
  set(FDNS_UNITDIR \"${FAILOVERDNS_SYSTEMD_UNIT_DIR}\")
  set(FDNS_SYSTEM_UNITDIR \"${FAILOVERDNS_SYSTEM_UNIT_DIR}\")
  include(\"${PROJECT_SOURCE_DIR}/packaging/install_system_files.cmake\")
")

# The .deb: always for /usr (config in /etc, unit in /lib/systemd/system on
# Debian 12), whatever prefix this build dir was configured with.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME failoverdns)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "DNS names that follow the MariaDB primary")
string(CONCAT CPACK_PACKAGE_DESCRIPTION
    "An authoritative DNS server for *.service.consul whose answers come from its own asynchronous MariaDB probes "
    "and failover engine: the name always points at the writable primary and moves when it dies. Reads Consul's "
    "agent configuration. Replaces a Consul agent, dnsmasq forwarding and a check script.")
if(DEFINED ENV{DEBEMAIL})
  set(CPACK_PACKAGE_CONTACT "$ENV{DEBEMAIL}")
else()
  set(CPACK_PACKAGE_CONTACT "failoverdns developers <failoverdns@localhost>")
endif()
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Libraries from dpkg-shlibdeps; adduser and deb-systemd-invoke for the
# maintainer scripts.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, init-system-helpers (>= 1.54~)")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/deb/postinst ${PROJECT_SOURCE_DIR}/packaging/deb/prerm
    ${PROJECT_SOURCE_DIR}/packaging/deb/postrm ${PROJECT_SOURCE_DIR}/packaging/deb/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
