// First start, restart, cooldown, auto_failover=false, roles and events.
#include <doctest/doctest.h>

#include "unit/failover/decider_support.hpp"

using namespace failoverdns;
using namespace failoverdns::testing;

namespace {

bool no_primary(const Sim& sim) {
  return std::ranges::none_of(sim.last.roles, [](const auto& kv) { return kv.second.role == Role::primary; });
}

// db2 became primary `since` ago; db1 is fenced and away; db3 replicates
// from db2.
Sim after_failover(std::chrono::milliseconds since, FailoverSettings settings = default_settings()) {
  FailoverState st;
  st.primary = "db2";
  st.epoch = 2;
  st.fenced = {"db1"};
  st.gtid_lineage = "0-1-100";
  Sim sim(st);
  sim.settings = settings;
  sim.state.persistent.last_failover = sim.wall - since;
  sim.step({down_obs("db1"), primary_obs("db2", "0-2-150"), replica_obs("db3", {.source = "db2", .gtid = "0-2-150"})});
  REQUIRE(sim.role("db2") == Role::primary);
  REQUIRE(sim.role("db3") == Role::replica);
  return sim;
}

// db2 stops answering; db3 either still receives from it or lost it too.
void kill_db2(Sim& sim, bool db3_still_receives) {
  std::uint64_t hb = 0;
  auto db3 = [&] {
    ReplicaView v{.source = "db2", .gtid = "0-2-150", .heartbeats = ++hb};
    return db3_still_receives ? replica_obs("db3", v) : orphan_obs("db3", v);
  };
  sim.advance(1000ms, {down_obs("db2"), db3()});
  sim.advance(200ms, {down_obs("db2"), db3()});
  sim.advance(200ms, {down_obs("db2"), db3()});
}

}  // namespace

TEST_CASE("first start: the single writable, non-replicating instance becomes primary once saved") {
  Sim sim;
  sim.step({primary_obs("db1"), replica_obs("db2")});
  CHECK(sim.last.actions.empty());  // db3 not probed yet: a partial view decides nothing
  CHECK(sim.state.persistent.primary.empty());
  CHECK(no_primary(sim));

  sim.advance(100ms, {down_obs("db3")});
  CHECK(sim.event("primary_found").field("instance") == "db1");
  CHECK(sim.action_names() == std::vector<std::string>{"persist_state:db1"});
  CHECK(sim.find_action<PersistState>()->state.epoch == 1);
  CHECK(no_primary(sim));

  sim.advance(5ms, {}, {sim.ok_for<PersistState>()});
  CHECK(sim.role("db1") == Role::primary);
  CHECK(sim.role("db2") == Role::replica);
  CHECK(sim.last.roles.at("db3").health == Health::critical);
}

TEST_CASE("first start with two writable instances publishes none and names both") {
  Sim sim;
  sim.step({primary_obs("db1"), replica_obs("db2"), primary_obs("db3", "0-3-7")});
  CHECK(sim.last.actions.empty());
  CHECK(no_primary(sim));
  const auto& e = sim.event("split_brain");
  CHECK(e.level == LogLevel::error);
  CHECK(e.field("instances") == "db1,db3");
  CHECK(e.field("action").find("read_only=1") != std::string::npos);
  sim.advance(1000ms, {primary_obs("db1"), primary_obs("db3", "0-3-7")});
  CHECK_FALSE(sim.has_event("split_brain"));  // said once
  CHECK(no_primary(sim));
  // Someone fixes it: db3 is made read-only.
  auto fixed = primary_obs("db3", "0-3-7");
  fixed.read_only = true;
  sim.advance(1000ms, {fixed});
  CHECK(sim.event("primary_found").field("instance") == "db1");
}

TEST_CASE("first start with nothing reachable waits quietly; with nothing writable it says so") {
  Sim sim;
  sim.step({down_obs("db1"), down_obs("db2"), down_obs("db3")});
  CHECK(sim.last.actions.empty());
  CHECK(sim.last.events.empty());
  CHECK(sim.last.roles.at("db1") == InstanceRole{Role::none, Health::critical});
  sim.advance(1000ms, {replica_obs("db2")});
  CHECK(sim.last.actions.empty());
  CHECK(sim.event("no_writable_instance").level == LogLevel::warn);
}

