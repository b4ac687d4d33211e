#include <doctest/doctest.h>

#include "unit/config/config_fixture.hpp"

using namespace failoverdns;
using namespace failoverdns::testing;
using namespace std::chrono_literals;

TEST_CASE("the seed's Consul service file loads as it is") {
  const std::filesystem::path seed = std::filesystem::path(FAILOVERDNS_SOURCE_DIR) / "conf" / "consul-seed.json";
  const auto loaded = load_sources({{ConfigSource::Kind::file, seed}});
  REQUIRE(loaded.diagnostics.errors.empty());
  // Only that its script checks will not run (Consul's default too).
  REQUIRE(loaded.diagnostics.warnings.size() == 2);
  for (const auto& w : loaded.diagnostics.warnings) CHECK(w.find("this script check will not run") != std::string::npos);
  REQUIRE(loaded.config);
  const auto& services = loaded.config->services;
  REQUIRE(services.size() == 2);
  const std::pair<const char*, const char*> expected[] = {{"mysqlnode1", "172.25.0.11"}, {"mysqlnode2", "172.25.0.12"}};
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& s = services[i];
    CAPTURE(i);
    CHECK(s.id == expected[i].first);
    CHECK(s.name == "mysql");
    CHECK(s.node == expected[i].first);
    CHECK(s.address == expected[i].second);
    CHECK(s.port == 3306);
    CHECK(s.tags == std::vector<std::string>{"master"});
    CHECK(s.path == seed.string() + ": services[" + std::to_string(i) + "]");
    REQUIRE(s.checks.size() == 1);
    const auto& c = s.checks[0];
    CHECK(c.kind == CheckKind::script);
    CHECK(c.args == std::vector<std::string>{"/bin/sh", "-c",
                                             std::string("bash /usr/local/consul/mysqltest.sh ") + expected[i].second});
    CHECK(c.interval == 5s);
    CHECK(c.timeout == 30s);
    CHECK(c.id == std::string("service:") + expected[i].first);
    CHECK(c.name == "Service 'mysql' check");
    CHECK(c.path == seed.string() + ": services[" + std::to_string(i) + "].checks[0]");
  }
}

TEST_CASE("service definition defaults") {
  const auto loaded = load_text(R"({"service": {"name": "web"}})");
  REQUIRE(loaded.config);
  REQUIRE(loaded.config->services.size() == 1);
  const auto& s = loaded.config->services[0];
  CHECK(s.id == "web");
  CHECK(s.node == "web");
  CHECK(s.address == loaded.config->advertise_addr);
  CHECK(s.port == 0);
  CHECK(s.tags.empty());
  CHECK(s.meta.empty());
  CHECK(s.weight_passing == 1);
  CHECK(s.weight_warning == 1);
  CHECK(s.checks.empty());
  CHECK(s.path == loaded.file + ": service");
}

TEST_CASE("every service key is read") {
  const auto loaded = load_text(R"({"services": [{
    "id": "web-1", "name": "web", "tags": ["v1", "Blue"], "address": "2001:db8::5", "port": 8080,
    "meta": {"version": "1.2"}, "weights": {"passing": 10, "warning": 2}, "node": "host7"
  }]})");
  REQUIRE(loaded.diagnostics.errors.empty());
  REQUIRE(loaded.config);
  const auto& s = loaded.config->services.at(0);
  CHECK(s.id == "web-1");
  CHECK(s.name == "web");
  CHECK(s.tags == std::vector<std::string>{"v1", "blue"});  // DNS names are lower-case
  CHECK(s.address == "2001:db8::5");
  CHECK(s.port == 8080);
  CHECK(s.meta == std::map<std::string, std::string>{{"version", "1.2"}});
  CHECK(s.weight_passing == 10);
  CHECK(s.weight_warning == 2);
  CHECK(s.node == "host7");
}

TEST_CASE("an empty address means the agent's address") {
  const auto loaded = load_text(R"({"advertise_addr": "10.0.0.9", "service": {"name": "web", "address": ""}})");
  REQUIRE(loaded.config);
  CHECK(loaded.config->services.at(0).address == "10.0.0.9");
}

TEST_CASE("names that go into DNS are lower-case after loading, ids keep their spelling") {
  const auto loaded = load_text(R"({
    "datacenter": "DC1", "domain": "Consul", "alt_domain": "Example.ORG",
    "services": [
      {"id": "MySQLNode1", "name": "MySQL", "address": "172.25.0.11", "port": 3306, "tags": ["Master", "v1"]},
      {"id": "web2", "name": "web", "address": "::1", "node": "Host7"}],
    "failover": {"MYSQL": {"password": "x"}}})");
  REQUIRE(loaded.diagnostics.errors.empty());
  REQUIRE(loaded.config);
  const auto& c = *loaded.config;
  CHECK(c.datacenter == "dc1");
  CHECK(c.domain == "consul");
  CHECK(c.alt_domain == "example.org");
  CHECK(c.services.at(0).id == "MySQLNode1");  // DNS never matches on ids
  CHECK(c.services.at(0).name == "mysql");
  CHECK(c.services.at(0).node == "mysqlnode1");  // the node defaults to the id
  CHECK(c.services.at(0).tags == std::vector<std::string>{"master", "v1"});
  CHECK(c.services.at(1).node == "host7");
  REQUIRE(c.failover.size() == 1);
  CHECK(c.failover[0].service == "mysql");
  CHECK(c.failover_for("mysql") == &c.failover[0]);
}

