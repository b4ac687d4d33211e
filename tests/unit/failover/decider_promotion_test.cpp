// The promotion sequence, its failures, and what happens to the other
// instances afterwards: redirect, fence, rejoin or report divergence.
#include <doctest/doctest.h>

#include "unit/failover/decider_support.hpp"

using namespace failoverdns;
using namespace failoverdns::testing;

namespace {

bool no_primary(const Sim& sim) {
  return std::ranges::none_of(sim.last.roles, [](const auto& kv) { return kv.second.role == Role::primary; });
}

// Runs a failover of db1 to db2 to completion; db3 is left to be redirected.
void fail_over_to_db2(Sim& sim, const std::string& received = "0-1-100") {
  crash_primary(sim, {.gtid = received}, {.gtid = "0-1-90"});
  REQUIRE(sim.find_action<WaitRelayLog>());
  REQUIRE(sim.find_action<WaitRelayLog>()->instance == "db2");
  sim.advance(100ms, {}, {sim.ok_for<WaitRelayLog>()});
  sim.advance(5ms, {}, {sim.ok_for<PersistState>()});
  sim.advance(50ms, {}, {sim.ok_for<Promote>({"mysql-bin.000002", 342, received})});
  sim.advance(5ms, {}, {sim.ok_for<PersistState>()});
  REQUIRE(sim.role("db2") == Role::primary);
}

}  // namespace

TEST_CASE("three nodes: drain, save intent, promote, save, publish, then redirect the other replica") {
  auto sim = healthy_cluster();
  crash_primary(sim, {.gtid = "0-1-100"}, {.gtid = "0-1-98"});

  // (1) the candidate applies everything it received.
  CHECK(sim.action_names() == std::vector<std::string>{"wait_relay_log:db2"});
  CHECK(sim.find_action<WaitRelayLog>()->gtid == "0-1-100");
  CHECK(no_primary(sim));

  // The intent is saved before anything irreversible happens.
  sim.advance(800ms, {}, {sim.ok_for<WaitRelayLog>()});
  CHECK(sim.action_names() == std::vector<std::string>{"persist_state:db1"});
  const auto* intent = sim.find_action<PersistState>();
  REQUIRE(intent->state.promoting.has_value());
  CHECK(intent->state.promoting->candidate == "db2");
  CHECK(intent->state.promoting->old_primary == "db1");
  CHECK(no_primary(sim));

  // (2) promote.
  sim.advance(5ms, {}, {sim.ok_for<PersistState>()});
  CHECK(sim.action_names() == std::vector<std::string>{"promote:db2"});
  CHECK(no_primary(sim));

  // (3) persist the new primary before (4) publishing it.
  sim.advance(60ms, {}, {sim.ok_for<Promote>({"mysql-bin.000002", 342, "0-1-100"})});
  CHECK(sim.action_names() == std::vector<std::string>{"persist_state:db2"});
  const auto& saved = sim.find_action<PersistState>()->state;
  CHECK(saved.primary == "db2");
  CHECK(saved.epoch == 2);
  CHECK(saved.coordinates == PromotionCoordinates{"mysql-bin.000002", 342, "0-1-100"});
  CHECK(saved.fenced == std::vector<std::string>{"db1"});
  CHECK(saved.last_failover == sim.wall);
  CHECK_FALSE(saved.promoting.has_value());
  CHECK(saved.gtid_lineage == "0-1-100");
  CHECK(no_primary(sim));
  CHECK(sim.role("db1") == Role::fenced);

  // (4) published, (5) the other replica follows the new primary.
  sim.advance(5ms, {}, {sim.ok_for<PersistState>()});
  CHECK(sim.role("db2") == Role::primary);
  CHECK(sim.last.roles.at("db2").health == Health::passing);
  CHECK(sim.action_names() == std::vector<std::string>{"redirect:db3"});
  const auto* redirect = sim.find_action<Redirect>();
  CHECK(redirect->primary == "db2");
  CHECK(redirect->host == "127.0.0.12");
  CHECK(redirect->port == 3306);
  // The summary: 2 rechecks to confirm, the relay-log wait, intent + promote,
  // the final save; they add up to the outage.
  const auto& summary = sim.event("failover_complete");
  CHECK(summary.field("detection") == "400ms");
  CHECK(summary.field("relay_log_wait") == "800ms");
  CHECK(summary.field("promotion") == "65ms");
  CHECK(summary.field("state_saved") == "5ms");
  CHECK(summary.field("outage") == "1270ms");

  // The redirect's result comes before db3's next probe: db3's last
  // observation still shows db1, and must not trigger another redirect.
  sim.advance(5ms, {}, {sim.ok_for<Redirect>()});
  CHECK(sim.last.actions.empty());
  sim.advance(5ms, {}, {});
  CHECK(sim.last.actions.empty());

  // db3 replicates from db2: it is a replica again.
  sim.advance(100ms, {replica_obs("db3", {.source = "db2", .gtid = "0-1-100"})}, {});
  CHECK(sim.role("db3") == Role::replica);
  CHECK(sim.last.actions.empty());

  // The whole story, in order, as a person reads it in the log.
  std::vector<std::string> story;
  for (const auto& e : sim.timeline)
    if (e.name != "role_changed" && e.name != "primary_probe_failed") story.push_back(e.name);
  CHECK(story == std::vector<std::string>{"primary_down", "failover_started", "relay_log_applied", "state_saved",
                                          "promoting", "promoted", "state_saved", "failover_complete", "redirecting",
                                          "redirected"});
  for (const auto& e : sim.timeline) CHECK(e.field("service") == "mysql");
}