TEST_CASE("restart with state: the saved primary stays primary, never flips") {
  FailoverState st;
  st.primary = "db2";
  st.epoch = 5;
  Sim sim(st);
  // db1 is also writable and not replicating (someone's mistake): the state
  // decides, db1 is reported, nothing is promoted or published in its place.
  sim.step({primary_obs("db1"), primary_obs("db2", "0-2-9"), replica_obs("db3", {.source = "db2"})});
  CHECK(sim.role("db2") == Role::primary);
  CHECK(sim.role("db1") == Role::none);
  CHECK(sim.role("db3") == Role::replica);
  CHECK(sim.last.actions.empty());
  CHECK(sim.event("unexpected_writable").field("instance") == "db1");
  CHECK(sim.state.persistent.primary == "db2");
  CHECK(sim.state.persistent.epoch == 5);
}

TEST_CASE("restart with state: the saved primary keeps its name until evidence says otherwise, never another one") {
  // Issue 8, defect 5: a restart published NXDOMAIN for a healthy primary
  // until its first probe came back (and for good during a partition).
  FailoverState st;
  st.primary = "db1";
  st.epoch = 1;
  Sim sim(st);
  sim.step({primary_obs("db3", "0-3-9"), replica_obs("db2")});
  CHECK(sim.role("db1") == Role::primary);
  CHECK(sim.role("db3") == Role::none);
  CHECK(sim.last.actions.empty());
  sim.advance(100ms, {primary_obs("db1")});
  CHECK(sim.role("db1") == Role::primary);

  SUBCASE("cut off from failoverdns, vouched for by a replica: still primary") {
    Sim cut(st);
    for (int i = 0; i < 5; ++i) {
      cut.advance(1000ms, {down_obs("db1"), replica_obs("db2", {.heartbeats = static_cast<std::uint64_t>(i)})});
      CHECK(cut.role("db1") == Role::primary);
    }
  }
  SUBCASE("dead, and nobody vouches: the name goes after failcount probes") {
    Sim dead(st);
    dead.step({down_obs("db1"), orphan_obs("db2"), orphan_obs("db3")});
    CHECK(dead.role("db1") == Role::primary);
    dead.advance(200ms, {down_obs("db1")});
    dead.advance(200ms, {down_obs("db1")});
    CHECK(dead.role("db1") == Role::none);
  }
}

TEST_CASE("restart with state: fenced nodes stay fenced until rejoined") {
  FailoverState st;
  st.primary = "db2";
  st.epoch = 2;
  st.fenced = {"db1"};
  Sim sim(st);
  sim.settings.auto_rejoin = false;
  auto db1 = primary_obs("db1");
  db1.read_only = true;
  sim.step({db1, primary_obs("db2", "0-2-9")});
  CHECK(sim.role("db1") == Role::fenced);
  CHECK(sim.last.actions.empty());
  // Writable again (someone restarted it without read_only in my.cnf).
  sim.advance(1000ms, {primary_obs("db1")});
  CHECK(sim.action_names() == std::vector<std::string>{"fence:db1"});
  CHECK(sim.role("db1") == Role::fenced);
}

TEST_CASE("restart during a promotion finishes promoting the saved candidate") {
  FailoverState st;
  st.primary = "db1";
  st.epoch = 1;
  st.promoting = PromotionIntent{"db2", "db1"};
  Sim sim(st);
  sim.step({down_obs("db1"), orphan_obs("db2"), orphan_obs("db3")});
  CHECK(sim.action_names() == std::vector<std::string>{"promote:db2"});
  sim.advance(10ms, {}, {sim.ok_for<Promote>({"b.000002", 4, "0-1-100"})});
  CHECK(sim.find_action<PersistState>()->state.primary == "db2");
  CHECK(sim.find_action<PersistState>()->state.epoch == 2);
  sim.advance(5ms, {}, {sim.ok_for<PersistState>()});
  CHECK(sim.role("db2") == Role::primary);
  CHECK(sim.role("db1") == Role::fenced);
}

