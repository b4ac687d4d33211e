// What the status page says: whether a failed primary would be replaced
// now (FailoverDecider::blocked), and the failovers as timelines
// (FailoverHistory).
#include "decider_support.hpp"
#include "failoverdns/failover/failover_status.hpp"

using namespace failoverdns;
using namespace failoverdns::testing;

namespace {

std::string blocked(const Sim& sim) {
  return FailoverDecider(sim.settings, sim.members).blocked(sim.state, sim.now, sim.wall);
}

LogEvent event(std::string name, std::vector<std::pair<std::string, std::string>> fields = {}) {
  return LogEvent{LogLevel::info, std::move(name), std::move(fields)};
}

}  // namespace

TEST_CASE("blocked: nothing in a healthy cluster; then each reason a failed primary would stay") {
  auto sim = healthy_cluster();
  CHECK(blocked(sim) == "");

  SUBCASE("auto_failover off") {
    sim.settings.auto_failover = false;
    CHECK(blocked(sim) == "auto_failover is off: a failed primary is not replaced");
  }
  SUBCASE("no replica could be promoted: each one's reason") {
    sim.advance(1000ms, {primary_obs("db1"), orphan_obs("db2", {.sql_errno = 1062}), down_obs("db3")});
    CHECK(blocked(sim) ==
          "no replica could be promoted: db2: SQL thread error 1062: Duplicate entry; db3: unreachable");
  }
  SUBCASE("no_promotion and fenced") {
    sim.settings.no_promotion = {"db2", "db3"};
    CHECK(blocked(sim) == "no replica could be promoted: db2: in no_promotion; db3: in no_promotion");
  }
  SUBCASE("during an outage the replicas vouch for the primary") {
    std::uint64_t hb = 0;
    auto live = [&](const char* id) { return replica_obs(id, {.heartbeats = ++hb}); };
    sim.advance(1000ms, {down_obs("db1"), live("db2"), live("db3")});
    sim.advance(200ms, {down_obs("db1")});
    sim.advance(200ms, {down_obs("db1")});
    REQUIRE(sim.ever("failover_vetoed"));
    CHECK(blocked(sim) ==
          "replicas db2,db3 still receive from db1: failoverdns is probably the one cut off, so it does not promote");
  }
}

TEST_CASE("blocked: no primary known at first start") {
  Sim sim;
  CHECK(blocked(sim).starts_with("no primary known yet"));
}

TEST_CASE("history: an outage from primary_down to failover_complete is one record with its timeline") {
  FailoverHistory h(2);
  const WallTime t0(std::chrono::hours(480000));
  h.add(event("probe_answered_again"), t0);  // outside an outage: not a record
  CHECK(h.records().empty());
  h.add(event("primary_down", {{"instance", "db1"}}), t0);
  h.add(event("primary_down", {{"instance", "db1"}}), t0 + 1s);  // said once per outage
  h.add(event("failover_started", {{"candidate", "db2"}}), t0 + 2s);
  h.add(event("role_changed"), t0 + 3s);  // not a step of the failover
  h.add(event("failover_complete", {{"primary", "db2"}, {"epoch", "4"}}), t0 + 4s);
  REQUIRE(h.records().size() == 1);
  const auto& r = h.records().back();
  CHECK(r.outcome == "complete");
  CHECK(r.old_primary == "db1");
  CHECK(r.new_primary == "db2");
  CHECK(r.epoch == 4);
  CHECK(r.started == t0);
  CHECK(r.ended == t0 + 4s);
  std::vector<std::string> names;
  for (const auto& s : r.timeline) names.push_back(s.event.name);
  CHECK(names == std::vector<std::string>{"primary_down", "failover_started", "failover_complete"});

  h.add(event("primary_down", {{"instance", "db2"}}), t0 + 10s);
  CHECK(h.records().back().outcome == "in_progress");
  h.add(event("primary_recovered"), t0 + 11s);
  CHECK(h.records().back().outcome == "recovered");
  h.add(event("primary_down", {{"instance", "db2"}}), t0 + 20s);
  CHECK(h.records().size() == 2);  // the oldest went
  CHECK(h.records().front().outcome == "recovered");
}

TEST_CASE("history: a switchover is a record too, with its own outcomes") {
  FailoverHistory h;
  const WallTime t0(std::chrono::hours(480000));
  h.add(event("switchover_started", {{"old_primary", "db1"}, {"target", "db2"}}), t0);
  h.add(event("switchover_demoted"), t0 + 5ms);
  h.add(event("switchover_complete", {{"primary", "db2"}, {"epoch", "5"}}), t0 + 30ms);
  REQUIRE(h.records().size() == 1);
  CHECK(h.records().back().kind == "switchover");
  CHECK(h.records().back().outcome == "complete");
  CHECK(h.records().back().old_primary == "db1");
  CHECK(h.records().back().new_primary == "db2");
  CHECK(h.records().back().timeline.size() == 3);
  h.add(event("switchover_started", {{"old_primary", "db2"}}), t0 + 1s);
  h.add(event("switchover_rolled_back"), t0 + 3s);
  CHECK(h.records().back().outcome == "rolled_back");
  CHECK(h.records().back().ended == t0 + 3s);
}