TEST_CASE("a failed relay-log wait publishes nothing and retries the most advanced replica") {
  auto sim = healthy_cluster();
  crash_primary(sim, {.gtid = "0-1-100"}, {.gtid = "0-1-98"});
  sim.advance(30000ms, {}, {sim.failed_for<WaitRelayLog>("MASTER_GTID_WAIT timed out")});
  CHECK(sim.last.actions.empty());
  CHECK(no_primary(sim));
  const auto& e = sim.event("relay_log_wait_failed");
  CHECK(e.level == LogLevel::error);
  CHECK(e.field("candidate") == "db2");
  CHECK(e.field("error") == "MASTER_GTID_WAIT timed out");
  CHECK(sim.state.persistent.primary == "db1");
  // db3 received less: it is not promoted instead; db2 is tried again.
  sim.advance(500ms, {down_obs("db1"), orphan_obs("db2", {.gtid = "0-1-100"}), orphan_obs("db3", {.gtid = "0-1-98"})});
  CHECK(sim.last.actions.empty());
  sim.advance(500ms, {down_obs("db1")});
  CHECK(sim.action_names() == std::vector<std::string>{"wait_relay_log:db2"});
}

TEST_CASE("after a failed relay-log wait an equally advanced replica is tried next") {
  auto sim = healthy_cluster();
  crash_primary(sim, {.gtid = "0-1-100"}, {.gtid = "0-1-100"});
  REQUIRE(sim.find_action<WaitRelayLog>()->instance == "db2");
  sim.advance(30000ms, {}, {sim.failed_for<WaitRelayLog>("timed out")});
  sim.advance(1000ms, {down_obs("db1"), orphan_obs("db2"), orphan_obs("db3")});
  CHECK(sim.action_names() == std::vector<std::string>{"wait_relay_log:db3"});
}

TEST_CASE("a failed promote is not published and is retried on the same candidate") {
  auto sim = healthy_cluster();
  crash_primary(sim);
  sim.advance(10ms, {}, {sim.ok_for<WaitRelayLog>()});
  sim.advance(5ms, {}, {sim.ok_for<PersistState>()});
  sim.advance(10ms, {}, {sim.failed_for<Promote>("Lost connection to server during query")});
  CHECK(sim.last.actions.empty());
  CHECK(no_primary(sim));
  CHECK(sim.has_event("promote_failed"));
  sim.advance(1000ms, {orphan_obs("db2")});
  CHECK(sim.action_names() == std::vector<std::string>{"promote:db2"});
  sim.advance(10ms, {}, {sim.ok_for<Promote>({"mysql-bin.000002", 4, "0-1-100"})});
  CHECK(sim.state.persistent.primary == "db2");
  CHECK(no_primary(sim));  // not before the save
}

