// "user" and "group": the account failoverdns switches to after binding its
// sockets, and the group whose read bit on a password file is no exposure
// (root:failoverdns 0640 is how that account reads root's secrets).
#include <doctest/doctest.h>

#include <grp.h>
#include <unistd.h>

#include "unit/config/config_fixture.hpp"

using namespace failoverdns;
using namespace failoverdns::testing;

namespace {

constexpr const char* kMysql =
    R"("services": [{"id": "mysqlnode1", "name": "mysql", "address": "127.0.0.11", "port": 3306}])";

// A config running as nobody:nogroup (both exist on Debian) whose probe
// password is in `pass` (relative to the config file).
std::string as_nobody(const std::string& pass) {
  return std::string(R"({"user": "nobody", "group": "nogroup", )") + kMysql +
         R"(, "failover": {"mysql": {"password_file": ")" + pass + R"(", "state_file": "/tmp/m.state"}}})";
}

}  // namespace

TEST_CASE("user and group are read, shown by describe, and not required") {
  const auto loaded = load_text(R"({"user": "nobody", "group": "nogroup", "node_name": "n"})");
  REQUIRE(loaded.config);
  CHECK(loaded.diagnostics.warnings.empty());
  CHECK(loaded.config->user == "nobody");
  CHECK(loaded.config->group == "nogroup");
  CHECK(describe(*loaded.config) ==
        "datacenter dc1, domain consul, node n\nDNS: udp+tcp on 127.0.0.1:8600, workers one per core\n"
        "forwarding: off (no recursors): names outside our domains get REFUSED, no RA\n"
        "HTTP API: on 127.0.0.1:8500; writes from 127.0.0.0/8 ::1/128, no token\n"
        "runs as user nobody, group nogroup (switched to after binding the DNS sockets when started as root)\n"
        "no services\n");

  const auto user_only = load_text(R"({"user": "nobody"})");
  REQUIRE(user_only.config);
  CHECK(user_only.config->group.empty());
  CHECK(describe(*user_only.config).find("runs as user nobody, its primary group") != std::string::npos);

  const auto neither = load_text(R"({})");
  REQUIRE(neither.config);
  CHECK(neither.config->user.empty());
  CHECK(describe(*neither.config).find("runs as") == std::string::npos);
}

TEST_CASE("user and group: errors and warnings name the key") {
  const auto group_only = load_text(R"({"group": "nogroup"})");
  CHECK_FALSE(group_only.config);
  REQUIRE(group_only.diagnostics.errors.size() == 1);
  CHECK(group_only.diagnostics.errors[0] ==
        group_only.file + ": group: set \"user\" too: failoverdns switches to a user and a group together");

  const auto empty = load_text(R"({"user": ""})");
  CHECK_FALSE(empty.config);
  REQUIRE(empty.diagnostics.errors.size() == 1);
  CHECK(empty.diagnostics.errors[0] == empty.file + ": user: expected a user name, got \"\"");

  // Another machine's account: the config may be checked here all the same.
  const auto unknown = load_text(R"({"user": "no-such-user-fdns", "group": "no-such-group-fdns"})");
  REQUIRE(unknown.config);
  REQUIRE(unknown.diagnostics.warnings.size() == 2);
  CHECK(unknown.diagnostics.warnings[0] ==
        unknown.file +
            ": user: no user \"no-such-user-fdns\" on this machine; failoverdns started as root cannot "
            "switch to it: create it (adduser --system --group no-such-user-fdns) or change \"user\"");
  CHECK(unknown.diagnostics.warnings[1].find(": group: no group \"no-such-group-fdns\" on this machine") !=
        std::string::npos);
}

TEST_CASE("a password file readable by the group failoverdns runs as is no exposure; by another group it is") {
  if (::geteuid() != 0) {
    MESSAGE("skipped: giving a file to group nogroup needs root");
    return;
  }
  const group* nogroup = ::getgrnam("nogroup");
  REQUIRE(nogroup);
  TempDir dir;
  const auto ours = dir.write("ours.pass", "pw\n", 0640);
  REQUIRE(::chown(ours.c_str(), 0, nogroup->gr_gid) == 0);
  const auto theirs = dir.write("theirs.pass", "pw\n", 0640);
  REQUIRE(::chown(theirs.c_str(), 0, 0) == 0);
  const auto writable = dir.write("writable.pass", "pw\n", 0660);
  REQUIRE(::chown(writable.c_str(), 0, nogroup->gr_gid) == 0);

  const auto fine = load_sources({{ConfigSource::Kind::file, dir.write("a.json", as_nobody("ours.pass"))}});
  REQUIRE(fine.config);
  CHECK(fine.diagnostics.warnings.empty());
  CHECK(fine.config->failover.at(0).password == "pw");
  CHECK(fine.config->failover.at(0).password_file == ours);  // resolved, for the check after switching user

  for (const auto& pass : {theirs, writable}) {
    CAPTURE(pass.string());
    const auto file = dir.write("b.json", as_nobody(pass.filename().string()));
    const auto loaded = load_sources({{ConfigSource::Kind::file, file}});
    REQUIRE(loaded.config);
    REQUIRE(loaded.diagnostics.warnings.size() == 1);
    CHECK(loaded.diagnostics.warnings[0] == file.string() + ": failover.mysql.password_file: \"" + pass.string() +
                                                "\" is accessible by group or others; chgrp nogroup " + pass.string() +
                                                " and chmod 640 it");
  }
}
