// Client sessions on a former primary: the fence ends them (issue 11, part
// 3) and the ones that come back later are reported.
#include "decider_support.hpp"

using namespace failoverdns;
using namespace failoverdns::testing;

namespace {

void fail_over_to_db2(Sim& sim) {
  crash_primary(sim, {.gtid = "0-1-100"}, {.gtid = "0-1-90"});
  sim.advance(100ms, {}, {sim.ok_for<WaitRelayLog>()});
  sim.advance(5ms, {}, {sim.ok_for<PersistState>()});
  sim.advance(50ms, {}, {sim.ok_for<Promote>({"mysql-bin.000002", 342, "0-1-100"})});
  sim.advance(5ms, {}, {sim.ok_for<PersistState>()});
  REQUIRE(sim.role("db2") == Role::primary);
}

Observation back_with_sessions(std::uint32_t sessions, bool read_only) {
  auto o = primary_obs("db1", "0-1-100");
  o.read_only = read_only;
  o.client_sessions = sessions;
  return o;
}

ActionResult fenced_ending(const Sim& sim, std::vector<ClientSession> killed, std::size_t gone = 0,
                           std::string error = "") {
  auto r = sim.ok_for<Fence>();
  r.sessions = SessionsEnded{std::move(killed), gone, std::move(error)};
  return r;
}

}  // namespace

TEST_CASE("fencing a returning former primary ends its client sessions, unless kill_sessions_on_demote is off") {
  SUBCASE("default: the Fence asks for it") {
    auto sim = healthy_cluster();
    fail_over_to_db2(sim);
    sim.advance(1000ms, {back_with_sessions(2, false)});
    REQUIRE(sim.find_action<Fence>());
    CHECK(sim.find_action<Fence>()->instance == "db1");
    CHECK(sim.find_action<Fence>()->end_sessions);
  }
  SUBCASE("off: read-only only, and the log says the sessions were kept") {
    auto settings = default_settings();
    settings.kill_sessions_on_demote = false;
    auto sim = healthy_cluster(settings);
    fail_over_to_db2(sim);
    sim.advance(1000ms, {back_with_sessions(2, false)});
    REQUIRE(sim.find_action<Fence>());
    CHECK_FALSE(sim.find_action<Fence>()->end_sessions);
    sim.advance(10ms, {}, {sim.ok_for<Fence>()});
    CHECK(sim.event("fenced").field("sessions") == "kept (kill_sessions_on_demote is false)");
    CHECK(sim.event("fenced").field("sessions_killed").empty());
  }
}

TEST_CASE("a writable replica is made read-only without ending its sessions: its readers did nothing wrong") {
  auto sim = healthy_cluster();
  auto writable = replica_obs("db2");
  writable.read_only = false;
  sim.advance(1000ms, {primary_obs("db1"), writable, replica_obs("db3")});
  REQUIRE(sim.find_action<Fence>());
  CHECK(sim.find_action<Fence>()->instance == "db2");
  CHECK_FALSE(sim.find_action<Fence>()->end_sessions);
}

TEST_CASE("the fenced event carries how many sessions were ended, and which") {
  auto sim = healthy_cluster();
  fail_over_to_db2(sim);
  sim.advance(1000ms, {back_with_sessions(3, false)});
  SUBCASE("all ended") {
    sim.advance(10ms, {}, {fenced_ending(sim, {{12, "app", "127.0.0.1:40001"}, {13, "app", "127.0.0.1:40002"}}, 1)});
    const auto& e = sim.event("fenced");
    CHECK(e.level == LogLevel::info);
    CHECK(e.field("instance") == "db1");
    CHECK(e.field("read_only") == "1");
    CHECK(e.field("sessions_killed") == "2");
    CHECK(e.field("sessions") == "12:app@127.0.0.1:40001 13:app@127.0.0.1:40002");
    CHECK(e.field("sessions_already_gone") == "1");
    // The fence worked: on with the rejoin.
    CHECK(sim.action_names() == std::vector<std::string>{"rejoin:db1"});
  }
  SUBCASE("the KILL was denied: still fenced, but a warning says what to grant") {
    sim.advance(10ms, {}, {fenced_ending(sim, {}, 0, "KILL CONNECTION 12 failed: You are not owner of thread 12")});
    const auto& e = sim.event("fenced");
    CHECK(e.level == LogLevel::warn);
    CHECK(e.field("sessions_killed") == "0");
    CHECK(e.field("sessions_error") == "KILL CONNECTION 12 failed: You are not owner of thread 12");
    CHECK(e.field("action").find("CONNECTION ADMIN") != std::string::npos);
    CHECK(sim.action_names() == std::vector<std::string>{"rejoin:db1"});
  }
}

TEST_CASE("client sessions still on a fenced former primary are reported when their number changes") {
  auto settings = default_settings();
  settings.auto_rejoin = false;  // it stays fenced, so the sessions stay interesting
  auto sim = healthy_cluster(settings);
  fail_over_to_db2(sim);
  sim.advance(1000ms, {back_with_sessions(4, false)});
  sim.advance(10ms, {}, {fenced_ending(sim, {{12, "app", "h"}})});
  REQUIRE(sim.ever("fenced_client_sessions"));
  CHECK(sim.latest("fenced_client_sessions").field("client_sessions") == "4");  // as the probe saw it before
  CHECK(sim.latest("fenced_client_sessions").level == LogLevel::warn);
  int said = sim.count("fenced_client_sessions");
  // Clients that cache DNS come back to it: said once per change, not per probe.
  sim.advance(1000ms, {back_with_sessions(2, true)});
  CHECK(sim.count("fenced_client_sessions") == said + 1);
  CHECK(sim.latest("fenced_client_sessions").field("client_sessions") == "2");
  CHECK(sim.latest("fenced_client_sessions").field("primary") == "db2");
  sim.advance(1000ms, {back_with_sessions(2, true)});
  sim.advance(1000ms, {back_with_sessions(2, true)});
  CHECK(sim.count("fenced_client_sessions") == said + 1);
  sim.advance(1000ms, {back_with_sessions(0, true)});
  CHECK(sim.count("fenced_client_sessions") == said + 2);
  CHECK(sim.latest("fenced_client_sessions").level == LogLevel::info);
  // Where an HTTP status endpoint reads it.
  CHECK(sim.state.members.at("db1").last_reachable->client_sessions == 0u);
}

TEST_CASE("a probe that could not count sessions reports nothing about them") {
  auto sim = healthy_cluster();
  fail_over_to_db2(sim);
  auto back = primary_obs("db1", "0-1-100");
  back.read_only = true;
  sim.advance(1000ms, {back});
  CHECK_FALSE(sim.ever("fenced_client_sessions"));
}