TEST_CASE("a candidate that dies during the promotion is abandoned for the next one") {
  auto sim = healthy_cluster();
  // Both received everything; db2 comes first in the configuration.
  crash_primary(sim, {.gtid = "0-1-100"}, {.gtid = "0-1-100"});
  sim.advance(10ms, {}, {sim.ok_for<WaitRelayLog>()});
  sim.advance(5ms, {}, {sim.ok_for<PersistState>()});
  sim.advance(10ms, {down_obs("db2")}, {sim.failed_for<Promote>("Lost connection")});
  sim.advance(1000ms, {down_obs("db2"), orphan_obs("db3", {.gtid = "0-1-100"})});
  sim.advance(1000ms, {down_obs("db2")});
  CHECK(sim.has_event("promotion_abandoned"));
  // The saved intent is withdrawn and db3, the best one left, is drained.
  const auto* save = sim.find_action<PersistState>();
  REQUIRE(save);
  CHECK_FALSE(save->state.promoting.has_value());
  CHECK(sim.find_action<WaitRelayLog>() != nullptr);
  CHECK(sim.find_action<WaitRelayLog>()->instance == "db3");
}

TEST_CASE("a state save failure keeps the new primary unpublished until a save succeeds") {
  auto sim = healthy_cluster();
  crash_primary(sim);
  sim.advance(10ms, {}, {sim.ok_for<WaitRelayLog>()});
  sim.advance(5ms, {}, {sim.ok_for<PersistState>()});
  sim.advance(10ms, {}, {sim.ok_for<Promote>({"b.000002", 4, "0-1-100"})});
  sim.advance(5ms, {}, {sim.failed_for<PersistState>("No space left on device")});
  CHECK(sim.event("state_save_failed").field("error") == "No space left on device");
  CHECK(no_primary(sim));
  CHECK(sim.last.actions.empty());
  sim.advance(1000ms, {});
  CHECK(sim.action_names() == std::vector<std::string>{"persist_state:db2"});
  sim.advance(5ms, {}, {sim.ok_for<PersistState>()});
  CHECK(sim.role("db2") == Role::primary);
}

TEST_CASE("the old primary answering during the relay-log wait cancels the failover") {
  auto sim = healthy_cluster();
  crash_primary(sim);
  auto late = sim.ok_for<WaitRelayLog>();
  sim.advance(1000ms, {primary_obs("db1")});
  CHECK(sim.has_event("failover_aborted"));
  CHECK(sim.role("db1") == Role::primary);
  // The wait's result arrives afterwards: nothing follows from it.
  sim.advance(10ms, {}, {late});
  CHECK(sim.last.actions.empty());
  CHECK(sim.state.persistent.primary == "db1");
  CHECK(sim.state.persistent.epoch == 1);
}

TEST_CASE("a former primary that comes back is fenced at once and never published") {
  auto sim = healthy_cluster();
  fail_over_to_db2(sim);
  // Gone, it is looked for every recheck_interval: it is fenced within that
  // of coming back, not within a whole interval.
  sim.advance(200ms, {down_obs("db1")});
  CHECK(sim.last.next_probe_in.at("db1") == 200ms);
  sim.advance(1000ms, {primary_obs("db1", "0-1-100")});
  CHECK(sim.role("db1") == Role::fenced);
  CHECK(sim.role("db2") == Role::primary);
  CHECK(sim.action_names() == std::vector<std::string>{"fence:db1"});
  CHECK(sim.event("fencing").level == LogLevel::warn);
  // While the fence is in flight nothing else is sent to db1.
  sim.advance(1000ms, {primary_obs("db1", "0-1-100")});
  CHECK(sim.last.actions.empty());
  CHECK(sim.role("db1") == Role::fenced);
}

