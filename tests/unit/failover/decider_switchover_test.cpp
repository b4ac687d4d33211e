// A planned switchover: refused unless the target can take over at once;
// otherwise the primary goes read-only, the target applies everything it
// wrote, and only then the promotion of a failover follows (intent saved,
// promote, saved, published). A target that does not catch up in time
// rolls it back: the old primary writable again, nothing promoted.
#include <doctest/doctest.h>

#include "unit/failover/decider_support.hpp"

using namespace failoverdns;
using namespace failoverdns::testing;

namespace {

bool no_primary(const Sim& sim) {
  return std::ranges::none_of(sim.last.roles, [](const auto& kv) { return kv.second.role == Role::primary; });
}

}  // namespace

TEST_CASE("switchover: demote, catch up, then the promotion of a failover; the old primary rejoins") {
  auto sim = healthy_cluster();
  sim.switchover(7, "db3");
  // First the state file says db1 is being demoted, so a restart in the
  // middle makes it writable again rather than leave it read-only.
  CHECK(sim.action_names() == std::vector<std::string>{"persist_state:db1"});
  CHECK(sim.find_action<PersistState>()->state.demoted == "db1");
  CHECK(sim.event("switchover_started").field("target") == "db3");
  CHECK(sim.event("switchover_started").field("request") == "7");
  sim.advance(5ms, {}, {sim.ok_for<PersistState>()});
  CHECK(sim.action_names() == std::vector<std::string>{"demote:db1"});
  CHECK(sim.role("db1") == Role::primary);  // still writable until the demote is done

  // Read-only at 0-1-105: db3 must apply exactly that before anything else.
  sim.advance(20ms, {}, {sim.ok_for<Demote>({"mysql-bin.000001", 900, "0-1-105"})});
  CHECK(sim.action_names() == std::vector<std::string>{"wait_relay_log:db3"});
  const auto* wait = sim.find_action<WaitRelayLog>();
  CHECK(wait->gtid == "0-1-105");
  CHECK(wait->timeout == sim.settings.switchover_timeout);
  CHECK(no_primary(sim));  // read-only: not published as the primary
  CHECK(sim.has_event("switchover_demoted"));

  sim.advance(30ms, {}, {sim.ok_for<WaitRelayLog>()});
  CHECK(sim.action_names() == std::vector<std::string>{"persist_state:db1"});
  REQUIRE(sim.find_action<PersistState>()->state.promoting.has_value());
  CHECK(sim.find_action<PersistState>()->state.promoting->candidate == "db3");
  sim.advance(5ms, {}, {sim.ok_for<PersistState>()});
  CHECK(sim.action_names() == std::vector<std::string>{"promote:db3"});
  sim.advance(40ms, {}, {sim.ok_for<Promote>({"mysql-bin.000003", 100, "0-1-105"})});
  const auto& saved = sim.find_action<PersistState>()->state;
  CHECK(saved.primary == "db3");
  CHECK(saved.epoch == 2);
  CHECK(saved.fenced == std::vector<std::string>{"db1"});
  CHECK(saved.demoted.empty());
  sim.advance(5ms, {}, {sim.ok_for<PersistState>()});
  CHECK(sim.role("db3") == Role::primary);
  const auto& done = sim.event("switchover_complete");
  CHECK(done.field("request") == "7");
  CHECK(done.field("old_primary") == "db1");
  CHECK_FALSE(sim.ever("failover_complete"));
  CHECK_FALSE(sim.ever("primary_down"));

  // At once: the old primary, read-only and holding nothing db3 lacks,
  // becomes its replica; db2 follows db3.
  auto names = sim.action_names();
  std::ranges::sort(names);
  CHECK(names == std::vector<std::string>{"redirect:db2", "rejoin:db1"});
}

TEST_CASE("switchover: without a target the most advanced replica is chosen") {
  auto sim = healthy_cluster();
  sim.advance(1000ms, {primary_obs("db1", "0-1-100"), replica_obs("db2", {.gtid = "0-1-98"}),
                       replica_obs("db3", {.gtid = "0-1-100"})});
  sim.switchover(1);
  CHECK(sim.event("switchover_started").field("target") == "db3");
}

