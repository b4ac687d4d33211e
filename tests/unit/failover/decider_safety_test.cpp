// Promotion that would lose transactions is refused (issue 8, defects 2 and
// 6): a candidate must have been receiving from the primary until shortly
// before it failed, and hold the newest GTID failoverdns saw there (as
// MaxScale's auto_failover=safe); replicas that cannot receive, took writes
// of their own or are writable are reported and corrected.
#include <doctest/doctest.h>

#include "unit/failover/decider_support.hpp"

using namespace failoverdns;
using namespace failoverdns::testing;

namespace {

// db2 with a wrong replication password since 0-1-26; db3 is gone.
ReplicaView broken(std::string gtid = "0-1-26") {
  return {.io_state = "Connecting", .io_errno = 1045, .gtid = std::move(gtid), .lag = std::nullopt};
}

Sim primary_moves_on_while_db2_is_broken(FailoverSettings settings = default_settings()) {
  auto sim = healthy_cluster(settings);
  for (int i = 1; i <= 10; ++i)
    sim.advance(1000ms, {primary_obs("db1", "0-1-" + std::to_string(26 + i * 17)), replica_obs("db2", broken()),
                         down_obs("db3")});
  return sim;  // db1 last seen at 0-1-196
}

void crash(Sim& sim) {
  sim.advance(1000ms, {down_obs("db1"), replica_obs("db2", broken())});
  sim.advance(200ms, {down_obs("db1")});
  sim.advance(200ms, {down_obs("db1")});
}

}  // namespace

TEST_CASE("broken replication is reported while it lasts, and the stale replica is not promoted") {
  auto sim = primary_moves_on_while_db2_is_broken();
  CHECK(sim.count("replication_broken") == 1);
  const LogEvent* said = &sim.latest("replication_broken");
  CHECK(said->level == LogLevel::error);
  CHECK(said->field("instance") == "db2");
  CHECK(said->field("io_error").find("1045") == 0);
  CHECK(sim.role("db2") == Role::none);
  // Repeated every minute while it lasts.
  for (int i = 0; i < 60; ++i) sim.advance(1000ms, {primary_obs("db1", "0-1-196"), replica_obs("db2", broken())});
  CHECK(sim.count("replication_broken") == 2);

  crash(sim);
  CHECK(sim.last.actions.empty());
  CHECK_FALSE(sim.ever("failover_started"));
  const auto& refused = sim.event("failover_refused");
  CHECK(refused.level == LogLevel::error);
  CHECK(refused.field("candidate") == "db2");
  CHECK(refused.field("reason").find("was not receiving from db1") != std::string::npos);
  CHECK(refused.field("reason").find("1045") != std::string::npos);
  CHECK(refused.field("action").find("\"accept_data_loss\": true") != std::string::npos);
  CHECK(sim.role("db2") == Role::none);
  CHECK(sim.role("db1") == Role::none);  // nothing published: a stale primary would lose writes
  // Said once, not at every probe.
  sim.advance(1000ms, {down_obs("db1"), replica_obs("db2", broken())});
  CHECK_FALSE(sim.has_event("failover_refused"));
}

TEST_CASE("a candidate that lacks the newest GTID seen on the primary is not promoted; the range is named") {
  auto sim = healthy_cluster();
  sim.advance(1000ms, {primary_obs("db1", "0-1-203"), replica_obs("db2", {.gtid = "0-1-190"}), down_obs("db3")});
  sim.advance(1000ms, {down_obs("db1"), orphan_obs("db2", {.gtid = "0-1-190"})});
  sim.advance(200ms, {down_obs("db1")});
  sim.advance(200ms, {down_obs("db1")});
  CHECK(sim.last.actions.empty());
  CHECK(sim.event("failover_refused").field("reason") == "db2 lacks 0-1-191..0-1-203, last seen on db1");
  // The primary comes back: nothing was lost, nothing was done.
  sim.advance(1000ms, {primary_obs("db1", "0-1-203"), replica_obs("db2", {.gtid = "0-1-203"})});
  CHECK(sim.role("db1") == Role::primary);
}

TEST_CASE("accept_data_loss: the operator's word promotes the best candidate anyway, and it is logged") {
  auto settings = default_settings();
  settings.accept_data_loss = true;
  auto sim = primary_moves_on_while_db2_is_broken(settings);
  crash(sim);
  CHECK(sim.has_event("data_loss_accepted"));
  REQUIRE(sim.find_action<WaitRelayLog>());
  CHECK(sim.find_action<WaitRelayLog>()->instance == "db2");
}

TEST_CASE("a replica holding transactions the primary never had is reported and never a candidate") {
  auto sim = healthy_cluster();
  auto errant = replica_obs("db2", {.gtid = "0-1-100"});
  errant.gtid_binlog_pos = "0-1-100,0-2-3";  // someone wrote on db2
  sim.advance(1000ms, {primary_obs("db1"), errant, replica_obs("db3", {.gtid = "0-1-100"})});
  const auto& e = sim.event("errant_transactions");
  CHECK(e.field("instance") == "db2");
  CHECK(e.field("gtids_not_on_primary") == "0-2-?..0-2-3");
  // Newer transactions of the primary itself are not errant: the replica is
  // just ahead of failoverdns's last look at the primary.
  CHECK(sim.count("errant_transactions") == 1);
  sim.advance(1000ms, {replica_obs("db3", {.gtid = "0-1-104"})});
  CHECK(sim.count("errant_transactions") == 1);

  sim.advance(1000ms, {down_obs("db1"), errant, orphan_obs("db3")});
  sim.advance(200ms, {down_obs("db1")});
  sim.advance(200ms, {down_obs("db1")});
  REQUIRE(sim.find_action<WaitRelayLog>());
  CHECK(sim.find_action<WaitRelayLog>()->instance == "db3");
}

TEST_CASE("a writable replica is set read-only (enforce_read_only_replicas), once") {
  auto sim = healthy_cluster();
  auto writable = replica_obs("db2");
  writable.read_only = false;
  sim.advance(1000ms, {writable});
  CHECK(sim.action_names() == std::vector<std::string>{"fence:db2"});
  CHECK(sim.event("replica_writable").level == LogLevel::warn);
  sim.advance(10ms, {}, {sim.ok_for<Fence>()});
  CHECK(sim.has_event("made_read_only"));
  CHECK(sim.last.actions.empty());
  CHECK(sim.role("db2") == Role::replica);

  auto settings = default_settings();
  settings.enforce_read_only_replicas = false;
  auto left = healthy_cluster(settings);
  left.advance(1000ms, {writable});
  CHECK(left.last.actions.empty());
}
