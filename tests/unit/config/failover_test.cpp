#include <doctest/doctest.h>

#include "unit/config/config_fixture.hpp"

using namespace failoverdns;
using namespace failoverdns::testing;
using namespace std::chrono_literals;

namespace {

constexpr const char* kMysql =
    R"("services": [{"id": "mysqlnode1", "name": "mysql", "address": "127.0.0.11", "port": 3306},
                    {"id": "mysqlnode2", "name": "mysql", "address": "127.0.0.12", "port": 3306}])";

std::string with_failover(const std::string& failover) {
  return std::string("{") + kMysql + R"(, "failover": )" + failover + "}";
}

}  // namespace

TEST_CASE("failover defaults") {
  const auto loaded = load_text(with_failover(R"({"mysql": {}})"));
  REQUIRE(loaded.diagnostics.errors.empty());
  REQUIRE(loaded.config);
  REQUIRE(loaded.config->failover.size() == 1);
  const FailoverSettings& f = loaded.config->failover[0];
  CHECK(f.service == "mysql");
  CHECK(f.user == "failoverdns");
  CHECK(f.password.empty());
  CHECK(f.replication_user == "slave");
  CHECK(f.replication_password.empty());
  CHECK(f.interval == 1s);
  CHECK(f.timeout == 1s);
  CHECK(f.failcount == 3);
  CHECK(f.recheck_interval == 200ms);
  CHECK(f.auto_failover);
  CHECK(f.auto_rejoin);
  CHECK(f.verify_with_replicas);
  CHECK(f.relay_log_wait == 30s);
  CHECK(f.no_promotion.empty());
  CHECK(f.state_file == "/var/lib/failoverdns/mysql.state");
  CHECK(f.cooldown == 60s);
  CHECK_FALSE(f.max_replica_lag);
  CHECK_FALSE(f.extra_port);
  CHECK_FALSE(f.accept_data_loss);
  CHECK(f.enforce_read_only_replicas);
  CHECK(f.path == loaded.file + ": failover.mysql");
}

TEST_CASE("every failover key is read") {
  const auto loaded = load_text(with_failover(R"({"mysql": {
    "user": "probe", "password": "secret", "replication_user": "repl", "replication_password": "rsecret",
    "interval": "500ms", "timeout": "250ms", "failcount": 5, "recheck_interval": "100ms",
    "auto_failover": false, "auto_rejoin": false, "verify_with_replicas": false, "relay_log_wait": "0s",
    "no_promotion": ["mysqlnode2"], "state_file": "/tmp/x.state", "cooldown": "2m", "max_replica_lag": "10s",
    "extra_port": 3307, "accept_data_loss": true, "enforce_read_only_replicas": false
  }})"));
  REQUIRE(loaded.diagnostics.errors.empty());
  CHECK(loaded.diagnostics.warnings.empty());
  REQUIRE(loaded.config);
  const FailoverSettings& f = loaded.config->failover.at(0);
  CHECK(f.user == "probe");
  CHECK(f.password == "secret");
  CHECK(f.replication_user == "repl");
  CHECK(f.replication_password == "rsecret");
  CHECK(f.interval == 500ms);
  CHECK(f.timeout == 250ms);
  CHECK(f.failcount == 5);
  CHECK(f.recheck_interval == 100ms);
  CHECK_FALSE(f.auto_failover);
  CHECK_FALSE(f.auto_rejoin);
  CHECK_FALSE(f.verify_with_replicas);
  CHECK(f.relay_log_wait == 0s);
  CHECK(f.no_promotion == std::vector<std::string>{"mysqlnode2"});
  CHECK(f.state_file == "/tmp/x.state");
  CHECK(f.cooldown == 120s);
  REQUIRE(f.max_replica_lag);
  CHECK(*f.max_replica_lag == 10s);
  CHECK(f.extra_port == 3307);
  CHECK(f.accept_data_loss);
  CHECK_FALSE(f.enforce_read_only_replicas);
}

