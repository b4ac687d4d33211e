// GET /v1/failover/<service>: who is primary and since when, each
// instance as failoverdns last saw it, the last failovers as timelines,
// and whether a failed primary would be replaced now. Ours, so named in
// Consul's manner (PascalCase) to sit well beside the Consul endpoints.
#include "api_json.hpp"

namespace failoverdns::http {
namespace {

json time_or_null(const std::optional<WallTime>& at) { return at ? json(rfc3339(*at)) : json(nullptr); }

json member_json(const ApiView& view, const MemberStatus& m) {
  std::string node;
  for (const auto& in : view.catalog.instances)
    if (in.id == m.id) node = in.node;
  return json{{"ID", m.id},
              {"Node", node},
              {"Address", m.host},
              {"Port", m.port},
              {"Role", std::string(to_string(m.role))},
              {"Health", std::string(to_string(m.health))},
              {"Probe", m.probe},
              {"LastError", m.last_error},
              {"ConsecutiveFailures", m.consecutive_failures},
              {"LastProbe", time_or_null(m.last_probe)},
              {"ReadOnly", m.read_only},
              {"GtidBinlogPos", m.gtid_binlog_pos},
              {"GtidExecuted", m.gtid_slave_pos},
              {"GtidReceived", m.gtid_received},
              {"ReplicatingFrom", m.replicating_from},
              {"ReplicationError", m.replication_error},
              {"LagSeconds", m.lag_seconds ? json(*m.lag_seconds) : json(nullptr)},
              {"Fenced", m.fenced},
              {"Diverged", m.diverged},
              {"Errant", m.errant},
              {"NoPromotion", m.no_promotion},
              {"ClientSessions", m.client_sessions ? json(*m.client_sessions) : json(nullptr)},
              {"Maintenance", !m.maintenance.empty()},
              {"MaintenanceReason", m.maintenance}};
}

json record_json(const FailoverRecord& r) {
  json timeline = json::array();
  for (const auto& step : r.timeline) {
    json fields = json::object();
    for (const auto& [k, v] : step.event.fields)
      if (k != "service") fields[k] = v;
    timeline.push_back(json{{"At", rfc3339(step.at)}, {"Event", step.event.name}, {"Fields", std::move(fields)}});
  }
  return json{{"Kind", r.kind},
              {"Started", rfc3339(r.started)},
              {"Ended", time_or_null(r.ended)},
              {"Outcome", r.outcome},
              {"OldPrimary", r.old_primary},
              {"NewPrimary", r.new_primary},
              {"Epoch", r.epoch},
              {"Timeline", std::move(timeline)}};
}

}  // namespace

json failover_status(const ApiView& view, const FailoverStatus& s) {
  json members = json::array();
  for (const auto& m : s.members) members.push_back(member_json(view, m));
  json failovers = json::array();
  for (auto it = s.failovers.rbegin(); it != s.failovers.rend(); ++it) failovers.push_back(record_json(*it));
  return json{{"Service", s.service},
              {"Primary", s.primary},
              {"Epoch", s.epoch},
              {"PrimarySince", time_or_null(s.primary_since)},
              {"AutoFailover", s.auto_failover},
              {"Blocked", !s.blocked.empty()},
              {"BlockedReason", s.blocked},
              {"CooldownUntil", time_or_null(s.cooldown_until)},
              {"Promotion", s.promotion},
              {"Instances", std::move(members)},
              {"Failovers", std::move(failovers)}};
}

}  // namespace failoverdns::http