TEST_CASE("a fenced former primary rejoins unless it diverged") {
  SUBCASE("contained: rejoin with GTID, then it is a replica") {
    auto sim = healthy_cluster();
    fail_over_to_db2(sim);
    sim.advance(1000ms, {primary_obs("db1", "0-1-100")});
    sim.advance(10ms, {}, {sim.ok_for<Fence>()});
    CHECK(sim.action_names() == std::vector<std::string>{"rejoin:db1"});
    const auto* rejoin = sim.find_action<Rejoin>();
    CHECK(rejoin->primary == "db2");
    CHECK(rejoin->host == "127.0.0.12");
    // Configured is not done: fenced until a probe shows it replicating.
    sim.advance(200ms, {}, {sim.ok_for<Rejoin>()});
    CHECK(sim.has_event("rejoin_configured"));
    CHECK(sim.state.persistent.fenced == std::vector<std::string>{"db1"});
    CHECK(sim.role("db1") == Role::fenced);
    sim.advance(1000ms, {replica_obs("db1", {.source = "db2", .gtid = "0-1-100"})});
    CHECK(sim.has_event("rejoined"));
    CHECK(sim.state.persistent.fenced.empty());
    CHECK(sim.action_names() == std::vector<std::string>{"persist_state:db2"});
    sim.advance(1000ms, {replica_obs("db1", {.source = "db2", .gtid = "0-1-100"})}, {sim.ok_for<PersistState>()});
    CHECK(sim.role("db1") == Role::replica);
  }
  SUBCASE("behind is fine too, even after the new primary wrote") {
    auto sim = healthy_cluster();
    fail_over_to_db2(sim);
    auto p = primary_obs("db2", "0-2-150");
    p.gtid_current_pos = "0-2-150";
    sim.advance(1000ms, {p});
    auto back = primary_obs("db1", "0-1-97");
    back.read_only = true;
    sim.advance(1000ms, {back});
    CHECK(sim.action_names() == std::vector<std::string>{"rejoin:db1"});
  }
  SUBCASE("diverged: stays fenced, and the log lists the GTIDs and what to do") {
    auto sim = healthy_cluster();
    fail_over_to_db2(sim, "0-1-100");
    auto p = primary_obs("db2", "0-2-120");
    sim.advance(1000ms, {p});
    // db1 committed 101 and 102 that never reached a replica.
    sim.advance(1000ms, {primary_obs("db1", "0-1-102")});
    sim.advance(10ms, {}, {sim.ok_for<Fence>()});
    // Why it stays fenced goes into the state file too.
    REQUIRE(sim.action_names() == std::vector<std::string>{"persist_state:db2"});
    CHECK(sim.find_action<PersistState>()->state.diverged ==
          std::map<std::string, std::string>{{"db1", "0-1-101..0-1-102"}});
    CHECK(sim.role("db1") == Role::fenced);
    const auto& e = sim.event("diverged");
    CHECK(e.level == LogLevel::error);
    CHECK(e.field("instance") == "db1");
    CHECK(e.field("gtids_not_on_primary") == "0-1-101..0-1-102");
    CHECK(e.field("action").find("rebuild db1 from a backup of db2") != std::string::npos);
    // Said once while nothing changes.
    auto again = primary_obs("db1", "0-1-102");
    again.read_only = true;
    sim.advance(1000ms, {again}, {sim.ok_for<PersistState>()});
    CHECK_FALSE(sim.has_event("diverged"));
    CHECK(sim.last.actions.empty());
    // Its binlog reset (RESET MASTER), its rows untouched: the position
    // looks contained, but failoverdns cannot see rows. It used to be
    // rejoined here (bench/chaos: replication then failed with 1062).
    auto reset = primary_obs("db1", "");
    reset.read_only = true;
    reset.gtid_slave_pos = "0-1-90";
    reset.gtid_current_pos = "0-1-90";
    sim.advance(1000ms, {reset});
    CHECK(sim.last.actions.empty());
    CHECK(sim.role("db1") == Role::fenced);
    CHECK(sim.state.persistent.diverged.at("db1") == "0-1-101..0-1-102");
    const auto& withheld = sim.event("rejoin_withheld");
    CHECK(withheld.level == LogLevel::error);
    CHECK(withheld.field("diverged") == "0-1-101..0-1-102");
    CHECK(withheld.field("action").find("CHANGE MASTER TO") != std::string::npos);
    sim.advance(1000ms, {reset});
    CHECK(sim.last.actions.empty());
    CHECK_FALSE(sim.has_event("rejoin_withheld"));  // said once
    // Rebuilt from a backup of db2 and pointed at it by the operator:
    // unfenced once it replicates cleanly, and the record goes.
    sim.advance(1000ms, {replica_obs("db1", {.source = "db2", .gtid = "0-1-100,0-2-120"})});
    CHECK(sim.has_event("rejoined"));
    CHECK(sim.state.persistent.fenced.empty());
    CHECK(sim.state.persistent.diverged.empty());
  }
  SUBCASE("diverged, then pointed at the new primary by hand while still holding the extra GTIDs: stays fenced") {
    auto sim = healthy_cluster();
    fail_over_to_db2(sim, "0-1-100");
    sim.advance(1000ms, {primary_obs("db2", "0-2-120")});
    sim.advance(1000ms, {primary_obs("db1", "0-1-102")});
    sim.advance(10ms, {}, {sim.ok_for<Fence>()});
    sim.advance(1000ms, {replica_obs("db1", {.source = "db2", .gtid = "0-1-102"})}, {sim.ok_for<PersistState>()});
    CHECK_FALSE(sim.ever("rejoined"));
    CHECK(sim.role("db1") == Role::fenced);
    CHECK(sim.state.persistent.diverged.at("db1") == "0-1-101..0-1-102");
  }
  SUBCASE("what the old primary committed before replication stopped is not the new primary's history") {
    // Issue 8, defect 3: replication from db1 black-holed at 0-1-33 while
    // failoverdns still saw db1 reach 0-1-75; db2 promoted (the operator
    // accepted the loss); db1 returns holding 34..75. The lineage used to
    // keep 0-1-75 from db1's probes, so db1 counted as contained and was
    // rejoined -- and its replication failed with 1236.
    auto settings = default_settings();
    settings.accept_data_loss = true;
    auto sim = healthy_cluster(settings);
    sim.advance(1000ms, {primary_obs("db1", "0-1-75"), replica_obs("db2", {.gtid = "0-1-33"}),
                         replica_obs("db3", {.gtid = "0-1-33"})});
    crash_primary(sim, {.gtid = "0-1-33"}, {.gtid = "0-1-33"});
    CHECK(sim.has_event("data_loss_accepted"));
    sim.advance(100ms, {}, {sim.ok_for<WaitRelayLog>()});
    sim.advance(5ms, {}, {sim.ok_for<PersistState>()});
    sim.advance(50ms, {}, {sim.ok_for<Promote>({"mysql-bin.000002", 342, "0-1-33"})});
    sim.advance(5ms, {}, {sim.ok_for<PersistState>()});
    REQUIRE(sim.role("db2") == Role::primary);
    CHECK(sim.state.persistent.gtid_lineage == "0-1-33");
    auto back = primary_obs("db1", "0-1-75");
    back.read_only = true;
    sim.advance(1000ms, {back});
    CHECK(sim.role("db1") == Role::fenced);
    CHECK(sim.action_names() == std::vector<std::string>{"persist_state:db2"});
    CHECK(sim.event("diverged").field("gtids_not_on_primary") == "0-1-34..0-1-75");
    CHECK(sim.state.persistent.diverged.at("db1") == "0-1-34..0-1-75");
    // And it stays so: a later probe changes nothing.
    sim.advance(1000ms, {back}, {sim.ok_for<PersistState>()});
    CHECK(sim.last.actions.empty());
    CHECK(sim.role("db1") == Role::fenced);
  }
  SUBCASE("auto_rejoin=false: fenced until someone makes it a replica") {
    auto settings = default_settings();
    settings.auto_rejoin = false;
    auto sim = healthy_cluster(settings);
    fail_over_to_db2(sim);
    auto back = primary_obs("db1", "0-1-100");
    back.read_only = true;
    sim.advance(1000ms, {back});
    CHECK(sim.last.actions.empty());
    CHECK(sim.has_event("fenced_awaiting_operator"));
    sim.advance(1000ms, {replica_obs("db1", {.source = "db2"})});
    CHECK(sim.has_event("rejoined"));
    CHECK(sim.state.persistent.fenced.empty());
  }
}

TEST_CASE("a replica that received more than the new primary is not redirected") {
  auto sim = healthy_cluster();
  // db3 is away during the failover; it comes back with 0-1-101 which db2
  // never received.
  sim.advance(1000ms, {down_obs("db1"), orphan_obs("db2"), down_obs("db3")});
  sim.advance(200ms, {down_obs("db1")});
  sim.advance(200ms, {down_obs("db1")});
  sim.advance(10ms, {}, {sim.ok_for<WaitRelayLog>()});
  sim.advance(5ms, {}, {sim.ok_for<PersistState>()});
  sim.advance(10ms, {}, {sim.ok_for<Promote>({"b.000002", 4, "0-1-100"})});
  sim.advance(5ms, {}, {sim.ok_for<PersistState>()});
  sim.advance(1000ms, {orphan_obs("db3", {.gtid = "0-1-101"})});
  CHECK(sim.last.actions.empty());
  CHECK(sim.event("diverged").field("gtids_not_on_primary") == "0-1-101");
  CHECK(sim.role("db3") == Role::none);
}