TEST_CASE("failover errors name the file and the JSON path") {
  struct Case {
    const char* failover;
    const char* message;
  };
  const Case cases[] = {
      {R"({"pg": {}})", R"(failover.pg: no service named "pg" is defined; failover applies to a service's instances)"},
      {R"({"mysql": {"no_promotion": ["mysqlnode1", "node9"]}})",
       R"(failover.mysql.no_promotion[1]: "node9" is not an instance of service "mysql" (its instances: mysqlnode1, mysqlnode2))"},
      {R"({"mysql": {"no_promotion": "mysqlnode1"}})",
       R"(failover.mysql.no_promotion: expected an array of strings, got "mysqlnode1")"},
      {R"({"mysql": {"failcont": 3}})", R"(failover.mysql.failcont: unknown key; did you mean "failcount"?)"},
      {R"({"mysql": {"failcount": 0}})", "failover.mysql.failcount: expected integer 1-1000, got 0"},
      {R"({"mysql": {"interval": "0s"}})", R"(failover.mysql.interval: expected a duration of at least 1ms, got "0s")"},
      {R"({"mysql": {"timeout": "1"}})", R"(failover.mysql.timeout: invalid duration "1": missing unit (use ns, us, ms, s, m or h))"},
      {R"({"mysql": {"auto_failover": 1}})", "failover.mysql.auto_failover: expected true or false, got 1"},
      {R"({"mysql": {"user": ""}})", R"(failover.mysql.user: expected a non-empty string, got "")"},
      {R"({"mysql": {"state_file": ""}})", R"(failover.mysql.state_file: expected a non-empty string, got "")"},
      {R"({"mysql": {"max_replica_lag": "-1s"}})",
       R"(failover.mysql.max_replica_lag: invalid duration "-1s": must not be negative)"},
      {R"({"mysql": {"password": "a", "password_file": "p"}})", R"(failover.mysql: give "password" or "password_file", not both)"},
      {R"({"mysql": {"replication_password": "a", "replication_password_file": "p"}})",
       R"(failover.mysql: give "replication_password" or "replication_password_file", not both)"},
      {R"({"mysql": {"extra_port": 0}})", "failover.mysql.extra_port: expected integer 1-65535, got 0"},
      {R"({"mysql": 5})", "failover.mysql: expected an object, got 5"},
      {R"(["mysql"])", R"(failover: expected an object of service name to failover settings, got ["mysql"])"},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.failover));
    const auto loaded = load_text(with_failover(c.failover));
    CHECK_FALSE(loaded.config);
    REQUIRE(loaded.diagnostics.errors.size() == 1);
    CHECK(loaded.diagnostics.errors[0] == loaded.file + ": " + c.message);
  }
}

TEST_CASE("failover service names match case-insensitively, as DNS does") {
  const auto loaded = load_text(with_failover(R"({"MySQL": {}})"));
  REQUIRE(loaded.config);
  CHECK(loaded.config->failover.at(0).service == "mysql");  // stored lower-case, like the service names
}

TEST_CASE("password files: read, trailing newline stripped, relative to the config file") {
  TempDir dir;
  dir.write("secrets/probe.pass", "s3cret\n", 0600);
  dir.write("secrets/repl.pass", "r3pl\r\n", 0400);
  const auto file = dir.write("conf.d/failover.json", with_failover(R"({"mysql": {
    "password_file": "../secrets/probe.pass", "replication_password_file": ")" +
                                                                   (dir.path() / "secrets/repl.pass").string() + R"("}})"));
  const auto loaded = load_sources({{ConfigSource::Kind::file, file}});
  REQUIRE(loaded.diagnostics.errors.empty());
  CHECK(loaded.diagnostics.warnings.empty());
  REQUIRE(loaded.config);
  CHECK(loaded.config->failover.at(0).password == "s3cret");
  CHECK(loaded.config->failover.at(0).replication_password == "r3pl");
}

TEST_CASE("a password file readable by others is a warning with the fix") {
  TempDir dir;
  const auto secret = dir.write("probe.pass", "pw\n", 0644);
  const auto file = dir.write("f.json", with_failover(R"({"mysql": {"password_file": "probe.pass"}})"));
  const auto loaded = load_sources({{ConfigSource::Kind::file, file}});
  REQUIRE(loaded.config);
  CHECK(loaded.config->failover.at(0).password == "pw");
  REQUIRE(loaded.diagnostics.warnings.size() == 1);
  CHECK(loaded.diagnostics.warnings[0] == file.string() + ": failover.mysql.password_file: \"" + secret.string() +
                                              "\" is accessible by group or others; chmod 600 " + secret.string());
}

TEST_CASE("a missing password file is an error naming it") {
  TempDir dir;
  const auto file = dir.write("f.json", with_failover(R"({"mysql": {"replication_password_file": "nope.pass"}})"));
  const auto loaded = load_sources({{ConfigSource::Kind::file, file}});
  CHECK_FALSE(loaded.config);
  REQUIRE(loaded.diagnostics.errors.size() == 1);
  CHECK(loaded.diagnostics.errors[0] == file.string() + ": failover.mysql.replication_password_file: cannot read \"" +
                                            (dir.path() / "nope.pass").string() + "\": No such file or directory");
}

TEST_CASE("failover settings merge across files key by key") {
  TempDir dir;
  dir.write("a.json", with_failover(R"({"mysql": {"failcount": 5, "interval": "2s"}})"));
  dir.write("b.json", R"({"failover": {"mysql": {"interval": "3s"}}})");
  const auto loaded = load_sources({{ConfigSource::Kind::dir, dir.path()}});
  REQUIRE(loaded.config);
  CHECK(loaded.config->failover.at(0).failcount == 5);
  CHECK(loaded.config->failover.at(0).interval == 3s);
}

