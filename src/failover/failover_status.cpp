#include "failoverdns/failover/failover_status.hpp"

#include <algorithm>
#include <string_view>

namespace failoverdns {
namespace {

// Events that belong to an outage's timeline once it started; the rest of
// the log (probes answering again, replicas redirected later) stays in the log.
constexpr std::string_view kTimeline[] = {
    "failover_vetoed",    "failover_blocked_by_cooldown", "replicas_lost_primary", "no_candidate",
    "failover_refused",   "data_loss_accepted",           "failover_disabled",     "failover_started",
    "relay_log_applied",  "relay_log_wait_failed",        "promoting",             "promoted",
    "promote_failed",     "failover_aborted",             "promotion_abandoned",   "state_save_failed",
    "failover_complete",  "primary_recovered",            "switchover_demoted",    "switchover_caught_up",
    "switchover_rolling_back", "switchover_rollback_failed", "switchover_complete", "switchover_rolled_back",
    "switchover_failed",  "maintenance_enabled",
};

bool in_timeline(std::string_view name) { return std::ranges::find(kTimeline, name) != std::end(kTimeline); }

}  // namespace

void FailoverHistory::add(const LogEvent& event, WallTime at) {
  const bool open = !records_.empty() && !records_.back().ended;
  if (event.name == "primary_down" || event.name == "switchover_started") {
    if (open) return;  // said once per outage
    FailoverRecord r;
    r.started = at;
    r.kind = event.name == "primary_down" ? "failover" : "switchover";
    r.old_primary = event.field(event.name == "primary_down" ? "instance" : "old_primary");
    r.timeline.push_back({at, event});
    records_.push_back(std::move(r));
    while (records_.size() > keep_) records_.pop_front();
    return;
  }
  if (!open || !in_timeline(event.name)) return;
  auto& r = records_.back();
  r.timeline.push_back({at, event});
  if (event.name == "failover_complete" || event.name == "switchover_complete") {
    r.outcome = "complete";
    r.new_primary = event.field("primary");
    if (auto epoch = event.field("epoch"); !epoch.empty()) r.epoch = std::stoull(epoch);
    r.ended = at;
  } else if (event.name == "primary_recovered") {
    r.outcome = "recovered";
    r.ended = at;
  } else if (event.name == "failover_aborted") {
    // The old primary answered before anything happened: the outage is over.
    r.outcome = "aborted";
    r.ended = at;
  } else if (event.name == "switchover_rolled_back" || event.name == "switchover_failed") {
    r.outcome = event.name == "switchover_failed" ? "failed" : "rolled_back";
    r.ended = at;
  }
}

bool FailoverStatus::same_state(const FailoverStatus& o) const {
  if (service != o.service || primary != o.primary || epoch != o.epoch || primary_since != o.primary_since ||
      auto_failover != o.auto_failover || blocked != o.blocked || cooldown_until != o.cooldown_until ||
      promotion != o.promotion || failovers != o.failovers || members.size() != o.members.size())
    return false;
  for (std::size_t i = 0; i < members.size(); ++i) {
    const auto& a = members[i];
    const auto& b = o.members[i];
    if (a.id != b.id || a.role != b.role || a.health != b.health || a.probe != b.probe ||
        a.last_error != b.last_error || a.read_only != b.read_only || a.replicating_from != b.replicating_from ||
        a.replication_error != b.replication_error || a.fenced != b.fenced || a.diverged != b.diverged ||
        a.errant != b.errant || a.no_promotion != b.no_promotion || a.maintenance != b.maintenance ||
        a.client_sessions != b.client_sessions)
      return false;
  }
  return true;
}

}  // namespace failoverdns
