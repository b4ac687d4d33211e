// What counts as a dead server. Only probes that got no answer at all count
// towards failcount: a server that answered with an error (full, access
// denied, missing privilege) is alive, and failing it over would leave two
// writable primaries (issue 8, defect 1).
#include <doctest/doctest.h>

#include "unit/failover/decider_support.hpp"

using namespace failoverdns;
using namespace failoverdns::testing;

TEST_CASE("error numbers: only no answer at all means down") {
  CHECK(outcome_of_error(0) == ProbeOutcome::no_answer);     // our deadline
  CHECK(outcome_of_error(2002) == ProbeOutcome::no_answer);  // socket refused
  CHECK(outcome_of_error(2003) == ProbeOutcome::no_answer);  // TCP refused
  CHECK(outcome_of_error(2013) == ProbeOutcome::no_answer);  // lost connection
  CHECK(outcome_of_error(1053) == ProbeOutcome::no_answer);  // server shutdown in progress
  CHECK(outcome_of_error(1040) == ProbeOutcome::overloaded);
  CHECK(outcome_of_error(1203) == ProbeOutcome::overloaded);
  CHECK(outcome_of_error(1226) == ProbeOutcome::overloaded);
  CHECK(outcome_of_error(1135) == ProbeOutcome::overloaded);
  CHECK(outcome_of_error(1045) == ProbeOutcome::refused);
  CHECK(outcome_of_error(1227) == ProbeOutcome::refused);
  CHECK(outcome_of_error(1129) == ProbeOutcome::refused);
  CHECK(outcome_of_error(1130) == ProbeOutcome::refused);
  CHECK(outcome_of_error(4151) == ProbeOutcome::refused);  // account locked
  CHECK(outcome_of_error(2059) == ProbeOutcome::refused);  // the server asked for a plugin we lack
}

TEST_CASE("a full primary whose replicas lost it too is never failed over, and keeps its name") {
  auto sim = healthy_cluster();
  // The replicas' binlog connections drop (the server is full for them too).
  for (int i = 0; i < 30; ++i) {
    sim.advance(1000ms, {full_obs("db1"), orphan_obs("db2"), orphan_obs("db3")});
    CHECK(sim.last.actions.empty());
    CHECK(sim.role("db1") == Role::primary);
  }
  CHECK_FALSE(sim.ever("primary_down"));
  CHECK_FALSE(sim.ever("failover_started"));
  CHECK_FALSE(sim.ever("primary_probe_failed"));
  // Said once, with what to do, not at every probe.
  CHECK(sim.count("probe_overloaded") == 1);
  const LogEvent* said = &sim.latest("probe_overloaded");
  CHECK(said->level == LogLevel::error);
  CHECK(said->field("instance") == "db1");
  CHECK(said->field("role") == "primary");
  CHECK(said->field("error").find("1040") != std::string::npos);
  CHECK(said->field("action").find("CONNECTION ADMIN") != std::string::npos);

  sim.advance(1000ms, {primary_obs("db1", "0-1-150"), replica_obs("db2", {.gtid = "0-1-150"})});
  CHECK(sim.has_event("probe_answered_again"));
  CHECK(sim.role("db1") == Role::primary);
}

TEST_CASE("a primary that denies failoverdns access (1045, 1227) is alive: reported, not failed over") {
  for (auto* error : {"Access denied for user 'failoverdns'@'127.0.0.1' (error 1045)",
                      "\"SHOW ALL SLAVES STATUS\" on 127.0.0.11:3306: Access denied; you need (at least one of) "
                      "the SUPER, SLAVE MONITOR privilege(s) for this operation (error 1227)"}) {
    CAPTURE(error);
    auto sim = healthy_cluster();
    for (int i = 0; i < 10; ++i) {
      sim.advance(1000ms, {error_obs("db1", ProbeOutcome::refused, error), orphan_obs("db2"), orphan_obs("db3")});
      CHECK(sim.last.actions.empty());
      CHECK(sim.role("db1") == Role::primary);
    }
    CHECK(sim.count("probe_refused") == 1);
    CHECK_FALSE(sim.ever("no_candidate"));
    CHECK_FALSE(sim.ever("primary_down"));
  }
}

TEST_CASE("an answer with an error between lost probes restarts the count") {
  auto sim = healthy_cluster();
  sim.advance(1000ms, {down_obs("db1"), orphan_obs("db2"), orphan_obs("db3")});
  sim.advance(200ms, {down_obs("db1")});
  sim.advance(200ms, {full_obs("db1")});
  sim.advance(200ms, {down_obs("db1")});
  sim.advance(200ms, {down_obs("db1")});
  CHECK_FALSE(sim.ever("primary_down"));
  CHECK(sim.role("db1") == Role::primary);
  sim.advance(200ms, {down_obs("db1")});
  CHECK(sim.has_event("primary_down"));
}

TEST_CASE("a replica that refuses failoverdns is not a candidate, and says why") {
  auto sim = healthy_cluster();
  sim.advance(1000ms, {down_obs("db1"), denied_obs("db2"), orphan_obs("db3")});
  sim.advance(200ms, {down_obs("db1")});
  sim.advance(200ms, {down_obs("db1")});
  REQUIRE(sim.find_action<WaitRelayLog>());
  CHECK(sim.find_action<WaitRelayLog>()->instance == "db3");
  // Not offered for reads while only stale data speaks for it.
  CHECK(sim.role("db2") == Role::none);
}

TEST_CASE("an old primary that answers with an error during the relay-log wait stops the failover") {
  auto sim = healthy_cluster();
  crash_primary(sim);
  REQUIRE(sim.find_action<WaitRelayLog>());
  sim.advance(300ms, {full_obs("db1")});
  CHECK(sim.has_event("failover_aborted"));
  CHECK_FALSE(sim.state.promotion.has_value());
}

TEST_CASE("a member without a probe result for too long is stalled: reported, not acted on, not counted as down") {
  auto sim = healthy_cluster();
  // db3's probe loop is stuck: only db1 and db2 report, for 10 s.
  for (int i = 0; i < 10; ++i) sim.advance(1000ms, {primary_obs("db1"), replica_obs("db2")});
  CHECK(sim.count("probe_stalled") == 1);
  CHECK(sim.latest("probe_stalled").field("instance") == "db3");
  // Then db1 dies: db3's old view does not make it a candidate.
  sim.advance(1000ms, {down_obs("db1"), down_obs("db2")});
  sim.advance(200ms, {down_obs("db1")});
  sim.advance(200ms, {down_obs("db1")});
  CHECK(sim.last.actions.empty());
  CHECK(sim.latest("no_candidate").field("why").find("db3: no probe result for") != std::string::npos);
  // Probes again: it counts again.
  sim.advance(1000ms, {down_obs("db1"), orphan_obs("db3")});
  CHECK(sim.has_event("probes_resumed"));
}