// Consul config dirs are often world-readable; a password written inline in
// one is readable by every local user, which the warning says and fixes.
TEST_CASE("an inline password in a config file readable by others is a warning with the fix") {
  const std::string both = R"({"mysql": {"password": "pw", "replication_password": "rpw"}})";
  struct Case {
    std::string failover;
    mode_t mode;
    bool warned;
  };
  const Case cases[] = {
      {both, 0644, true},
      {both, 0604, true},
      {both, 0640, false},  // a group that runs failoverdns may need to read its config
      {both, 0600, false},
      {R"({"mysql": {"password": "", "replication_password": ""}})", 0644, false},  // nothing to leak
  };
  for (const auto& c : cases) {
    CAPTURE(c.failover);
    CAPTURE(c.mode);
    TempDir dir;
    const auto file = dir.write("f.json", with_failover(c.failover), c.mode);
    const auto loaded = load_sources({{ConfigSource::Kind::file, file}});
    REQUIRE(loaded.config);
    if (!c.warned) {
      CHECK(loaded.diagnostics.warnings.empty());
      continue;
    }
    const std::string f = file.string();
    CHECK(loaded.diagnostics.warnings ==
          std::vector<std::string>{
              f + ": failover.mysql.password: \"" + f + "\" is readable by others; put the password in a file " +
                  "named by \"password_file\" (chmod 600 it), or chmod o-r " + f,
              f + ": failover.mysql.replication_password: \"" + f + "\" is readable by others; put the password in " +
                  "a file named by \"replication_password_file\" (chmod 600 it), or chmod o-r " + f,
          });
  }
}

TEST_CASE("kill_sessions_on_demote and hooks: defaults, every key, and errors with the JSON path") {
  SUBCASE("defaults: sessions are ended, no hooks, 30 s") {
    const auto loaded = load_text(with_failover(R"({"mysql": {}})"));
    REQUIRE(loaded.config);
    const auto& f = loaded.config->failover.at(0);
    CHECK(f.kill_sessions_on_demote);
    CHECK(f.hooks.empty());
    CHECK(f.hook_timeout == 30s);
  }
  SUBCASE("every key: a string runs through /bin/sh -c, an array is the argv") {
    const auto loaded = load_text(with_failover(R"({"mysql": {
      "kill_sessions_on_demote": false, "hook_timeout": "5s",
      "hooks": {"failover_started": "logger started", "failover_complete": ["/usr/local/bin/page", "--done"],
                "failover_failed": "f", "switchover": "s", "fenced": "echo \"$FAILOVERDNS_INSTANCE\" >> /tmp/x"}
    }})"));
    REQUIRE(loaded.diagnostics.errors.empty());
    REQUIRE(loaded.config);
    const auto& f = loaded.config->failover.at(0);
    CHECK_FALSE(f.kill_sessions_on_demote);
    CHECK(f.hook_timeout == 5s);
    CHECK(f.hooks.size() == 5);
    CHECK(f.hooks.at("failover_started") == std::vector<std::string>{"/bin/sh", "-c", "logger started"});
    CHECK(f.hooks.at("failover_complete") == std::vector<std::string>{"/usr/local/bin/page", "--done"});
    CHECK(f.hooks.at("fenced") == std::vector<std::string>{"/bin/sh", "-c", R"(echo "$FAILOVERDNS_INSTANCE" >> /tmp/x)"});
  }
  SUBCASE("errors") {
    struct Case {
      const char* failover;
      const char* message;
    };
    const Case cases[] = {
        {R"({"mysql": {"kill_sessions_on_demote": "yes"}})",
         R"(failover.mysql.kill_sessions_on_demote: expected true or false, got "yes")"},
        {R"({"mysql": {"hook_timeout": "0s"}})", R"(failover.mysql.hook_timeout: expected a duration of at least 1ms, got "0s")"},
        {R"({"mysql": {"hooks": ["echo"]}})", R"(failover.mysql.hooks: expected an object, got ["echo"])"},
        {R"({"mysql": {"hooks": {"failover_completed": "echo"}}})",
         R"(failover.mysql.hooks.failover_completed: unknown key; did you mean "failover_complete"?)"},
        {R"({"mysql": {"hooks": {"fenced": ""}}})", R"(failover.mysql.hooks.fenced: expected a command, got "")"},
        {R"({"mysql": {"hooks": {"fenced": []}}})", "failover.mysql.hooks.fenced: expected a program and its arguments"},
        {R"({"mysql": {"hooks": {"fenced": ["echo", 1]}}})", "failover.mysql.hooks.fenced[1]: expected a string, got 1"},
        {R"({"mysql": {"hooks": {"fenced": 5}}})",
         "failover.mysql.hooks.fenced: expected a command (a string for /bin/sh -c, or an array of program and "
         "arguments), got 5"},
    };
    for (const auto& c : cases) {
      INFO(std::string(c.failover));
      const auto loaded = load_text(with_failover(c.failover));
      CHECK_FALSE(loaded.config);
      REQUIRE(loaded.diagnostics.errors.size() == 1);
      CHECK(loaded.diagnostics.errors[0] == loaded.file + ": " + c.message);
    }
  }
}
