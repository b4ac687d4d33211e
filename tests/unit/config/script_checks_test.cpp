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
