// What the decider reports beyond roles, for _status and lag-<N>s names:
// each member's lag in whole seconds, and since when the primary is primary.
#include <doctest/doctest.h>

#include "unit/failover/decider_support.hpp"

using namespace failoverdns;
using namespace failoverdns::testing;
using Lag = std::optional<std::uint32_t>;

TEST_CASE("lags: Seconds_Behind_Master of the row to the primary; 0 for the primary; else unknown") {
  auto sim = healthy_cluster();
  CHECK(sim.last.lags.at("db1") == Lag(0));
  CHECK(sim.last.lags.at("db2") == Lag(0));
  struct Case {
    const char* name;
    Observation db3;
    Lag expected;
  };
  const std::vector<Case> cases = {
      {"behind", replica_obs("db3", {.lag = 42}), 42},
      {"NULL (SQL thread waiting, not running)", replica_obs("db3", {.lag = std::nullopt}), std::nullopt},
      {"replicating from elsewhere", replica_obs("db3", {.source = "db2", .lag = 1}), std::nullopt},
      {"unreachable", down_obs("db3"), std::nullopt},
      {"back", replica_obs("db3", {.lag = 1}), 1},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    sim.advance(1000ms, {c.db3});
    CHECK(sim.last.lags.at("db3") == c.expected);
  }
  // Lag does not make roles change or log: a lagging replica is still one.
  sim.advance(1000ms, {replica_obs("db3", {.lag = 300})});
  CHECK(sim.role("db3") == Role::replica);
  CHECK_FALSE(sim.has_event("role_changed"));
}

TEST_CASE("primary_since: set when a primary is first found and when one is promoted") {
  Sim sim;
  sim.step({primary_obs("db1"), replica_obs("db2"), down_obs("db3")});
  REQUIRE(sim.has_event("primary_found"));
  CHECK(sim.find_action<PersistState>()->state.primary_since == sim.wall);
  CHECK(sim.state.persistent.primary_since == sim.wall);

  auto healthy = healthy_cluster();
  crash_primary(healthy, {.gtid = "0-1-100"}, {.gtid = "0-1-98"});
  healthy.advance(800ms, {}, {healthy.ok_for<WaitRelayLog>()});
  healthy.advance(5ms, {}, {healthy.ok_for<PersistState>()});
  healthy.advance(60ms, {}, {healthy.ok_for<Promote>({"mysql-bin.000002", 342, "0-1-100"})});
  const auto& saved = healthy.find_action<PersistState>()->state;
  CHECK(saved.primary == "db2");
  CHECK(saved.primary_since == healthy.wall);
}
