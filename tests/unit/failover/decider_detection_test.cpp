// Detection, verification with replicas and the choice of candidate.
#include <doctest/doctest.h>

#include "unit/failover/decider_support.hpp"

using namespace failoverdns;
using namespace failoverdns::testing;

TEST_CASE("a single lost probe changes nothing but the recheck delay") {
  auto sim = healthy_cluster();
  CHECK(sim.last.next_probe_in.at("db1") == 1000ms);

  sim.advance(1000ms, {down_obs("db1"), replica_obs("db2", {.heartbeats = 1}), replica_obs("db3", {.heartbeats = 1})});
  CHECK(sim.last.actions.empty());
  CHECK(sim.role("db1") == Role::primary);  // hysteresis: no DNS flap
  CHECK(sim.role("db2") == Role::replica);
  CHECK(sim.last.next_probe_in.at("db1") == 200ms);
  CHECK(sim.last.next_probe_in.at("db2") == 1000ms);
  CHECK(sim.event("primary_probe_failed").field("failures") == "1/3");
  CHECK_FALSE(sim.has_event("primary_down"));

  sim.advance(200ms, {primary_obs("db1")});
  CHECK(sim.last.actions.empty());
  CHECK(sim.role("db1") == Role::primary);
  CHECK(sim.last.next_probe_in.at("db1") == 1000ms);
  CHECK(sim.event("primary_probe_ok").field("after_failures") == "1");

  // Two failures, then an answer: the count starts over.
  sim.advance(1000ms, {down_obs("db1")});
  sim.advance(200ms, {down_obs("db1")});
  sim.advance(200ms, {primary_obs("db1")});
  sim.advance(1000ms, {down_obs("db1")});
  CHECK(sim.event("primary_probe_failed").field("failures") == "1/3");
  CHECK(sim.last.actions.empty());
}

TEST_CASE("failcount failures confirm a crash in interval + (failcount-1) * recheck_interval") {
  auto sim = healthy_cluster();
  auto start = sim.now;
  std::chrono::milliseconds delay = sim.last.next_probe_in.at("db1");
  int probes = 0;
  // Probe on the schedule the decider asks for until it acts.
  while (sim.last.actions.empty() && probes < 10) {
    std::vector<Observation> obs{down_obs("db1")};
    if (probes == 0) obs = {down_obs("db1"), orphan_obs("db2"), orphan_obs("db3")};
    sim.advance(delay, obs);
    delay = sim.last.next_probe_in.at("db1");
    ++probes;
  }
  CHECK(probes == 3);
  CHECK(sim.now - start == 1000ms + 2 * 200ms);
  CHECK(sim.has_event("primary_down"));
  CHECK(sim.action_names() == std::vector<std::string>{"wait_relay_log:db2"});
  // Confirmed down, it is still probed every recheck_interval: the sooner
  // it is seen again, the sooner it is fenced (see below).
  CHECK(sim.last.next_probe_in.at("db1") == 200ms);
}

TEST_CASE("a member that does not answer is probed every recheck_interval, so one that returns writable is fenced soon") {
  // bench/chaos: a thawed or unblackholed former primary keeps read_only=0,
  // and a restarted node1 reads read_only=OFF from its option file. Until
  // failoverdns's next probe fences it, two servers are writable: at the
  // normal pace that was up to interval (+ the probe); now recheck_interval.
  auto sim = healthy_cluster();
  sim.advance(1000ms, {primary_obs("db1"), replica_obs("db2", {.heartbeats = 1}), down_obs("db3")});
  CHECK(sim.last.next_probe_in.at("db3") == 200ms);  // a replica that is gone
  CHECK(sim.last.next_probe_in.at("db2") == 1000ms);
  CHECK(sim.last.next_probe_in.at("db1") == 1000ms);
  // A member that answers with an error is alive: the normal pace.
  sim.advance(1000ms, {primary_obs("db1"), replica_obs("db2", {.heartbeats = 2}), full_obs("db3")});
  CHECK(sim.last.next_probe_in.at("db3") == 1000ms);
}

TEST_CASE("replicas still receiving from the primary veto the failover") {
  auto sim = healthy_cluster();
  std::uint64_t hb = 0;
  auto live = [&](const char* id) { return replica_obs(id, {.heartbeats = ++hb}); };
  sim.advance(1000ms, {down_obs("db1"), live("db2"), live("db3")});
  sim.advance(200ms, {down_obs("db1")});
  sim.advance(200ms, {down_obs("db1")});
  CHECK(sim.has_event("primary_down"));
  CHECK(sim.last.actions.empty());
  const auto& veto = sim.event("failover_vetoed");
  CHECK(veto.level == LogLevel::warn);
  CHECK(veto.field("replicas_still_receiving") == "db2,db3");
  CHECK(veto.field("reason").find("no split brain") != std::string::npos);
  // The primary keeps its name (the replicas prove it alive; the partition
  // is failoverdns's own), the replicas keep theirs, and the warning is said
  // once, not on every probe.
  CHECK(sim.role("db1") == Role::primary);
  CHECK(sim.role("db2") == Role::replica);
  for (int i = 0; i < 5; ++i) {
    sim.advance(1000ms, {down_obs("db1"), live("db2"), live("db3")});
    CHECK(sim.last.actions.empty());
    CHECK_FALSE(sim.has_event("failover_vetoed"));
    CHECK(sim.role("db1") == Role::primary);
  }
  // One replica losing it is not enough while the other still receives.
  sim.advance(1000ms, {down_obs("db1"), orphan_obs("db2"), live("db3")});
  CHECK(sim.last.actions.empty());
  CHECK(sim.event("failover_vetoed").field("replicas_still_receiving") == "db3");
  // Both lost it: the name goes, and failover starts.
  sim.advance(1000ms, {down_obs("db1"), orphan_obs("db2"), orphan_obs("db3")});
  CHECK(sim.role("db1") != Role::primary);
  CHECK(sim.has_event("replicas_lost_primary"));
  CHECK(sim.action_names() == std::vector<std::string>{"wait_relay_log:db2"});
}