TEST_CASE("restart during a promotion that had not started, with the old primary alive, drops it") {
  FailoverState st;
  st.primary = "db1";
  st.epoch = 1;
  st.promoting = PromotionIntent{"db2", "db1"};
  Sim sim(st);
  sim.step({primary_obs("db1"), replica_obs("db2"), replica_obs("db3")});
  CHECK(sim.has_event("failover_aborted"));
  CHECK(sim.action_names() == std::vector<std::string>{"persist_state:db1"});
  CHECK_FALSE(sim.find_action<PersistState>()->state.promoting.has_value());
  CHECK(sim.role("db1") == Role::primary);
}

TEST_CASE("restart during a promotion waits for a probe of every member; an old primary answering late ends it") {
  // Issue 8, defect 7: the old primary answered slowly after the restart,
  // and the candidate was promoted before its probe came back.
  FailoverState st;
  st.primary = "db1";
  st.epoch = 1;
  st.promoting = PromotionIntent{"db2", "db1"};
  Sim sim(st);
  sim.step({orphan_obs("db2"), orphan_obs("db3")});
  CHECK(sim.last.actions.empty());
  sim.advance(300ms, {primary_obs("db1")});
  CHECK(sim.has_event("failover_aborted"));
  CHECK(sim.action_names() == std::vector<std::string>{"persist_state:db1"});
  CHECK_FALSE(sim.find_action<PersistState>()->state.promoting.has_value());
  // Alive with an error answer counts as alive too.
  Sim full(st);
  full.step({orphan_obs("db2"), orphan_obs("db3"), full_obs("db1")});
  CHECK(full.has_event("failover_aborted"));
}

TEST_CASE("a saved intent naming an instance no longer configured is dropped") {
  FailoverState st;
  st.primary = "db1";
  st.epoch = 1;
  st.promoting = PromotionIntent{"gone", "db1"};
  Sim sim(st);
  sim.step({primary_obs("db1"), replica_obs("db2"), replica_obs("db3")});
  CHECK(sim.has_event("promotion_abandoned"));
  CHECK_FALSE(sim.find_action<PersistState>()->state.promoting.has_value());
  CHECK(sim.role("db1") == Role::primary);
}

TEST_CASE("cooldown blocks a failover the replicas do not confirm") {
  auto settings = default_settings();
  settings.verify_with_replicas = false;  // cooldown verifies anyway
  auto sim = after_failover(10000ms, settings);
  kill_db2(sim, /*db3_still_receives=*/true);
  CHECK(sim.has_event("primary_down"));
  CHECK(sim.last.actions.empty());
  const auto& e = sim.event("failover_blocked_by_cooldown");
  CHECK(e.field("replicas_still_receiving") == "db3");
  CHECK(e.field("reason").find("60000ms") != std::string::npos);
}

TEST_CASE("after the cooldown the same situation fails over (verify_with_replicas off)") {
  auto settings = default_settings();
  settings.verify_with_replicas = false;
  auto sim = after_failover(120000ms, settings);
  kill_db2(sim, true);
  CHECK(sim.action_names() == std::vector<std::string>{"wait_relay_log:db3"});
}

TEST_CASE("cooldown never leaves a dead new primary in place when a healthy candidate exists") {
  auto sim = after_failover(5000ms);
  kill_db2(sim, /*db3_still_receives=*/false);
  CHECK(sim.action_names() == std::vector<std::string>{"wait_relay_log:db3"});
  CHECK(sim.event("failover_started").field("cooldown").find("overridden") != std::string::npos);
  sim.advance(10ms, {}, {sim.ok_for<WaitRelayLog>()});
  sim.advance(5ms, {}, {sim.ok_for<PersistState>()});
  sim.advance(10ms, {}, {sim.ok_for<Promote>({"b.000003", 4, "0-2-150"})});
  const auto& saved = sim.find_action<PersistState>()->state;
  CHECK(saved.primary == "db3");
  CHECK(saved.epoch == 3);
  CHECK(saved.fenced == std::vector<std::string>{"db1", "db2"});
}

