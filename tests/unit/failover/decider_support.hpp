// A small simulator for FailoverDecider tests: three MariaDB instances on
// loopback addresses, a clock, and builders for what probes would report.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <variant>
#include <vector>

#include "failoverdns/failover/failover_decider.hpp"

namespace failoverdns::testing {

using namespace std::chrono_literals;

inline FailoverSettings default_settings() {
  FailoverSettings s;
  s.service = "mysql";
  s.interval = 1000ms;
  s.timeout = 1000ms;
  s.failcount = 3;
  s.recheck_interval = 200ms;
  s.relay_log_wait = 30000ms;
  s.cooldown = 60000ms;
  return s;
}

inline std::vector<FailoverMember> three_members() {
  return {{"db1", "127.0.0.11", 3306}, {"db2", "127.0.0.12", 3306}, {"db3", "127.0.0.13", 3306}};
}

inline std::string host_of(const std::string& id) { return "127.0.0.1" + id.substr(2); }
// db1 has server_id 1, as in tools/cluster.
inline std::uint32_t server_id_of(const std::string& id) { return static_cast<std::uint32_t>(std::stoul(id.substr(2))); }

// What a probe of a writable primary returns.
inline Observation primary_obs(const std::string& id, const std::string& gtid = "0-1-100") {
  Observation o;
  o.instance_id = id;
  o.outcome = ProbeOutcome::answered;
  o.read_only = false;
  o.server_id = server_id_of(id);
  o.gtid_binlog_pos = gtid;
  o.gtid_current_pos = gtid;
  return o;
}

struct ReplicaView {
  std::string source = "db1";
  std::string io_state = "Yes";
  int io_errno = 0;
  std::string gtid = "0-1-100";
  std::uint64_t read_pos = 1000;
  std::uint64_t heartbeats = 0;
  bool sql_running = true;
  int sql_errno = 0;
  std::optional<std::int64_t> lag = 0;
};

inline Observation replica_obs(const std::string& id, const ReplicaView& v = {}) {
  Observation o;
  o.instance_id = id;
  o.outcome = ProbeOutcome::answered;
  o.read_only = true;
  o.server_id = server_id_of(id);
  o.gtid_binlog_pos = v.gtid;
  o.gtid_slave_pos = v.gtid;
  o.gtid_current_pos = v.gtid;
  ReplicaStatus r;
  r.master_host = host_of(v.source);
  r.master_port = 3306;
  r.io_state = v.io_state;
  r.last_io_errno = v.io_errno;
  if (v.io_errno) r.last_io_error = "error reconnecting to master";
  r.sql_running = v.sql_running;
  r.last_sql_errno = v.sql_errno;
  if (v.sql_errno) r.last_sql_error = "Duplicate entry";
  r.gtid_io_pos = v.gtid;
  r.master_log_file = "mysql-bin.000001";
  r.read_master_log_pos = v.read_pos;
  r.exec_master_log_pos = v.read_pos;
  r.seconds_behind_master = v.lag;
  r.received_heartbeats = v.heartbeats;
  r.using_gtid = true;
  o.replication.push_back(r);
  return o;
}

// A replica whose IO thread lost its primary.
inline Observation orphan_obs(const std::string& id, ReplicaView v = {}) {
  v.io_state = "Connecting";
  v.io_errno = 2003;
  v.lag.reset();
  return replica_obs(id, v);
}

inline Observation down_obs(const std::string& id) {
  Observation o;
  o.instance_id = id;
  o.outcome = ProbeOutcome::no_answer;
  o.error = "connect timed out after 1000ms";
  return o;
}

// A probe the server answered with an error: alive, but no data.
inline Observation error_obs(const std::string& id, ProbeOutcome outcome, std::string error) {
  Observation o;
  o.instance_id = id;
  o.outcome = outcome;
  o.error = std::move(error);
  return o;
}
inline Observation full_obs(const std::string& id) {
  return error_obs(id, ProbeOutcome::overloaded, "connect to " + host_of(id) + ":3306: Too many connections (error 1040)");
}
inline Observation denied_obs(const std::string& id) {
  return error_obs(id, ProbeOutcome::refused,
                   "connect to " + host_of(id) + ":3306: Access denied for user 'failoverdns' (error 1045)");
}

struct Sim {
  FailoverSettings settings = default_settings();
  std::vector<FailoverMember> members = three_members();
  DeciderState state;
  SteadyTime now = SteadyTime(std::chrono::hours(1000));
  WallTime wall = WallTime(std::chrono::hours(480000));
  Decision last;
  std::vector<LogEvent> timeline;  // every event so far

  Sim() = default;
  explicit Sim(FailoverState persisted) : state(DeciderState::from_persistent(std::move(persisted))) {}