TEST_CASE("without verify_with_replicas the decider promotes even if replicas still receive") {
  auto settings = default_settings();
  settings.verify_with_replicas = false;
  auto sim = healthy_cluster(settings);
  sim.advance(1000ms, {down_obs("db1"), replica_obs("db2", {.heartbeats = 5}), replica_obs("db3", {.heartbeats = 5})});
  sim.advance(200ms, {down_obs("db1")});
  sim.advance(200ms, {down_obs("db1")});
  CHECK(sim.action_names() == std::vector<std::string>{"wait_relay_log:db2"});
}

TEST_CASE("a frozen primary: replicas with IO Yes but nothing arriving stop vouching after failcount intervals") {
  auto sim = healthy_cluster();
  // SIGSTOP: probes time out; replicas keep Slave_IO_Running=Yes, but
  // neither events nor heartbeats arrive any more.
  ReplicaView frozen{.heartbeats = 0};
  sim.advance(1000ms, {down_obs("db1"), replica_obs("db2", frozen), replica_obs("db3", frozen)});
  sim.advance(200ms, {down_obs("db1")});
  sim.advance(200ms, {down_obs("db1")});
  CHECK(sim.has_event("failover_vetoed"));  // too early to tell
  CHECK(sim.last.actions.empty());
  sim.advance(1000ms, {down_obs("db1"), replica_obs("db2", frozen), replica_obs("db3", frozen)});
  CHECK(sim.last.actions.empty());
  // 3 intervals after the last change (at the initial observation).
  sim.advance(600ms, {down_obs("db1"), replica_obs("db2", frozen), replica_obs("db3", frozen)});
  CHECK(sim.has_event("replicas_lost_primary"));
  CHECK(sim.action_names() == std::vector<std::string>{"wait_relay_log:db2"});
}

TEST_CASE("an idle primary whose heartbeats advance is never failed over, whatever failoverdns sees") {
  auto sim = healthy_cluster();
  std::uint64_t hb = 0;
  // Same GTID and binlog position throughout (no writes), heartbeats tick.
  for (int i = 0; i < 30; ++i) {
    ++hb;
    sim.advance(1000ms,
                {down_obs("db1"), replica_obs("db2", {.heartbeats = hb}), replica_obs("db3", {.heartbeats = hb})});
    CHECK(sim.last.actions.empty());
  }
  CHECK(sim.state.persistent.primary == "db1");
}

TEST_CASE("the most advanced replica is the candidate") {
  struct Case {
    const char* name;
    std::string db2;
    std::string db3;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"db3 ahead", "0-1-100", "0-1-105", "db3"},
      {"db2 ahead", "0-1-106", "0-1-105", "db2"},
      {"tie: configuration order", "0-1-105", "0-1-105", "db2"},
      {"ahead in a second domain", "0-1-105", "0-1-105,1-1-3", "db3"},
      {"incomparable: highest total", "0-1-105,1-1-3", "0-1-100,1-1-9", "db3"},
      {"incomparable, equal totals: configuration order", "0-1-104,1-1-5", "0-1-105,1-1-4", "db2"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto sim = healthy_cluster();
    crash_primary(sim, {.gtid = c.db2}, {.gtid = c.db3});
    const auto* wait = sim.find_action<WaitRelayLog>();
    REQUIRE(wait);
    CHECK(wait->instance == c.expected);
    CHECK(wait->gtid == (c.expected == "db2" ? c.db2 : c.db3));
    CHECK(wait->timeout == 30000ms);
    CHECK(sim.event("failover_started").field("candidate") == c.expected);
  }
}

TEST_CASE("no_promotion, SQL errors and unreachable replicas exclude candidates") {
  SUBCASE("no_promotion wins over being most advanced") {
    auto settings = default_settings();
    settings.no_promotion = {"db3"};
    auto sim = healthy_cluster(settings);
    crash_primary(sim, {.gtid = "0-1-100"}, {.gtid = "0-1-200"});
    REQUIRE(sim.find_action<WaitRelayLog>());
    CHECK(sim.find_action<WaitRelayLog>()->instance == "db2");
  }
  SUBCASE("a replica in SQL error is not promoted") {
    auto sim = healthy_cluster();
    crash_primary(sim, {.gtid = "0-1-100", .sql_running = false, .sql_errno = 1062}, {.gtid = "0-1-100"});
    REQUIRE(sim.find_action<WaitRelayLog>());
    CHECK(sim.find_action<WaitRelayLog>()->instance == "db3");
  }
  SUBCASE("nobody eligible: an error that says why, per instance") {
    auto settings = default_settings();
    settings.no_promotion = {"db2"};
    auto sim = healthy_cluster(settings);
    sim.advance(1000ms, {down_obs("db1"), orphan_obs("db2"), down_obs("db3")});
    sim.advance(200ms, {down_obs("db1")});
    sim.advance(200ms, {down_obs("db1")});
    CHECK(sim.last.actions.empty());
    const auto& e = sim.event("no_candidate");
    CHECK(e.level == LogLevel::error);
    CHECK(e.field("why") == "db2: in no_promotion; db3: unreachable");
    // Said once; when a replica comes back it is promoted.
    sim.advance(1000ms, {down_obs("db1")});
    CHECK_FALSE(sim.has_event("no_candidate"));
    sim.advance(1000ms, {down_obs("db1"), orphan_obs("db3")});
    CHECK(sim.action_names() == std::vector<std::string>{"wait_relay_log:db3"});
  }
}