TEST_CASE("switchover: refused, with the reason, when the target could not take over at once") {
  struct Case {
    const char* name;
    Observation db2;
    const char* to;
    const char* reason;
  };
  auto sql_error = replica_obs("db2", {.sql_running = false, .sql_errno = 1062});
  const Case cases[] = {
      {"lagging", replica_obs("db2", {.lag = 30}), "db2", "db2 is 30 s behind db1 (switchover_max_lag is 5000ms)"},
      {"lag unknown", replica_obs("db2", {.lag = std::nullopt}), "db2",
       "db2's lag is unknown (Seconds_Behind_Master is NULL)"},
      {"IO thread down", orphan_obs("db2"), "db2",
       "db2's IO thread is not receiving from db1: error 2003 error reconnecting to master"},
      {"SQL thread stopped", sql_error, "db2", "db2's SQL thread is not running: error 1062 Duplicate entry"},
      {"not replicating", primary_obs("db2"), "db2", "db2 does not replicate from db1"},
      {"unreachable", down_obs("db2"), "db2", "db2 does not answer probes: connect timed out after 1000ms"},
      {"unknown instance", replica_obs("db2"), "db9", "db9 is not an instance of mysql"},
      {"the primary itself", replica_obs("db2"), "db1", "db1 is the primary already"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto sim = healthy_cluster();
    sim.advance(1000ms, {primary_obs("db1"), c.db2, replica_obs("db3")});
    sim.switchover(3, c.to);
    CHECK(sim.last.actions.empty());
    const auto& refused = sim.event("switchover_refused");
    CHECK(refused.field("reason") == c.reason);
    CHECK(refused.field("request") == "3");
    CHECK(sim.role("db1") == Role::primary);
  }

  SUBCASE("the primary does not answer") {
    auto sim = healthy_cluster();
    sim.advance(1000ms, {down_obs("db1"), replica_obs("db2"), replica_obs("db3")});
    sim.switchover(4, "db2");
    CHECK(sim.event("switchover_refused").field("reason") ==
          "the primary db1 does not answer probes: if it is down, failover replaces it");
  }
  SUBCASE("one at a time") {
    auto sim = healthy_cluster();
    sim.switchover(5, "db2");
    sim.switchover(6, "db3");
    CHECK(sim.event("switchover_refused").field("reason") ==
          "a switchover or a failover is under way; try again after it");
  }
}

TEST_CASE("switchover: a target that does not catch up in time is rolled back, nothing promoted") {
  auto sim = healthy_cluster();
  sim.switchover(9, "db2");
  sim.advance(5ms, {}, {sim.ok_for<PersistState>()});
  sim.advance(20ms, {}, {sim.ok_for<Demote>({"mysql-bin.000001", 900, "0-1-105"})});
  sim.advance(10000ms, {}, {sim.failed_for<WaitRelayLog>("timed out waiting for 0-1-105")});
  CHECK(sim.action_names() == std::vector<std::string>{"make_writable:db1"});
  CHECK(no_primary(sim));
  sim.advance(10ms, {}, {sim.ok_for<MakeWritable>()});
  const auto& back = sim.event("switchover_rolled_back");
  CHECK(back.field("request") == "9");
  CHECK(back.field("reason").starts_with("db2 did not apply 0-1-105 within switchover_timeout (10000ms)"));
  CHECK(sim.role("db1") == Role::primary);  // writable again: published again
  CHECK(sim.state.persistent.primary == "db1");
  CHECK(sim.state.persistent.epoch == 1);
  CHECK(sim.state.persistent.demoted.empty());
  CHECK_FALSE(sim.ever("promoting"));

  SUBCASE("a failed rollback is retried, loudly") {
    auto again = healthy_cluster();
    again.switchover(10, "db2");
    again.advance(5ms, {}, {again.ok_for<PersistState>()});
    again.advance(20ms, {}, {again.failed_for<Demote>("Lost connection")});
    CHECK(again.action_names() == std::vector<std::string>{"make_writable:db1"});
    again.advance(10ms, {}, {again.failed_for<MakeWritable>("Lost connection")});
    CHECK(again.has_event("switchover_rollback_failed"));
    again.advance(1000ms, {primary_obs("db1"), replica_obs("db2"), replica_obs("db3")});
    CHECK(again.action_names() == std::vector<std::string>{"make_writable:db1"});
  }
}

TEST_CASE("switchover: a reload in the middle rolls it back (the result went to the old controller)") {
  auto sim = healthy_cluster();
  sim.switchover(11, "db2");
  sim.advance(5ms, {}, {sim.ok_for<PersistState>()});
  sim.advance(20ms, {}, {sim.ok_for<Demote>({"mysql-bin.000001", 900, "0-1-105"})});
  REQUIRE(sim.find_action<WaitRelayLog>());
  sim.state = sim.state.handed_over();
  sim.advance(10ms);
  CHECK(sim.action_names() == std::vector<std::string>{"make_writable:db1"});
  CHECK(sim.has_event("switchover_rolling_back"));
}

TEST_CASE("switchover: failoverdns restarted after the demotion makes the old primary writable again") {
  FailoverState st;
  st.primary = "db1";
  st.epoch = 1;
  st.demoted = "db1";
  Sim sim(st);
  auto read_only_db1 = [] {
    auto o = primary_obs("db1");
    o.read_only = true;
    return o;
  };
  sim.step({read_only_db1(), replica_obs("db2")});
  CHECK(sim.last.actions.empty());  // not every member probed yet
  sim.advance(10ms, {replica_obs("db3")});
  CHECK(sim.action_names() == std::vector<std::string>{"make_writable:db1"});
  sim.advance(10ms, {}, {sim.ok_for<MakeWritable>()});
  CHECK(sim.has_event("switchover_rolled_back"));
  CHECK(sim.state.persistent.demoted.empty());
  CHECK(sim.role("db1") == Role::primary);

  SUBCASE("not when another server took over meanwhile") {
    Sim other(st);
    other.step({read_only_db1(), primary_obs("db2"), replica_obs("db3", {.source = "db2"})});
    CHECK(other.last.actions.empty());
    CHECK(other.has_event("switchover_rollback_withheld"));
  }
}

TEST_CASE("maintenance: a replica leaves DNS and the candidates, across restarts, until disabled") {
  auto sim = healthy_cluster();
  sim.maintenance(1, "db2", true, "disk swap");
  CHECK(sim.event("maintenance_enabled").field("reason") == "disk swap");
  CHECK(sim.event("maintenance_enabled").field("request") == "1");
  CHECK(sim.last.roles.at("db2").health == Health::critical);  // out of DNS
  CHECK(sim.find_action<PersistState>()->state.maintenance == std::map<std::string, std::string>{{"db2", "disk swap"}});
  sim.advance(5ms, {}, {sim.ok_for<PersistState>()});

  // db2 would come first (configuration order): it is in maintenance.
  crash_primary(sim, {.gtid = "0-1-100"}, {.gtid = "0-1-100"});
  CHECK(sim.action_names() == std::vector<std::string>{"wait_relay_log:db3"});

  auto restarted = Sim(sim.state.persistent);
  restarted.step({primary_obs("db1"), replica_obs("db2"), replica_obs("db3")});
  CHECK(restarted.last.roles.at("db2").health == Health::critical);

  sim.maintenance(2, "db2", false);
  CHECK(sim.has_event("maintenance_disabled"));
  CHECK(sim.state.persistent.maintenance.empty());
  sim.maintenance(3, "db9", true);
  CHECK(sim.event("maintenance_refused").field("reason") == "db9 is not an instance of mysql");
}

TEST_CASE("maintenance on the primary: a switchover first, then the old primary is in maintenance") {
  auto sim = healthy_cluster();
  sim.advance(1000ms, {primary_obs("db1", "0-1-100"), replica_obs("db2", {.gtid = "0-1-100"}),
                       replica_obs("db3", {.gtid = "0-1-99"})});
  sim.maintenance(4, "db1", true, "kernel upgrade");
  CHECK(sim.event("switchover_started").field("target") == "db2");
  sim.advance(5ms, {}, {sim.ok_for<PersistState>()});
  sim.advance(20ms, {}, {sim.ok_for<Demote>({"mysql-bin.000001", 900, "0-1-100"})});
  sim.advance(20ms, {}, {sim.ok_for<WaitRelayLog>()});
  sim.advance(5ms, {}, {sim.ok_for<PersistState>()});
  sim.advance(40ms, {}, {sim.ok_for<Promote>({"mysql-bin.000003", 100, "0-1-100"})});
  sim.advance(5ms, {}, {sim.ok_for<PersistState>()});
  CHECK(sim.role("db2") == Role::primary);
  CHECK(sim.event("maintenance_enabled").field("instance") == "db1");
  CHECK(sim.event("maintenance_enabled").field("request") == "4");
  CHECK(sim.state.persistent.maintenance.at("db1") == "kernel upgrade");

  SUBCASE("refused when no replica could take over") {
    auto alone = healthy_cluster();
    alone.advance(1000ms, {primary_obs("db1"), orphan_obs("db2"), down_obs("db3")});
    alone.maintenance(5, "db1", true);
    CHECK(alone.event("maintenance_refused").field("reason").starts_with(
        "db1 is the primary, and no switchover is possible to take it out:"));
    CHECK(alone.last.actions.empty());
  }
}