TEST_CASE("auto_failover=false detects and logs, never promotes") {
  auto settings = default_settings();
  settings.auto_failover = false;
  auto sim = healthy_cluster(settings);
  crash_primary(sim);
  CHECK(sim.last.actions.empty());
  CHECK(sim.event("primary_down").level == LogLevel::error);
  CHECK(sim.event("failover_disabled").field("action").find("promote a replica by hand") != std::string::npos);
  CHECK(no_primary(sim));
  for (int i = 0; i < 5; ++i) {
    sim.advance(1000ms, {down_obs("db1"), orphan_obs("db2"), orphan_obs("db3")});
    CHECK(sim.last.actions.empty());
    CHECK(sim.last.events.empty());
  }
  // It comes back: published again, the outage is closed in the log.
  sim.advance(1000ms, {primary_obs("db1"), replica_obs("db2"), replica_obs("db3")});
  CHECK(sim.role("db1") == Role::primary);
  CHECK(sim.has_event("primary_recovered"));
}

TEST_CASE("roles: replicas need IO and SQL running and lag within max_replica_lag") {
  auto settings = default_settings();
  settings.max_replica_lag = std::chrono::seconds(10);
  auto sim = healthy_cluster(settings);
  struct Case {
    const char* name;
    Observation db3;
    InstanceRole expected;
  };
  const std::vector<Case> cases = {
      {"healthy", replica_obs("db3", {.lag = 3}), {Role::replica, Health::passing}},
      {"lagging", replica_obs("db3", {.lag = 30}), {Role::none, Health::warning}},
      {"lag unknown", replica_obs("db3", {.lag = std::nullopt}), {Role::none, Health::warning}},
      {"IO stopped", replica_obs("db3", {.io_state = "No"}), {Role::none, Health::warning}},
      {"SQL error", replica_obs("db3", {.sql_running = false, .sql_errno = 1062}), {Role::none, Health::warning}},
      {"replicating from elsewhere", replica_obs("db3", {.source = "db2"}), {Role::none, Health::warning}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    sim.advance(1000ms, {c.db3});
    CHECK(sim.last.roles.at("db3") == c.expected);
  }
  // Unreachable: critical only after failcount lost probes.
  sim.advance(1000ms, {down_obs("db3")});
  CHECK(sim.last.roles.at("db3").health == Health::warning);
  sim.advance(1000ms, {down_obs("db3")});
  sim.advance(1000ms, {down_obs("db3")});
  CHECK(sim.last.roles.at("db3") == InstanceRole{Role::none, Health::critical});
}

TEST_CASE("a primary that is read-only or replicating is not published") {
  auto sim = healthy_cluster();
  auto ro = primary_obs("db1");
  ro.read_only = true;
  sim.advance(1000ms, {ro});
  CHECK(no_primary(sim));
  CHECK(sim.event("primary_not_writable").field("state") == "read_only=1");
  CHECK(sim.last.actions.empty());
  sim.advance(1000ms, {primary_obs("db1")});
  CHECK(sim.role("db1") == Role::primary);
}

TEST_CASE("role changes are logged, once") {
  auto sim = healthy_cluster();
  sim.advance(1000ms, {replica_obs("db3", {.io_state = "No"})});
  const auto& e = sim.event("role_changed");
  CHECK(e.field("instance") == "db3");
  CHECK(e.field("from") == "replica");
  CHECK(e.field("to") == "none");
  sim.advance(1000ms, {replica_obs("db3", {.io_state = "No"})});
  CHECK_FALSE(sim.has_event("role_changed"));
}

TEST_CASE("an action with no result in time counts as failed; unknown results are reported") {
  auto sim = healthy_cluster();
  crash_primary(sim);
  REQUIRE(sim.find_action<WaitRelayLog>());
  sim.advance(49000ms, {down_obs("db1")});
  CHECK_FALSE(sim.has_event("relay_log_wait_failed"));
  sim.advance(2000ms, {down_obs("db1")});
  CHECK(sim.event("relay_log_wait_failed").field("error") == "no result from the executor in time");
  sim.advance(10ms, {}, {ActionResult{987654, true, "", {}, {}}});
  CHECK(sim.event("unknown_action_result").field("action_id") == "987654");
}

TEST_CASE("untrusted positions never crash the decider") {
  auto sim = healthy_cluster();
  crash_primary(sim, {.gtid = "garbage-x"}, {.gtid = "0-1-5,0-1-6"});
  CHECK(sim.last.actions.empty());
  const auto& e = sim.event("no_candidate");
  CHECK(e.field("why").find("db2: unreadable position") != std::string::npos);
  CHECK(e.field("why").find("db3: unreadable position") != std::string::npos);
}