TEST_CASE("a tag with a dot can never be looked up: a warning names it") {
  const auto loaded = load_text(R"({"service": {"name": "web", "tags": ["v1", "eu.west", "blue"]}})");
  REQUIRE(loaded.config);
  CHECK(loaded.config->services.at(0).tags == std::vector<std::string>{"v1", "eu.west", "blue"});
  REQUIRE(loaded.diagnostics.warnings.size() == 1);
  CHECK(loaded.diagnostics.warnings[0] ==
        loaded.file +
            ": service.tags[1]: \"eu.west\" contains a dot, so no DNS name can look it up (<tag>.<service>.service "
            "takes the tag as one label); the instance is still served under its other names");
}

TEST_CASE("a service id that is not a DNS label gives a usable node name and a warning") {
  const auto loaded = load_text(R"({"service": {"id": "web_1.a", "name": "web"}})");
  REQUIRE(loaded.config);
  CHECK(loaded.config->services.at(0).node == "web-1-a");
  REQUIRE(loaded.diagnostics.warnings.size() == 1);
  CHECK(loaded.diagnostics.warnings[0] == loaded.file +
                                              ": service.id: \"web_1.a\" is not a DNS label, so SRV targets name its "
                                              "node \"web-1-a\"; set \"node\" to choose another");
}

TEST_CASE("check kinds, their default timeouts and Consul's check ids") {
  const auto loaded = load_text(R"({"service": {"id": "db1", "name": "mysql",
    "check": {"mariadb": true},
    "checks": [
      {"args": ["/usr/bin/check", "--fast"], "interval": "2s", "timeout": "3s", "id": "mine", "name": "My check",
       "success_before_passing": 2, "failures_before_critical": 3},
      {"tcp": "127.0.0.1:3306"},
      {"tcp": "[::1]:3306"},
      {"script": "exit 0"},
      {"http": "http://localhost/health", "interval": "10s", "method": "GET"}
    ]}})");
  REQUIRE(loaded.diagnostics.errors.empty());
  REQUIRE(loaded.config);
  const auto& checks = loaded.config->services.at(0).checks;
  REQUIRE(checks.size() == 5);  // the http check is dropped

  CHECK(checks[0].kind == CheckKind::mariadb);
  CHECK(checks[0].timeout == 1s);
  CHECK(checks[0].interval == 10s);
  CHECK(checks[0].id == "service:db1:1");  // "check" comes first, numbering over all six
  CHECK(checks[0].path == loaded.file + ": service.check");

  CHECK(checks[1].kind == CheckKind::script);
  CHECK(checks[1].args == std::vector<std::string>{"/usr/bin/check", "--fast"});
  CHECK(checks[1].interval == 2s);
  CHECK(checks[1].timeout == 3s);
  CHECK(checks[1].id == "mine");
  CHECK(checks[1].name == "My check");
  CHECK(checks[1].success_before_passing == 2);
  CHECK(checks[1].failures_before_critical == 3);
  CHECK(checks[1].path == loaded.file + ": service.checks[0]");

  CHECK(checks[2].kind == CheckKind::tcp);
  CHECK(checks[2].tcp == "127.0.0.1:3306");
  CHECK(checks[2].timeout == 10s);
  CHECK(checks[2].id == "service:db1:3");
  CHECK(checks[2].name == "Service 'mysql' check");
  CHECK(checks[3].tcp == "[::1]:3306");

  CHECK(checks[4].kind == CheckKind::script);
  CHECK(checks[4].args == std::vector<std::string>{"/bin/sh", "-c", "exit 0"});
  CHECK(checks[4].timeout == 30s);
  CHECK(checks[4].success_before_passing == 0);
  CHECK(checks[4].failures_before_critical == 0);

  // The http check, and the two script checks that will not run without
  // enable_script_checks.
  REQUIRE(loaded.diagnostics.warnings.size() == 3);
  CHECK(loaded.diagnostics.warnings[0] ==
        loaded.file + ": service.checks[4]: \"http\" checks are not supported, check ignored");
  for (std::size_t i : {1u, 2u})
    CHECK(loaded.diagnostics.warnings[i].find("this script check will not run") != std::string::npos);
}

TEST_CASE("\"mariadb\": false is no check kind at all") {
  const auto loaded = load_text(R"({"service": {"name": "mysql", "check": {"mariadb": false}}})");
  CHECK_FALSE(loaded.config);
  REQUIRE(loaded.diagnostics.errors.size() == 1);
  CHECK(loaded.diagnostics.errors[0] ==
        loaded.file + ": service.check: a check needs one of \"script\", \"args\", \"tcp\" or \"mariadb\": true");
}

TEST_CASE("every Consul check type we do not run is ignored with a warning") {
  for (const char* kind : {"http", "ttl", "grpc", "h2ping", "udp", "os_service", "alias_service", "docker_container_id"}) {
    INFO(std::string(kind));
    const auto loaded =
        load_text(std::string(R"({"service": {"name": "a", "check": {")") + kind + R"(": "x", "interval": "1s"}}})");
    REQUIRE(loaded.config);
    CHECK(loaded.config->services.at(0).checks.empty());
    REQUIRE(loaded.diagnostics.warnings.size() == 1);
    CHECK(loaded.diagnostics.warnings[0] ==
          loaded.file + ": service.check: \"" + kind + "\" checks are not supported, check ignored");
  }
}
