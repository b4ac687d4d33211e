#include <doctest/doctest.h>

#include "config_fixture.hpp"

using namespace failoverdns;
using namespace failoverdns::testing;

TEST_CASE("script checks run only when Consul's keys allow them") {
  struct Case {
    const char* json;
    bool enabled;
  };
  for (auto [json, enabled] : {Case{R"({})", false}, Case{R"({"enable_script_checks": true})", true},
                               Case{R"({"enable_local_script_checks": true})", true},
                               Case{R"({"enable_script_checks": false, "enable_local_script_checks": true})", true},
                               Case{R"({"enable_script_checks": false})", false}}) {
    CAPTURE(json);
    auto loaded = load_text(json);
    REQUIRE(loaded.config);
    CHECK(loaded.config->enable_script_checks == enabled);
    // Keys failoverdns honours are not reported as ignored.
    for (const auto& w : loaded.diagnostics.warnings) CHECK(w.find("script_checks") == std::string::npos);
  }
  auto bad = load_text(R"({"enable_script_checks": "yes"})");
  CHECK_FALSE(bad.config);
}

TEST_CASE("a script check that will not run is a config warning naming it, so --check-config says so") {
  const std::string services = R"("services": [
      {"id": "web1", "name": "web", "address": "127.0.0.21", "port": 80,
       "checks": [{"args": ["/bin/true"], "interval": "1s"}, {"tcp": "127.0.0.21:80", "interval": "1s"}]},
      {"id": "db1", "name": "mysql", "address": "127.0.0.11", "port": 3306,
       "checks": [{"args": ["/bin/true"], "interval": "1s"}]}])";
  auto script_warnings = [](const Loaded& loaded) {
    int n = 0;
    for (const auto& w : loaded.diagnostics.warnings)
      if (w.find("this script check will not run") != std::string::npos) ++n;
    return n;
  };
  auto off = load_text("{" + services + "}");
  REQUIRE(off.config);
  REQUIRE(script_warnings(off) == 2);
  bool named = false;
  for (const auto& w : off.diagnostics.warnings)
    named |= w.find("services[0].checks[0]: this script check will not run: set enable_script_checks") != std::string::npos;
  CHECK(named);
  auto on = load_text(R"({"enable_script_checks": true, )" + services + "}");
  REQUIRE(on.config);
  CHECK(script_warnings(on) == 0);
  // Under failover no check of the service runs, of any kind: the
  // controller decides; said once per check.
  auto failover = load_text(R"({)" + services + R"(, "failover": {"mysql": {"password": "x"}}})");
  REQUIRE(failover.config);
  CHECK(script_warnings(failover) == 1);  // web's
  int under_failover = 0;
  for (const auto& w : failover.diagnostics.warnings)
    if (w.find("services[1].checks[0]: this check will not run: service \"mysql\" is under failover") !=
        std::string::npos)
      ++under_failover;
  CHECK(under_failover == 1);
}