  Decision& step(std::vector<Observation> obs, std::vector<ActionResult> results = {}) {
    FailoverDecider decider(settings, members);
    for (auto& o : obs) o.at = now;
    DeciderInput input;
    input.now = now;
    input.wall_now = wall;
    input.observations = std::move(obs);
    input.results = std::move(results);
    last = decider.decide(state, input);
    state = last.state;
    timeline.insert(timeline.end(), last.events.begin(), last.events.end());
    return last;
  }
  // An operator's switchover request, with nothing else new.
  Decision& switchover(std::uint64_t id, std::string to = "") {
    DeciderInput input;
    input.switchovers.push_back(SwitchoverRequest{id, std::move(to)});
    return ask(std::move(input));
  }
  Decision& maintenance(std::uint64_t id, std::string instance, bool enable, std::string reason = "") {
    DeciderInput input;
    input.maintenance.push_back(MaintenanceRequest{id, std::move(instance), enable, std::move(reason)});
    return ask(std::move(input));
  }
  Decision& ask(DeciderInput input) {
    FailoverDecider decider(settings, members);
    input.now = now;
    input.wall_now = wall;
    last = decider.decide(state, input);
    state = last.state;
    timeline.insert(timeline.end(), last.events.begin(), last.events.end());
    return last;
  }
  Decision& advance(std::chrono::milliseconds d, std::vector<Observation> obs = {},
                    std::vector<ActionResult> results = {}) {
    now += d;
    wall += d;
    return step(std::move(obs), std::move(results));
  }

  Role role(const std::string& id) const { return last.roles.at(id).role; }
  bool has_event(const std::string& name) const {
    return std::ranges::any_of(last.events, [&](const LogEvent& e) { return e.name == name; });
  }
  bool ever(const std::string& name) const {
    return std::ranges::any_of(timeline, [&](const LogEvent& e) { return e.name == name; });
  }
  // The latest event of that name in the whole timeline.
  const LogEvent& latest(const std::string& name) const {
    for (auto it = timeline.rbegin(); it != timeline.rend(); ++it)
      if (it->name == name) return *it;
    FAIL("no event " << name << " so far");
    return timeline.front();
  }
  int count(const std::string& name) const {
    return static_cast<int>(std::ranges::count_if(timeline, [&](const LogEvent& e) { return e.name == name; }));
  }
  const LogEvent& event(const std::string& name) const {
    for (const auto& e : last.events)
      if (e.name == name) return e;
    FAIL("no event " << name);
    return last.events.front();
  }
  std::vector<std::string> event_names() const {
    std::vector<std::string> out;
    for (const auto& e : last.events) out.push_back(e.name);
    return out;
  }
  std::vector<std::string> action_names() const {
    std::vector<std::string> out;
    for (const auto& a : last.actions) out.push_back(std::string(action_name(a.body)) + ":" + action_target(a.body));
    return out;
  }
  template <class T>
  const T* find_action(std::uint64_t* id = nullptr) const {
    for (const auto& a : last.actions) {
      if (const T* body = std::get_if<T>(&a.body)) {
        if (id) *id = a.id;
        return body;
      }
    }
    return nullptr;
  }
  template <class T>
  ActionResult ok_for(PromotionCoordinates coords = {}) const {
    std::uint64_t id = 0;
    REQUIRE_MESSAGE(find_action<T>(&id) != nullptr, "expected action not emitted");
    return ActionResult{id, true, "", std::move(coords), {}};
  }
  template <class T>
  ActionResult failed_for(std::string error) const {
    std::uint64_t id = 0;
    REQUIRE_MESSAGE(find_action<T>(&id) != nullptr, "expected action not emitted");
    return ActionResult{id, false, std::move(error), {}, {}};
  }
};

// db1 stops answering and the replicas lose it too: failcount failed
// probes, the last one confirming the failure.
inline void crash_primary(Sim& sim, ReplicaView db2 = {}, ReplicaView db3 = {}) {
  sim.advance(1000ms, {down_obs("db1"), orphan_obs("db2", db2), orphan_obs("db3", db3)});
  sim.advance(200ms, {down_obs("db1")});
  sim.advance(200ms, {down_obs("db1")});
}

// db1 primary (from the state file), db2 and db3 healthy replicas of it.
inline Sim healthy_cluster(FailoverSettings settings = default_settings()) {
  FailoverState st;
  st.primary = "db1";
  st.epoch = 1;
  Sim sim(st);
  sim.settings = settings;
  sim.step({primary_obs("db1"), replica_obs("db2"), replica_obs("db3")});
  REQUIRE(sim.role("db1") == Role::primary);
  return sim;
}

}  // namespace failoverdns::testing
