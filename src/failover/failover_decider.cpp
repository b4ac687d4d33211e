#include "failoverdns/failover/failover_decider.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "action_sql.hpp"
#include "failoverdns/support/log_value.hpp"

namespace failoverdns {

namespace {

using Phase = DeciderState::Promotion::Phase;
using Fields = std::vector<std::pair<std::string, std::string>>;

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};

std::string ms(Milliseconds d) { return std::to_string(d.count()) + "ms"; }

std::string ms_since(SteadyTime now, SteadyTime then) {
  return ms(std::chrono::duration_cast<Milliseconds>(now - then));
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Configured and trying counts: a "Connecting" IO thread is still replication
// that points somewhere.
bool is_replicating(const Observation& obs) {
  return std::ranges::any_of(obs.replication, [](const ReplicaStatus& r) {
    return (!r.io_state.empty() && r.io_state != "No") || r.sql_running;
  });
}

std::string join(const std::vector<std::string>& items, std::string_view sep = ",") {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

// Unparsable positions count as empty for ranking, and are reported.
GtidPosition parse_or_empty(const std::string& text) {
  auto p = GtidPosition::parse(text);
  return p ? *p : GtidPosition{};
}

Milliseconds action_budget(const FailoverSettings& s, const ActionBody& body) {
  // The executor bounds each statement by `timeout`; this is only a safety
  // net in case a result never comes back.
  Milliseconds budget = s.timeout * 10 + Milliseconds(10000);
  if (std::holds_alternative<WaitRelayLog>(body)) budget += s.relay_log_wait;
  return budget;
}

// Seq numbers are domain-wide (gtid_strict_mode), so a range names one
// server's transactions within a seq interval, not every seq in it.
constexpr const char* range_reading =
    "D-S-A..D-S-B: the transactions of server S in domain D with seq A to B (seq numbers are shared by all servers "
    "of a domain, so this may be fewer than B-A+1)";

class Step {
 public:
  Step(const FailoverSettings& settings, const std::vector<FailoverMember>& members, const DeciderState& state,
       const DeciderInput& input)
      : settings_(settings), members_(members), in_(input) {
    d_.state = state;
    for (const auto& m : members_) s().members[m.id];  // every member has a track
  }

  Decision run() {
    for (const auto& obs : in_.observations) observe(obs);
    auto results = in_.results;
    expire_pending(results);
    for (const auto& r : results) apply(r);
    watch_probe_ages();
    discover_primary();
    drive_promotion();
    drive_switchover();
    for (const auto& request : in_.switchovers) request_switchover(request);
    for (const auto& request : in_.maintenance) request_maintenance(request);
    watch_primary();
    converge_members();
    watch_replication();
    learn_lineage();
    save_if_needed();  // last: every stage above may change what must be saved
    publish_roles();
    probe_delays();
    return std::move(d_);
  }

  // Why a primary that failed now would not be replaced, or "": the rules
  // of watch_primary, asked ahead of time (and during an outage, what
  // watch_primary last said).
  std::string blocked() {
    if (!settings_.auto_failover) return "auto_failover is off: a failed primary is not replaced";
    const std::string primary = ps().primary;
    if (primary.empty())
      return "no primary known yet: every instance must be probed once, and exactly one must be writable";
    if (!member(primary)) return "the state file's primary " + primary + " is not in the configuration";
    if (s().promotion) return "";  // being replaced
    if (auto it = s().notices.find("vouch"); it != s().notices.end())
      return "replicas " + it->second + " still receive from " + primary +
             ": failoverdns is probably the one cut off, so it does not promote";
    if (auto it = s().notices.find("cooldown"); it != s().notices.end())
      return "cooldown: replicas " + it->second + " still receive from " + primary;
    if (auto it = s().notices.find("failover_refused"); it != s().notices.end())
      return "refused, it would lose transactions: " + it->second;
    std::vector<std::string> reasons;
    if (!choose_candidate(primary, reasons)) return "no replica could be promoted: " + join(reasons, "; ");
    return "";
  }

 private:
  DeciderState& s() { return d_.state; }
  FailoverState& ps() { return d_.state.persistent; }
  SteadyTime now() const { return in_.now; }
  Milliseconds stale_after() const { return settings_.interval * settings_.failcount; }

  // ---- helpers

  const FailoverMember* member(const std::string& id) const {
    for (const auto& m : members_)
      if (m.id == id) return &m;
    return nullptr;
  }

  DeciderState::MemberTrack& track(const std::string& id) { return s().members[id]; }

  // Latest probe answered: fresh enough to act on.
  bool answering(const std::string& id) {
    if (!member(id)) return false;
    const auto& t = track(id);
    return t.observed && t.last_reachable && t.last_outcome == ProbeOutcome::answered && !stalled(t);
  }
  // No probe result for far longer than a probe can take: its loop is stuck.
  // Old data is acted on by nobody; it is not evidence of a dead server either.
  Milliseconds stall_after() const { return 3 * (settings_.interval + settings_.timeout); }
  bool stalled(const DeciderState::MemberTrack& t) const { return t.observed && now() - t.probed_at > stall_after(); }
  // Alive but its latest probe got an error instead of answers.
  bool refusing(const std::string& id) {
    auto o = track(id).last_outcome;
    return o == ProbeOutcome::refused || o == ProbeOutcome::overloaded;
  }
  // Up with hysteresis: a few lost probes do not take it down.
  bool up(const std::string& id) {
    if (!member(id)) return false;
    const auto& t = track(id);
    return t.last_reachable && t.consecutive_failures < settings_.failcount;
  }
  bool failed(const std::string& id) { return track(id).consecutive_failures >= settings_.failcount; }
  const Observation& last(const std::string& id) { return *track(id).last_reachable; }

  // The member a replication row points at, matched on Master_Host/Port.
  const FailoverMember* source_of(const ReplicaStatus& row) const {
    for (const auto& m : members_)
      if (iequals(row.master_host, m.host) && row.master_port == m.port) return &m;
    return nullptr;
  }
  const ReplicaStatus* row_to(const Observation& obs, const std::string& source) const {
    for (const auto& row : obs.replication) {
      const auto* m = source_of(row);
      if (m && m->id == source) return &row;
    }
    return nullptr;
  }

  bool primary_saved() { return s().primary_saved(); }
  bool primary_serving() {
    const auto& p = ps().primary;
    if (p.empty() || !primary_saved() || s().promotion || !member(p)) return false;
    if (!track(p).last_reachable) {
      // Not seen since the start: the state file's primary keeps its name
      // until evidence says otherwise -- failcount probes without an
      // answer and no replica vouching for it (issue 8, defect 5).
      return !failed(p) || !vouching_replicas(p).empty();
    }
    // A primary only failoverdns lost, while replicas still receive from it,
    // keeps its name: the partition is ours, not the application's.
    if (!up(p) && vouching_replicas(p).empty()) return false;
    const auto& obs = last(p);
    return !obs.read_only && !is_replicating(obs);
  }
  bool in_cooldown() const {
    const auto& last_failover = d_.state.persistent.last_failover;
    return last_failover && in_.wall_now - *last_failover < settings_.cooldown;
  }

  void emit(LogLevel level, std::string name, Fields fields) {
    LogEvent e;
    e.level = level;
    e.name = std::move(name);
    e.fields.emplace_back("service", settings_.service);
    for (auto& f : fields) e.fields.push_back(std::move(f));
    d_.events.push_back(std::move(e));
  }
  // True the first time a condition is seen or when what it says changed.
  bool notice(const std::string& key, const std::string& what) {
    auto [it, inserted] = s().notices.try_emplace(key, what);
    if (inserted) return true;
    if (it->second == what) return false;
    it->second = what;
    return true;
  }
  bool forget(const std::string& key) {
    s().reminded.erase(key);
    return s().notices.erase(key) > 0;
  }
  // notice(), and again every `every` while the condition lasts: for what
  // must not be missed in a log (broken replication, a refused failover).
  bool remind(const std::string& key, const std::string& what, Milliseconds every) {
    bool changed = notice(key, what);
    auto [it, inserted] = s().reminded.try_emplace(key, now());
    if (!changed && !inserted && now() - it->second < every) return false;
    it->second = now();
    return true;
  }
  static constexpr Milliseconds reminder_every{60000};

  std::uint64_t act(ActionBody body, const std::string& instance) {
    std::uint64_t id = s().next_action_id++;
    DeciderState::PendingAction p;
    p.body = body;
    p.instance = instance;
    p.deadline = now() + action_budget(settings_, body);
    s().pending[id] = std::move(p);
    if (!instance.empty() && member(instance)) track(instance).pending = id;
    d_.actions.push_back(Action{id, std::move(body)});
    return id;
  }

  void bump() { ++s().version; }

  void unfence(const std::string& id) {
    std::erase(ps().fenced, id);
    ps().diverged.erase(id);
    forget("diverged:" + id);
    forget("fenced:" + id);
    forget("withheld:" + id);
    forget("sessions:" + id);
    bump();
  }

  // ---- inputs

  void observe(const Observation& obs) {
    if (!member(obs.instance_id)) return;
    auto& t = track(obs.instance_id);
    const std::string& id = obs.instance_id;
    bool is_primary = id == ps().primary;
    t.observed = true;
    t.probed_at = obs.at;
    t.last_outcome = obs.outcome;
    switch (obs.outcome) {
      case ProbeOutcome::answered:
        if (is_primary && t.consecutive_failures > 0 && t.consecutive_failures < settings_.failcount) {
          emit(LogLevel::info, "primary_probe_ok",
               {{"instance", id}, {"after_failures", std::to_string(t.consecutive_failures)}});
        }
        if (forget("refused:" + id)) emit(LogLevel::info, "probe_answered_again", {{"instance", id}});
        t.consecutive_failures = 0;
        t.first_failure_at.reset();
        t.last_reachable = obs;
        for (const auto& row : obs.replication) {
          const auto* src = source_of(row);
          if (src && row.io_running() && row.last_io_errno == 0) t.receiving_at[src->id] = obs.at;
        }
        note_progress(t, obs);
        return;
      case ProbeOutcome::refused:
      case ProbeOutcome::overloaded:
        // It answered, so it is alive: not a failure, never a reason to fail
        // over. But there is nothing fresh to act on either (answering() is
        // false), and an operator must hear of it.
        t.consecutive_failures = 0;
        t.first_failure_at.reset();
        t.last_error = obs.error;
        if (notice("refused:" + id, std::string(to_string(obs.outcome)))) {
          bool full = obs.outcome == ProbeOutcome::overloaded;
          emit(LogLevel::error, full ? "probe_overloaded" : "probe_refused",
               {{"instance", id},
                {"role", is_primary ? "primary" : "other"},
                {"error", obs.error},
                {"meaning", "the server is alive; this is not counted as a failure and nothing is failed over"},
                {"action", full ? "the server is full: grant failoverdns CONNECTION ADMIN (it then gets the "
                                  "connection MariaDB reserves for admins) or set extra_port, and look at "
                                  "max_connections and the application's pool"
                                : "fix failoverdns's account on this server (password, host, grants: see the "
                                  "README's failover section)"}});
        }
        return;
      case ProbeOutcome::no_answer:
        break;
    }
    forget("refused:" + id);
    if (t.consecutive_failures < 1000000) ++t.consecutive_failures;
    if (!t.first_failure_at) t.first_failure_at = obs.at;
    t.last_error = obs.error;
    if (is_primary && !s().promotion && t.consecutive_failures < settings_.failcount) {
      emit(LogLevel::warn, "primary_probe_failed",
           {{"instance", id},
            {"failures", std::to_string(t.consecutive_failures) + "/" + std::to_string(settings_.failcount)},
            {"next_probe_in", ms(settings_.recheck_interval)},
            {"error", obs.error}});
    }
  }

  // When did this replica last receive anything (event or heartbeat) from
  // the primary? A frozen primary stops both; an idle one still heartbeats.
  void note_progress(DeciderState::MemberTrack& t, const Observation& obs) {
    const ReplicaStatus* row = ps().primary.empty() ? nullptr : row_to(obs, ps().primary);
    if (!row) {
      t.progress.reset();
      return;
    }
    auto& p = t.progress;
    if (p && p->source == ps().primary && p->gtid_io_pos == row->gtid_io_pos &&
        p->master_log_file == row->master_log_file && p->read_master_log_pos == row->read_master_log_pos &&
        p->received_heartbeats == row->received_heartbeats) {
      return;
    }
    p = DeciderState::ReplicaProgress{
        ps().primary, row->gtid_io_pos, row->master_log_file, row->read_master_log_pos, row->received_heartbeats,
        obs.at};
  }

  void expire_pending(std::vector<ActionResult>& results) {
    for (const auto& [id, p] : s().pending) {
      if (p.deadline > now()) continue;
      bool answered = std::ranges::any_of(results, [&](const ActionResult& r) { return r.id == id; });
      if (!answered) results.push_back(ActionResult{id, false, "no result from the executor in time", {}, {}});
    }
  }

  void apply(const ActionResult& r) {
    auto it = s().pending.find(r.id);
    if (it == s().pending.end()) {
      emit(LogLevel::warn, "unknown_action_result", {{"action_id", std::to_string(r.id)}, {"ok", r.ok ? "yes" : "no"}});
      return;
    }
    auto p = std::move(it->second);
    s().pending.erase(it);
    if (member(p.instance) && track(p.instance).pending == r.id) track(p.instance).pending.reset();
    const bool for_promotion = s().promotion && s().promotion->action == r.id;
    const bool for_switchover = s().switchover && s().switchover->action == r.id;
    if (for_switchover) s().switchover->action.reset();
    // Every kind of action has its handler: a new one is a compile error here.
    std::visit(Overloaded{
                   [&](const PersistState& a) { saved(r, a.version); },
                   [&](const WaitRelayLog&) {
                     if (for_switchover) caught_up(r);
                     else relay_log_waited(r, for_promotion);
                   },
                   [&](const Demote&) {
                     if (for_switchover) demoted(r);
                   },
                   [&](const MakeWritable&) {
                     if (for_switchover) made_writable(r);
                   },
                   [&](const Promote&) { promote_done(r, for_promotion); },
                   [&](const Fence& a) { fence_done(r, a); },
                   [&](const Redirect& a) { redirect_done(r, a.instance); },
                   [&](const Rejoin& a) { rejoin_done(r, a.instance); },
               },
               p.body);
  }

  void saved(const ActionResult& r, std::uint64_t version) {
    s().save_pending = false;
    if (r.ok) {
      s().saved_version = std::max(s().saved_version, version);
      Fields f{{"primary", ps().primary}, {"epoch", std::to_string(ps().epoch)}, {"fenced", join(ps().fenced)}};
      if (ps().promoting) f.emplace_back("promoting", ps().promoting->candidate);
      emit(LogLevel::info, "state_saved", std::move(f));
    } else {
      s().save_retry_after = now() + settings_.interval;
      emit(LogLevel::error, "state_save_failed", {{"error", r.error}, {"retry_in", ms(settings_.interval)}});
    }
  }

  void relay_log_waited(const ActionResult& r, bool for_promotion) {
    auto& promo = s().promotion;
    if (!for_promotion) return;  // promotion was abandoned meanwhile
    promo->action.reset();
    if (r.ok) {
      promo->relay_applied_at = now();
      emit(LogLevel::info, "relay_log_applied",
           {{"candidate", promo->candidate}, {"gtid", promo->gtid}, {"took", ms_since(now(), promo->started)}});
      ps().promoting = PromotionIntent{promo->candidate, promo->old_primary};
      bump();
      promo->phase = Phase::saving_intent;
      promo->version = s().version;
    } else {
      ++s().candidate_failures[promo->candidate];
      abandon_promotion(LogLevel::error, "relay_log_wait_failed",
                        {{"gtid", promo->gtid},
                         {"error", r.error},
                         {"action",
                          "not promoted, nothing published; the most advanced eligible replica is tried "
                          "again in " +
                              ms(settings_.interval)}});
      s().failover_retry_after = now() + settings_.interval;
    }
  }

  void promote_done(const ActionResult& r, bool for_promotion) {
    auto& promo = s().promotion;
    if (!for_promotion) return;
    promo->action.reset();
    if (r.ok) {
      std::string candidate = promo->candidate;
      promoted(r.coordinates);
      // The executor just checked it: publish without waiting a probe.
      if (auto& obs = track(candidate).last_reachable) {
        obs->read_only = false;
        obs->replication.clear();
        if (!r.coordinates.gtid_binlog_pos.empty()) obs->gtid_binlog_pos = r.coordinates.gtid_binlog_pos;
      }
    } else {
      promo->retry_after = now() + settings_.interval;
      emit(LogLevel::error, "promote_failed",
           {{"candidate", promo->candidate},
            {"error", r.error},
            {"action",
             "not published; promote is retried in " + ms(settings_.interval) + " while the candidate answers"}});
    }
  }

  // What a fence or a demotion did to the client sessions, in its event:
  // one line for the read-only and the clients ended.
  void report_sessions(const ActionResult& r, const std::string& instance, bool end_sessions, Fields& f,
                       LogLevel& level) {
    if (!r.sessions) {
      if (!end_sessions) f.emplace_back("sessions", "kept (kill_sessions_on_demote is false)");
      return;
    }
    const auto& ended = *r.sessions;
    f.emplace_back("sessions_killed", std::to_string(ended.killed.size()));
    if (!ended.killed.empty()) f.emplace_back("sessions", describe_sessions(ended.killed));
    if (ended.already_gone > 0) f.emplace_back("sessions_already_gone", std::to_string(ended.already_gone));
    if (!ended.error.empty()) {
      level = LogLevel::warn;
      f.emplace_back("sessions_error", ended.error);
      f.emplace_back("action", "clients may still be connected to " + instance +
                                   " (read-only now): grant failoverdns's account PROCESS and CONNECTION ADMIN so it "
                                   "can see and end them");
    }
  }

  void fence_done(const ActionResult& r, const Fence& fence) {
    const std::string& instance = fence.instance;
    bool former = ps().is_fenced(instance);
    if (r.ok) {
      if (auto& obs = track(instance).last_reachable) obs->read_only = true;
      Fields f{{"instance", instance}, {"read_only", "1"}};
      LogLevel level = LogLevel::info;
      if (former || fence.end_sessions) report_sessions(r, instance, fence.end_sessions, f, level);
      emit(level, former ? "fenced" : "made_read_only", std::move(f));
    } else {
      track(instance).retry_after = now() + settings_.interval;
      emit(LogLevel::error, former ? "fence_failed" : "make_read_only_failed",
           {{"instance", instance},
            {"error", r.error},
            {"retry_in", ms(settings_.interval)},
            {"risk", "it is writable and not the primary: writes to it are lost to the primary's history"}});
    }
  }

  void redirect_done(const ActionResult& r, const std::string& instance) {
    if (r.ok) {
      // The executor just pointed it at the primary. Until a probe says
      // so, the last observation still shows the old source and would
      // redirect it again at every result that wakes the decider.
      const auto* pm = member(ps().primary);
      if (auto& obs = track(instance).last_reachable; obs && pm) {
        for (auto& row : obs->replication) {
          const auto* src = source_of(row);
          if (src && src->id != pm->id && ps().is_fenced(src->id)) {
            row.master_host = pm->host;
            row.master_port = pm->port;
          }
        }
      }
      emit(LogLevel::info, "redirected", {{"instance", instance}, {"primary", ps().primary}});
    } else {
      track(instance).retry_after = now() + settings_.interval;
      emit(LogLevel::warn, "redirect_failed", {{"instance", instance}, {"error", r.error}});
    }
  }

  void rejoin_done(const ActionResult& r, const std::string& instance) {
    if (r.ok) {
      // Not done yet: it stays fenced until a probe shows its threads
      // running (converge_members), or watch_replication() reports why not.
      // Until a probe says more, it is known to point at the primary; the
      // last observation would otherwise send the rejoin again.
      const auto* pm = member(ps().primary);
      if (auto& obs = track(instance).last_reachable; obs && pm) {
        ReplicaStatus row;
        row.master_host = pm->host;
        row.master_port = pm->port;
        row.io_state = "Connecting";
        obs->replication = {row};
      }
      emit(LogLevel::info, "rejoin_configured",
           {{"instance", instance}, {"primary", ps().primary}, {"next", "unfenced once it replicates"}});
    } else {
      track(instance).retry_after = now() + settings_.interval;
      emit(LogLevel::warn, "rejoin_failed", {{"instance", instance}, {"error", r.error}});
    }
  }

  void promoted(const PromotionCoordinates& coordinates) {
    auto& promo = *s().promotion;
    const std::string old = promo.old_primary;
    ps().primary = promo.candidate;
    ++ps().epoch;
    ps().coordinates = coordinates;
    if (!old.empty() && old != promo.candidate && !ps().is_fenced(old)) ps().fenced.push_back(old);
    std::erase(ps().fenced, promo.candidate);
    ps().last_failover = in_.wall_now;
    ps().primary_since = in_.wall_now;
    ps().promoting.reset();
    ps().demoted.clear();
    // The new epoch's history is exactly what the new primary itself holds
    // (it applied its whole relay log first). Nothing learned from the old
    // primary may stay: what the old one committed and this one never got
    // is precisely what a returning old primary must be fenced for.
    auto& lineage = s().lineage;
    lineage = parse_or_empty(coordinates.gtid_binlog_pos);
    if (const auto& obs = track(promo.candidate).last_reachable) {
      for (const auto* text : {&obs->gtid_binlog_pos, &obs->gtid_current_pos, &obs->gtid_slave_pos})
        lineage = merge(lineage, parse_or_empty(*text));
    }
    bump();
    s().primary_version = s().version;
    promo.phase = Phase::saving_result;
    promo.version = s().version;
    promo.promoted_at = now();
    emit(LogLevel::info, "promoted",
         {{"instance", promo.candidate},
          {"epoch", std::to_string(ps().epoch)},
          {"binlog_file", coordinates.binlog_file},
          {"binlog_pos", std::to_string(coordinates.binlog_pos)},
          {"gtid_binlog_pos", coordinates.gtid_binlog_pos},
          {"next", "save state, then publish"}});
  }

  void watch_probe_ages() {
    for (const auto& m : members_) {
      const auto& t = track(m.id);
      if (!stalled(t)) {
        if (forget("stalled:" + m.id)) emit(LogLevel::info, "probes_resumed", {{"instance", m.id}});
        continue;
      }
      if (notice("stalled:" + m.id, "")) {
        emit(LogLevel::error, "probe_stalled",
             {{"instance", m.id},
              {"last_probe", ms_since(now(), t.probed_at) + " ago"},
              {"meaning", "failoverdns has no fresh view of it: no action on it, not counted as down either"},
              {"action", "a bug or an overloaded control plane: look for event=loop_failed and report it"}});
      }
    }
  }

  // ---- first start

  void discover_primary() {
    if (!ps().primary.empty() || s().promotion) return;
    // Every instance must have been probed once: deciding from a partial
    // view could crown one writable server while another is writable too.
    for (const auto& m : members_)
      if (!track(m.id).observed) return;
    std::vector<std::string> writable;
    bool any_answering = false;
    for (const auto& m : members_) {
      if (!answering(m.id)) continue;
      any_answering = true;
      const auto& obs = last(m.id);
      if (!obs.read_only && !is_replicating(obs)) writable.push_back(m.id);
    }
    if (writable.size() == 1) {
      const auto& id = writable.front();
      ps().primary = id;
      ps().epoch = std::max<std::uint64_t>(ps().epoch, 1);
      ps().primary_since = in_.wall_now;
      s().lineage = merge(s().lineage, parse_or_empty(last(id).gtid_current_pos));
      s().lineage = merge(s().lineage, parse_or_empty(last(id).gtid_binlog_pos));
      bump();
      s().primary_version = s().version;
      forget("split_brain");
      forget("no_writable");
      emit(LogLevel::info, "primary_found",
           {{"instance", id},
            {"reason", "the only writable (read_only=0), non-replicating instance"},
            {"gtid_binlog_pos", last(id).gtid_binlog_pos}});
    } else if (writable.size() > 1) {
      if (notice("split_brain", join(writable))) {
        emit(LogLevel::error, "split_brain",
             {{"instances", join(writable)},
              {"published", "none"},
              {"action",
               "more than one instance is writable and not replicating; keep the real primary, run SET "
               "GLOBAL read_only=1 on the others and make them replicas of it"}});
      }
    } else if (any_answering) {
      if (notice("no_writable", "")) {
        emit(LogLevel::warn, "no_writable_instance",
             {{"published", "none"},
              {"action",
               "every reachable instance is read-only or replicating; make the primary writable (SET "
               "GLOBAL read_only=0) and failoverdns will publish it"}});
      }
    }
  }

  // ---- the primary and the failover

  void watch_primary() {
    const std::string primary = ps().primary;
    if (primary.empty() || s().promotion || s().switchover) return;
    if (!member(primary)) {
      if (notice("primary_unknown", primary)) {
        emit(LogLevel::error, "primary_not_configured",
             {{"instance", primary},
              {"action",
               "the state file names an instance that is not in the configuration; restore it, or move "
               "the state file away to start afresh"}});
      }
      return;
    }
    forget("primary_unknown");
    if (!failed(primary)) {
      if (s().outage_started) {
        emit(LogLevel::info, "primary_recovered",
             {{"instance", primary}, {"down_for", ms_since(now(), *s().outage_started)}});
        end_outage();
      }
      primary_state_warnings(primary);
      return;
    }
    auto& t = track(primary);
    if (!s().outage_started) {
      s().outage_started = t.first_failure_at.value_or(now());
      emit(LogLevel::error, "primary_down",
           {{"instance", primary},
            {"failures", std::to_string(t.consecutive_failures)},
            {"first_failure", ms_since(now(), *s().outage_started) + " ago"},
            {"error", t.last_error}});
    }
    if (!settings_.auto_failover) {
      if (notice("auto_failover_off", "")) {
        emit(LogLevel::warn, "failover_disabled",
             {{"instance", primary},
              {"action",
               "auto_failover is false: nothing is promoted and no primary is published; promote a "
               "replica by hand, or bring the primary back"}});
      }
      return;
    }

    bool cooldown = in_cooldown();
    auto vouchers = vouching_replicas(primary);
    if (!vouchers.empty() && (settings_.verify_with_replicas || cooldown)) {
      std::string names = join(vouchers);
      if (settings_.verify_with_replicas) {
        if (notice("vouch", names)) {
          emit(LogLevel::warn, "failover_vetoed",
               {{"instance", primary},
                {"replicas_still_receiving", names},
                {"reason",
                 "the replicas still receive from the primary, so failoverdns is probably the one cut "
                 "off; not promoting (no split brain)"}});
        }
      } else if (notice("cooldown", names)) {
        emit(LogLevel::warn, "failover_blocked_by_cooldown",
             {{"instance", primary},
              {"replicas_still_receiving", names},
              {"reason", "a failover happened less than " + ms(settings_.cooldown) +
                             " ago; until then only a primary the replicas lost too is replaced"}});
      }
      return;
    }
    if (forget("vouch") || forget("cooldown")) {
      emit(LogLevel::info, "replicas_lost_primary", {{"instance", primary}});
    }
    if (now() < s().failover_retry_after) return;

    std::vector<std::string> reasons;
    auto candidate = choose_candidate(primary, reasons);
    if (!candidate) {
      if (notice("no_candidate", join(reasons, "; "))) {
        emit(LogLevel::error, "no_candidate",
             {{"instance", primary},
              {"why", join(reasons, "; ")},
              {"action", "nothing promoted; fix a replica (or bring the primary back)"}});
      }
      return;
    }
    forget("no_candidate");
    if (auto risk = promotion_risk(primary, *candidate); !risk.empty()) {
      if (!settings_.accept_data_loss) {
        if (remind("failover_refused", risk, reminder_every)) {
          emit(LogLevel::error, "failover_refused",
               {{"instance", primary},
                {"candidate", candidate->id},
                {"reason", risk},
                {"published", "none"},
                {"action", "bring " + primary + " back (then nothing is lost); or, to promote " + candidate->id +
                               " and lose these transactions, set \"accept_data_loss\": true in failover." +
                               settings_.service + " and reload (SIGHUP)"}});
        }
        return;
      }
      emit(LogLevel::warn, "data_loss_accepted", {{"candidate", candidate->id}, {"reason", risk}});
    }
    forget("failover_refused");
    start_promotion(primary, *candidate, cooldown);
  }

  void primary_state_warnings(const std::string& primary) {
    if (!answering(primary) || !primary_saved()) return;
    const auto& obs = last(primary);
    if (obs.read_only || is_replicating(obs)) {
      std::string what = obs.read_only ? "read_only=1" : "replicating";
      if (notice("primary_not_writable", what)) {
        emit(LogLevel::warn, "primary_not_writable",
             {{"instance", primary},
              {"state", what},
              {"published", "none"},
              {"action", "the state's primary is " + what +
                             " and is not published; make it writable and stop its replication, or if you "
                             "switched over by hand, stop failoverdns and fix the state file"}});
      }
    } else {
      forget("primary_not_writable");
    }
  }

  void end_outage() {
    s().outage_started.reset();
    s().candidate_failures.clear();
    s().failover_retry_after = {};
    for (const auto* key : {"vouch", "cooldown", "no_candidate", "auto_failover_off"}) forget(key);
  }

  // Replicas that prove the primary alive: answering, IO connected without
  // error, and something (an event or a heartbeat) arrived recently.
  std::vector<std::string> vouching_replicas(const std::string& primary) {
    std::vector<std::string> out;
    for (const auto& m : members_) {
      if (m.id == primary || !answering(m.id)) continue;
      const auto* row = row_to(last(m.id), primary);
      if (!row || !row->io_running() || row->last_io_errno != 0) continue;
      const auto& progress = track(m.id).progress;
      if (!progress || progress->source != primary) continue;
      if (now() - progress->changed_at >= stale_after()) continue;
      out.push_back(m.id);
    }
    return out;
  }

  struct Candidate {
    std::string id;
    std::size_t order = 0;
    GtidPosition position;
    const ReplicaStatus* row = nullptr;
  };

  std::optional<Candidate> choose_candidate(const std::string& primary, std::vector<std::string>& reasons) {
    std::vector<Candidate> eligible;
    for (std::size_t i = 0; i < members_.size(); ++i) {
      const auto& id = members_[i].id;
      if (id == primary) continue;
      auto why_not = [&](const std::string& why) { reasons.push_back(id + ": " + why); };
      if (std::ranges::find(settings_.no_promotion, id) != settings_.no_promotion.end()) {
        why_not("in no_promotion");
        continue;
      }
      if (ps().is_fenced(id)) {
        why_not("fenced");
        continue;
      }
      if (auto m = ps().maintenance.find(id); m != ps().maintenance.end()) {
        why_not("in maintenance (" + m->second + ")");
        continue;
      }
      if (!answering(id)) {
        const auto& t = track(id);
        why_not(stalled(t)     ? "no probe result for " + ms_since(now(), t.probed_at)
                : refusing(id) ? "alive but refuses failoverdns: " + t.last_error
                               : "unreachable");
        continue;
      }
      const auto* row = row_to(last(id), primary);
      if (!row) {
        why_not("not replicating from " + primary);
        continue;
      }
      if (row->last_sql_errno != 0) {
        why_not("SQL thread error " + std::to_string(row->last_sql_errno) + ": " + row->last_sql_error);
        continue;
      }
      if (!track(id).errant.empty()) {
        why_not("holds transactions the primary never had: " + track(id).errant);
        continue;
      }
      // Gtid_IO_Pos is what it received; without GTID replication it is
      // empty and what it applied is the best we know.
      const std::string& text = row->gtid_io_pos.empty() ? last(id).gtid_slave_pos : row->gtid_io_pos;
      auto pos = GtidPosition::parse(text);
      if (!pos) {
        why_not("unreadable position: " + pos.error().message);
        continue;
      }
      eligible.push_back(Candidate{id, i, *pos, row});
    }
    if (eligible.empty()) return std::nullopt;
    std::vector<Candidate> best;
    for (const auto& c : eligible) {
      bool behind = std::ranges::any_of(
          eligible, [&](const Candidate& o) { return compare(c.position, o.position) == GtidOrder::behind; });
      if (!behind) best.push_back(c);
    }
    auto failures = [&](const Candidate& c) {
      auto it = s().candidate_failures.find(c.id);
      return it == s().candidate_failures.end() ? 0 : it->second;
    };
    std::ranges::sort(best, [&](const Candidate& a, const Candidate& b) {
      if (failures(a) != failures(b)) return failures(a) < failures(b);
      auto ta = total_seq(a.position), tb = total_seq(b.position);
      if (ta != tb) return ta > tb;
      return a.order < b.order;
    });
    for (const auto& c : eligible) {
      if (c.id != best.front().id) reasons.push_back(c.id + ": at " + c.position.to_string());
    }
    return best.front();
  }

  // Why promoting `c` would lose transactions `primary` had committed, or ""
  // (MaxScale's auto_failover=safe): it must have been receiving from the
  // primary until shortly before the outage, and hold the newest GTID of
  // every domain that failoverdns saw on the primary.
  std::string promotion_risk(const std::string& primary, const Candidate& c) {
    const auto& t = track(c.id);
    // Only known when the primary answered us in this run; after a restart
    // into an outage the position check below is what is left.
    if (track(primary).last_reachable && s().outage_started) {
      auto it = t.receiving_at.find(primary);
      if (it == t.receiving_at.end() || it->second + stale_after() < *s().outage_started) {
        std::string error = c.row->last_io_errno ? " (IO error " + std::to_string(c.row->last_io_errno) + ": " +
                                                       c.row->last_io_error + ")"
                                                 : "";
        return c.id + "'s IO thread was not receiving from " + primary + " before it failed" + error +
               ": it may lack anything committed since";
      }
    }
    GtidPosition seen = s().lineage;
    if (const auto& obs = track(primary).last_reachable) {
      seen = merge(seen, merge(parse_or_empty(obs->gtid_current_pos), parse_or_empty(obs->gtid_binlog_pos)));
    }
    const auto& o = last(c.id);
    GtidPosition has = c.position;
    for (const auto* text : {&o.gtid_binlog_pos, &o.gtid_current_pos, &o.gtid_slave_pos})
      has = merge(has, parse_or_empty(*text));
    auto missing = missing_from(has, newest_per_domain(seen));
    if (missing.empty()) return "";
    return c.id + " lacks " + to_string(missing) + ", last seen on " + primary;
  }

  void start_promotion(const std::string& primary, const Candidate& c, bool cooldown) {
    DeciderState::Promotion promo;
    promo.phase = Phase::waiting_relay_log;
    promo.candidate = c.id;
    promo.old_primary = primary;
    promo.gtid = c.row->gtid_io_pos.empty() ? c.position.to_string() : c.row->gtid_io_pos;
    promo.started = now();
    s().promotion = promo;
    WaitRelayLog wait;
    wait.instance = c.id;
    wait.connection_name = c.row->connection_name;
    wait.gtid = c.row->gtid_io_pos;
    wait.master_log_file = c.row->master_log_file;
    wait.read_master_log_pos = c.row->read_master_log_pos;
    wait.timeout = settings_.relay_log_wait;
    s().promotion->action = act(wait, c.id);
    std::vector<std::string> others;
    for (const auto& m : members_) {
      if (m.id == primary || m.id == c.id || !answering(m.id)) continue;
      if (const auto* row = row_to(last(m.id), primary)) others.push_back(m.id + "@" + row->gtid_io_pos);
    }
    Fields f{{"old_primary", primary},
             {"candidate", c.id},
             {"gtid_io_pos", c.row->gtid_io_pos},
             {"other_replicas", join(others)},
             {"next", "wait up to " + ms(settings_.relay_log_wait) + " for its relay log to be applied"}};
    if (cooldown) f.emplace_back("cooldown", "overridden: the replicas lost the primary too");
    emit(LogLevel::info, "failover_started", std::move(f));
  }

  // The one way a promotion ends without a new primary: say why, withdraw
  // the saved intent (if any), forget the promotion.
  void abandon_promotion(LogLevel level, std::string event, Fields fields) {
    fields.insert(fields.begin(), {"candidate", s().promotion->candidate});
    const std::string reason = fields.size() > 1 ? fields[1].second : event;
    emit(level, std::move(event), std::move(fields));
    if (ps().promoting) {
      ps().promoting.reset();
      bump();
    }
    const std::string old = s().promotion->old_primary;
    const std::string target = s().promotion->candidate;
    // A switchover's promotion, also one resumed after a restart (its
    // demotion is in the state file).
    const bool demoted_by_us = s().promotion->switchover || (!old.empty() && ps().demoted == old);
    const std::uint64_t planned = s().promotion->switchover.value_or(0);
    s().promotion.reset();
    if (!demoted_by_us) return;
    // A planned switchover never leaves the old primary read-only for
    // nothing: it is made writable again, unless it already is.
    if (answering(old) && !last(old).read_only) {
      if (!ps().demoted.empty()) {
        ps().demoted.clear();
        bump();
      }
      finish_switchover(planned, LogLevel::error, "switchover_failed", old, target,
                        {{"reason", reason}, {"primary", old}});
      return;
    }
    DeciderState::Switchover sw;
    sw.phase = DeciderState::Switchover::Phase::rolling_back;
    sw.request = planned;
    sw.old_primary = old;
    sw.target = target;
    sw.rollback_reason = reason;
    sw.started = now();
    s().switchover = sw;
  }
  void old_primary_alive(const std::string& why) {
    abandon_promotion(LogLevel::warn, "failover_aborted", {{"reason", why}});
  }

  void drive_promotion() {
    if (!s().promotion) return;
    auto& promo = *s().promotion;
    if (promo.started == SteadyTime{}) promo.started = now();  // resumed after a restart
    if (!member(promo.candidate)) {
      // A saved intent naming an instance no longer configured.
      abandon_promotion(LogLevel::error, "promotion_abandoned",
                        {{"reason", "not an instance of the service any more"}});
      return;
    }
    const std::string old = promo.old_primary;
    // A writable old primary answers again, or it answers with an error: alive
    // either way, and promoting next to it would be split brain.
    bool old_back =
        !old.empty() && ((answering(old) && !last(old).read_only && !is_replicating(last(old))) || refusing(old));
    switch (promo.phase) {
      case Phase::waiting_relay_log:
        // Nothing irreversible happened yet: serve the old primary again.
        if (old_back) {
          old_primary_alive("the old primary " + old + " answers again");
          s().failover_retry_after = {};
        }
        return;
      case Phase::saving_intent:
        if (old_back) {
          old_primary_alive("the old primary " + old + " answers again");
          return;
        }
        if (s().saved_version < promo.version) return;
        promo.phase = Phase::promoting;
        [[fallthrough]];
      case Phase::promoting: {
        if (promo.action) return;
        if (promo.resumed && !promo.promote_sent) {
          // Resumed after a restart: first a probe of every member, then the
          // rule of saving_intent, exactly as without the crash -- an old
          // primary that is alive ends the promotion (issue 8, defect 7).
          for (const auto& m : members_)
            if (!track(m.id).observed) return;
          if (old_back) {
            old_primary_alive("resumed after a restart, but " + old + " is alive");
            return;
          }
        }
        if (failed(promo.candidate)) {
          ++s().candidate_failures[promo.candidate];
          abandon_promotion(LogLevel::error, "promotion_abandoned",
                            {{"reason", "the candidate stopped answering: " + track(promo.candidate).last_error},
                             {"next", "another candidate is chosen"}});
          return;
        }
        if (!answering(promo.candidate) || now() < promo.retry_after) return;
        promo.action = act(Promote{promo.candidate}, promo.candidate);
        promo.promote_sent = true;
        emit(LogLevel::info, "promoting", {{"candidate", promo.candidate}});
        return;
      }
      case Phase::saving_result:
        if (s().saved_version < promo.version) return;
        if (promo.switchover) {
          Fields f{{"request", std::to_string(*promo.switchover)},
                   {"primary", promo.candidate},
                   {"old_primary", old},
                   {"epoch", std::to_string(ps().epoch)},
                   {"took", ms_since(now(), promo.started)}};
          if (promo.promoted_at != SteadyTime{}) f.emplace_back("state_saved", ms_since(now(), promo.promoted_at));
          f.emplace_back("next", "publish; " + old + " becomes a replica of " + promo.candidate +
                                     (settings_.auto_rejoin ? "" : " by hand (auto_rejoin is false)"));
          emit(LogLevel::info, "switchover_complete", std::move(f));
          if (promo.maintenance_after) {
            ps().maintenance[old] = *promo.maintenance_after;
            bump();
            emit(LogLevel::warn, "maintenance_enabled",
                 {{"request", std::to_string(*promo.switchover)},
                  {"instance", old},
                  {"reason", *promo.maintenance_after},
                  {"meaning", "switched over first; out of DNS and never promoted until disabled"}});
          }
          s().promotion.reset();
          end_outage();
          return;
        }
        {
          SteadyTime began = s().outage_started.value_or(promo.started);
          Fields f{{"primary", promo.candidate}, {"old_primary", old}, {"epoch", std::to_string(ps().epoch)}};
          // The timeline in one line: from the first failed probe to the
          // state saved; DNS is published in the same step.
          f.emplace_back("detection", ms_since(promo.started, began));
          if (promo.relay_applied_at != SteadyTime{}) {
            f.emplace_back("relay_log_wait", ms_since(promo.relay_applied_at, promo.started));
            if (promo.promoted_at != SteadyTime{})
              f.emplace_back("promotion", ms_since(promo.promoted_at, promo.relay_applied_at));
          }
          if (promo.promoted_at != SteadyTime{}) f.emplace_back("state_saved", ms_since(now(), promo.promoted_at));
          f.emplace_back("outage", ms_since(now(), began));
          f.emplace_back("next", "publish, redirect the other replicas, fence " + (old.empty() ? "-" : old));
          emit(LogLevel::info, "failover_complete", std::move(f));
        }
        s().promotion.reset();
        end_outage();
        return;
    }
  }

  // ---- a planned switchover (README "Planned switchover")

  // Why `id` cannot take over from `primary` in a switchover, or "".
  std::string switchover_problem(const std::string& primary, const std::string& id) {
    if (std::ranges::find(settings_.no_promotion, id) != settings_.no_promotion.end())
      return id + " is in no_promotion";
    if (ps().is_fenced(id)) return id + " is fenced";
    if (auto m = ps().maintenance.find(id); m != ps().maintenance.end())
      return id + " is in maintenance (" + m->second + ")";
    if (!answering(id)) return id + " does not answer probes" + (track(id).last_error.empty() ? "" : ": " + track(id).last_error);
    if (track(id).pending) return "an action on " + id + " is under way";
    const auto* row = row_to(last(id), primary);
    if (!row) return id + " does not replicate from " + primary;
    if (!row->io_running() || row->last_io_errno != 0)
      return id + "'s IO thread is not receiving from " + primary +
             (row->last_io_errno ? ": error " + std::to_string(row->last_io_errno) + " " + row->last_io_error : "");
    if (!row->sql_running || row->last_sql_errno != 0)
      return id + "'s SQL thread is not running" +
             (row->last_sql_errno ? ": error " + std::to_string(row->last_sql_errno) + " " + row->last_sql_error : "");
    if (!track(id).errant.empty()) return id + " holds transactions the primary never had: " + track(id).errant;
    if (!row->seconds_behind_master) return id + "'s lag is unknown (Seconds_Behind_Master is NULL)";
    const auto limit = std::chrono::duration_cast<std::chrono::seconds>(settings_.switchover_max_lag).count();
    if (*row->seconds_behind_master > limit)
      return id + " is " + std::to_string(*row->seconds_behind_master) + " s behind " + primary +
             " (switchover_max_lag is " + ms(settings_.switchover_max_lag) + ")";
    return "";
  }

  // Why no switchover to `to` (empty: the best replica) can start now, or
  // "" with `target` set.
  std::string switchover_refusal(const std::string& to, std::string& target) {
    const std::string primary = ps().primary;
    if (s().switchover || s().promotion) return "a switchover or a failover is under way; try again after it";
    if (primary.empty() || !member(primary)) return "no primary is known";
    if (!answering(primary) || failed(primary))
      return "the primary " + primary + " does not answer probes: if it is down, failover replaces it";
    if (last(primary).read_only || is_replicating(last(primary)) || !primary_saved())
      return "the primary " + primary + " is not serving (read-only or replicating); fix that first";
    target = to;
    if (target.empty()) {
      std::vector<std::string> reasons;
      auto c = choose_candidate(primary, reasons);
      if (!c) return "no replica could take over: " + join(reasons, "; ");
      target = c->id;
    } else if (!member(target)) {
      return target + " is not an instance of " + settings_.service;
    } else if (target == primary) {
      return target + " is the primary already";
    }
    return switchover_problem(primary, target);
  }

  void request_switchover(const SwitchoverRequest& req) {
    std::string target;
    if (auto why = switchover_refusal(req.to, target); !why.empty()) {
      emit(LogLevel::warn, "switchover_refused",
           {{"request", std::to_string(req.id)}, {"primary", ps().primary}, {"to", req.to}, {"reason", why}});
      return;
    }
    begin_switchover(req.id, target, std::nullopt);
  }

  void begin_switchover(std::uint64_t request, const std::string& target, std::optional<std::string> maintenance) {
    const std::string primary = ps().primary;
    DeciderState::Switchover sw;
    sw.request = request;
    sw.old_primary = primary;
    sw.target = target;
    sw.started = now();
    sw.maintenance_after = std::move(maintenance);
    ps().demoted = primary;
    bump();
    sw.version = s().version;
    s().switchover = sw;
    emit(LogLevel::info, "switchover_started",
         {{"request", std::to_string(request)},
          {"old_primary", primary},
          {"target", target},
          {"next", "make " + primary + " read-only and end its client sessions, then wait up to " +
                       ms(settings_.switchover_timeout) + " for " + target + " to apply everything it wrote"}});
  }

  void request_maintenance(const MaintenanceRequest& req) {
    const std::string& id = req.instance;
    auto said = [&](LogLevel level, const char* event, Fields more) {
      more.insert(more.begin(), {{"request", std::to_string(req.id)}, {"instance", id}});
      emit(level, event, std::move(more));
    };
    if (!member(id)) return said(LogLevel::warn, "maintenance_refused", {{"reason", id + " is not an instance of " + settings_.service}});
    if (!req.enable) {
      if (ps().maintenance.erase(id) > 0) bump();
      return said(LogLevel::info, "maintenance_disabled", {{"next", "back in DNS and among the candidates once healthy"}});
    }
    const std::string reason = req.reason.empty() ? "no reason given" : req.reason;
    if (id == ps().primary) {
      std::string target;
      if (auto why = switchover_refusal("", target); !why.empty())
        return said(LogLevel::warn, "maintenance_refused",
                    {{"reason", id + " is the primary, and no switchover is possible to take it out: " + why}});
      begin_switchover(req.id, target, reason);
      return;
    }
    if (ps().maintenance[id] != reason) {
      ps().maintenance[id] = reason;
      bump();
    }
    said(LogLevel::warn, "maintenance_enabled", {{"reason", reason}, {"meaning", "out of DNS and never promoted until disabled"}});
  }

  void finish_switchover(std::uint64_t request, LogLevel level, const std::string& event, const std::string& old,
                         const std::string& target, Fields fields) {
    fields.insert(fields.begin(), {{"request", std::to_string(request)}, {"old_primary", old}, {"target", target}});
    emit(level, event, std::move(fields));
    s().switchover.reset();
  }

  void roll_back(const std::string& reason) {
    auto& sw = *s().switchover;
    sw.phase = DeciderState::Switchover::Phase::rolling_back;
    sw.rollback_reason = reason;
    sw.action = act(MakeWritable{sw.old_primary}, sw.old_primary);
    emit(LogLevel::warn, "switchover_rolling_back",
         {{"request", std::to_string(sw.request)}, {"old_primary", sw.old_primary}, {"reason", reason}});
  }

  void demoted(const ActionResult& r) {
    auto& sw = *s().switchover;
    if (!r.ok) return roll_back("could not make " + sw.old_primary + " read-only: " + r.error);
    sw.gtid = r.coordinates.gtid_binlog_pos;
    sw.demoted_at = now();
    if (auto& obs = track(sw.old_primary).last_reachable) {
      obs->read_only = true;
      if (!sw.gtid.empty()) obs->gtid_binlog_pos = sw.gtid;
    }
    const auto* row = answering(sw.target) ? row_to(last(sw.target), sw.old_primary) : nullptr;
    if (!row) return roll_back(sw.target + " stopped replicating from " + sw.old_primary);
    WaitRelayLog wait;
    wait.instance = sw.target;
    wait.connection_name = row->connection_name;
    if (row->using_gtid) {
      wait.gtid = sw.gtid;
    } else {
      wait.master_log_file = r.coordinates.binlog_file;
      wait.read_master_log_pos = r.coordinates.binlog_pos;
    }
    wait.timeout = settings_.switchover_timeout;
    sw.phase = DeciderState::Switchover::Phase::catching_up;
    sw.action = act(wait, sw.target);
    Fields f{{"request", std::to_string(sw.request)},
             {"instance", sw.old_primary},
             {"read_only", "1"},
             {"gtid_binlog_pos", sw.gtid},
             {"took", ms_since(now(), sw.started)}};
    LogLevel level = LogLevel::info;
    report_sessions(r, sw.old_primary, settings_.kill_sessions_on_demote, f, level);
    f.emplace_back("next", "wait for " + sw.target + " to apply it");
    emit(level, "switchover_demoted", std::move(f));
  }

  void caught_up(const ActionResult& r) {
    auto& sw = *s().switchover;
    if (!r.ok)
      return roll_back(sw.target + " did not apply " + (sw.gtid.empty() ? "the primary's binlog" : sw.gtid) +
                       " within switchover_timeout (" + ms(settings_.switchover_timeout) + "): " + r.error);
    // Everything the old primary wrote is on the target: from here on it
    // is a promotion like a failover's, from its saved intent on.
    DeciderState::Promotion promo;
    promo.phase = Phase::saving_intent;
    promo.candidate = sw.target;
    promo.old_primary = sw.old_primary;
    promo.gtid = sw.gtid;
    promo.started = sw.started;
    promo.relay_applied_at = now();
    promo.switchover = sw.request;
    promo.maintenance_after = sw.maintenance_after;
    emit(LogLevel::info, "switchover_caught_up",
         {{"request", std::to_string(sw.request)},
          {"target", sw.target},
          {"gtid", sw.gtid},
          {"took", ms_since(now(), sw.demoted_at)},
          {"next", "save the intent, promote " + sw.target}});
    s().switchover.reset();
    ps().promoting = PromotionIntent{promo.candidate, promo.old_primary};
    bump();
    promo.version = s().version;
    s().promotion = promo;
  }

  void made_writable(const ActionResult& r) {
    auto& sw = *s().switchover;
    if (!r.ok) {
      sw.retry_after = now() + settings_.interval;
      emit(LogLevel::error, "switchover_rollback_failed",
           {{"request", std::to_string(sw.request)},
            {"instance", sw.old_primary},
            {"error", r.error},
            {"risk", sw.old_primary + " is read-only and the name points nowhere"},
            {"retry_in", ms(settings_.interval)}});
      return;
    }
    if (auto& obs = track(sw.old_primary).last_reachable) obs->read_only = false;
    if (!ps().demoted.empty()) {
      ps().demoted.clear();
      bump();
    }
    finish_switchover(sw.request, LogLevel::warn, "switchover_rolled_back", sw.old_primary, sw.target,
                      {{"reason", sw.rollback_reason},
                       {"primary", sw.old_primary},
                       {"meaning", "nothing was promoted; " + sw.old_primary + " is writable again"}});
  }

  void drive_switchover() {
    if (!s().switchover) return;
    auto& sw = *s().switchover;
    if (sw.action) return;
    using SwPhase = DeciderState::Switchover::Phase;
    if (sw.phase == SwPhase::saving) {
      if (s().saved_version < sw.version) return;
      sw.phase = SwPhase::demoting;
      sw.action = act(Demote{sw.old_primary, settings_.kill_sessions_on_demote}, sw.old_primary);
      return;
    }
    if (sw.phase != SwPhase::rolling_back) {
      // Between steps, or its action lost (a reload): make it writable again.
      roll_back("the switchover was interrupted");
      return;
    }
    if (failed(sw.old_primary)) {
      // Nothing to roll back on a dead server: failover takes it from here.
      finish_switchover(sw.request, LogLevel::error, "switchover_failed", sw.old_primary, sw.target,
                        {{"reason", sw.old_primary + " stopped answering during the switchover; " + sw.rollback_reason},
                         {"next", "failover rules apply"}});
      return;
    }
    if (now() < sw.retry_after || !answering(sw.old_primary)) return;
    // Never two writable servers: if another one took over meanwhile (by
    // hand, while failoverdns was down), the read-only one stays read-only.
    for (const auto& m : members_) {
      if (!track(m.id).observed) return;
      if (m.id == sw.old_primary || !answering(m.id)) continue;
      if (!last(m.id).read_only && !is_replicating(last(m.id))) {
        if (notice("rollback_withheld", m.id)) {
          emit(LogLevel::error, "switchover_rollback_withheld",
               {{"instance", sw.old_primary},
                {"writable", m.id},
                {"meaning", sw.old_primary + " stays read-only: " + m.id + " is writable and not a replica"},
                {"action", "decide which one is the primary, fix the state file, restart failoverdns"}});
        }
        return;
      }
    }
    forget("rollback_withheld");
    sw.action = act(MakeWritable{sw.old_primary}, sw.old_primary);
  }

  void save_if_needed() {
    if (s().version <= s().saved_version || s().save_pending || now() < s().save_retry_after) return;
    ps().gtid_lineage = s().lineage.to_string();
    s().save_pending = true;
    act(PersistState{ps(), s().version}, "");
  }

  // ---- bringing the other instances in line

  // Everything known to be in the primary's history.
  std::optional<GtidPosition> primary_history(std::string& error) {
    const auto& obs = last(ps().primary);
    auto current = GtidPosition::parse(obs.gtid_current_pos);
    auto binlog = GtidPosition::parse(obs.gtid_binlog_pos);
    if (!current || !binlog) {
      error = "cannot read the primary's position: " + (!current ? current.error() : binlog.error()).message;
      return std::nullopt;
    }
    return merge(s().lineage, merge(*current, *binlog));
  }

  // Whose GTIDs are being checked against the primary's history.
  enum class Holder { former_primary, replica_to_redirect, replica };

  // Reports GTIDs of `text` that the primary's history lacks; true when
  // there are none. The primary's own stream (its server_id) is left out:
  // every such GTID was written by the primary itself, and a replica may
  // simply be ahead of our last look at it.
  bool contained(const std::string& id, const std::string& text, Holder holder) {
    std::string error;
    auto history = primary_history(error);
    auto pos = GtidPosition::parse(text);
    if (!pos) error = "cannot read " + id + "'s position: " + pos.error().message;
    if (!history || !pos) {
      if (notice("diverged:" + id, error)) {
        emit(LogLevel::error, "rejoin_blocked",
             {{"instance", id}, {"reason", error}, {"action", "check the instance by hand"}});
      }
      return false;
    }
    const std::uint32_t primary_server = last(ps().primary).server_id;
    // Without the primary's server_id its own stream cannot be told apart.
    if (holder == Holder::replica && primary_server == 0) return true;
    auto missing = missing_from(*history, *pos);
    std::erase_if(missing, [&](const GtidRange& r) { return r.server == primary_server; });
    std::string gtids = to_string(missing);
    if (holder == Holder::former_primary && !missing.empty()) {
      // Kept in the state, so a restart still knows why it stays fenced;
      // removed only when it is unfenced (see converge_members).
      auto it = ps().diverged.find(id);
      if (it == ps().diverged.end() || it->second != gtids) {
        ps().diverged[id] = gtids;
        bump();
      }
    }
    if (holder == Holder::replica) track(id).errant = gtids;
    if (missing.empty()) {
      forget("diverged:" + id);
      return true;
    }
    if (!notice("diverged:" + id, gtids)) return false;
    if (holder == Holder::replica) {
      emit(LogLevel::error, "errant_transactions",
           {{"instance", id},
            {"primary", ps().primary},
            {"gtids_not_on_primary", gtids},
            {"reading", range_reading},
            {"kept", "replicating, never promoted automatically"},
            {"action", "someone wrote to this replica; compare the rows of these transactions with " + ps().primary +
                           ", then rebuild " + id + " from a backup of " + ps().primary}});
      return false;
    }
    emit(LogLevel::error, "diverged",
         {{"instance", id},
          {"primary", ps().primary},
          {"gtids_not_on_primary", gtids},
          {"reading", range_reading},
          {"kept", holder == Holder::former_primary ? "fenced (read_only=1) and out of DNS"
                                                    : "out of DNS, replication untouched"},
          {"action", "these transactions exist only on " + id + ": save them if they matter, then rebuild " + id +
                         " from a backup of " + ps().primary + " and make it a replica of " + ps().primary +
                         " by hand; failoverdns unfences it once it replicates cleanly and holds nothing " +
                         ps().primary + " lacks"}});
    return false;
  }

  static bool replicating_cleanly(const ReplicaStatus& row) {
    return row.io_running() && row.sql_running && row.last_io_errno == 0 && row.last_sql_errno == 0;
  }

  // Clients still connected to a former primary cache its address (a TTL
  // ignored, a pool that never re-resolves): said when the number changes.
  void report_client_sessions(const std::string& id, const std::string& primary) {
    const auto& sessions = last(id).client_sessions;
    if (!sessions || !notice("sessions:" + id, std::to_string(*sessions))) return;
    Fields f{{"instance", id}, {"client_sessions", std::to_string(*sessions)}, {"primary", primary}};
    if (*sessions > 0) {
      f.emplace_back("meaning", "clients are still connected to the former primary (read-only): they did not follow "
                                "DNS to " + primary);
      f.emplace_back("action", "make those clients re-resolve the name on reconnect and respect the TTL; "
                               "kill_sessions_on_demote ends the sessions open at the fence");
    }
    emit(*sessions > 0 ? LogLevel::warn : LogLevel::info, "fenced_client_sessions", std::move(f));
  }

  void converge_members() {
    // Nothing seen of the primary yet (just restarted): nothing to compare with.
    if (ps().primary.empty() || !member(ps().primary) || !track(ps().primary).last_reachable) return;
    bool serving = primary_serving();
    const std::string primary = ps().primary;
    const auto* pm = member(primary);
    for (const auto& m : members_) {
      if (m.id == primary || !answering(m.id)) continue;
      auto& t = track(m.id);
      if (ps().is_fenced(m.id)) report_client_sessions(m.id, primary);
      if (t.pending || now() < t.retry_after) continue;
      const auto& obs = last(m.id);
      if (ps().is_fenced(m.id)) {
        if (!obs.read_only) {
          act(Fence{m.id, settings_.kill_sessions_on_demote}, m.id);
          emit(LogLevel::warn, "fencing",
               {{"instance", m.id},
                {"primary", primary},
                {"reason", "a former primary answers with read_only=0; it must not take writes"}});
          continue;
        }
        if (!serving || !pm) continue;
        if (const auto* row = row_to(obs, primary)) {
          // Pointed at the primary (by a rejoin, or by hand): unfenced only
          // once it really replicates and holds nothing the primary lacks;
          // until then watch_replication() reports what is wrong.
          bool clean = contained(m.id, obs.gtid_binlog_pos, Holder::former_primary);
          if (clean && replicating_cleanly(*row)) {
            unfence(m.id);
            emit(LogLevel::info, "rejoined", {{"instance", m.id}, {"primary", primary}, {"replication", "running"}});
          }
          continue;
        }
        if (!settings_.auto_rejoin) {
          if (notice("fenced:" + m.id, "manual")) {
            emit(LogLevel::warn, "fenced_awaiting_operator",
                 {{"instance", m.id},
                  {"action", "auto_rejoin is false: make it a replica of " + primary +
                                 " by hand (CHANGE MASTER TO ... MASTER_USE_GTID=current_pos); failoverdns unfences "
                                 "it once it replicates"}});
          }
          continue;
        }
        if (!contained(m.id, obs.gtid_binlog_pos, Holder::former_primary)) continue;
        if (auto it = ps().diverged.find(m.id); it != ps().diverged.end()) {
          // Once diverged, a position that now looks contained proves
          // nothing: RESET MASTER empties the binlog and leaves the rows.
          // Only the operator knows the server was rebuilt.
          if (notice("withheld:" + m.id, it->second)) {
            emit(LogLevel::error, "rejoin_withheld",
                 {{"instance", m.id},
                  {"primary", primary},
                  {"diverged", it->second},
                  {"gtid_binlog_pos", obs.gtid_binlog_pos},
                  {"meaning", "its position no longer shows the diverged transactions, but a reset binlog does "
                              "not remove rows: failoverdns does not rejoin a server it found diverged"},
                  {"action", "rebuild " + m.id + " from a backup of " + primary +
                                 ", then make it a replica by hand (SET GLOBAL gtid_slave_pos=...; CHANGE MASTER TO "
                                 "... MASTER_USE_GTID=slave_pos; START SLAVE); failoverdns unfences it once it "
                                 "replicates cleanly"}});
          }
          continue;
        }
        act(Rejoin{m.id, primary, pm->host, pm->port}, m.id);
        emit(LogLevel::info, "rejoining",
             {{"instance", m.id}, {"primary", primary}, {"gtid_binlog_pos", obs.gtid_binlog_pos}});
        continue;
      }
      // A replica still attached to a fenced (former) primary follows the
      // new one.
      const ReplicaStatus* stale = nullptr;
      for (const auto& row : obs.replication) {
        const auto* src = source_of(row);
        if (src && src->id != primary && ps().is_fenced(src->id)) {
          stale = &row;
          break;
        }
      }
      if (stale) {
        if (!serving || !pm) continue;
        auto history = merge(parse_or_empty(obs.gtid_binlog_pos), parse_or_empty(obs.gtid_slave_pos));
        if (!contained(m.id, history.to_string(), Holder::replica_to_redirect)) continue;
        act(Redirect{m.id, stale->connection_name, primary, pm->host, pm->port}, m.id);
        emit(LogLevel::info, "redirecting",
             {{"instance", m.id},
              {"from", stale->master_host + ":" + std::to_string(stale->master_port)},
              {"to", primary}});
        continue;
      }
      if (serving && row_to(obs, primary)) {
        contained(m.id, obs.gtid_binlog_pos, Holder::replica);
        if (!obs.read_only && settings_.enforce_read_only_replicas) {
          act(Fence{m.id}, m.id);
          emit(LogLevel::warn, "replica_writable",
               {{"instance", m.id},
                {"primary", primary},
                {"action",
                 "setting read_only=1: a writable replica takes writes the primary never sees "
                 "(enforce_read_only_replicas)"}});
          continue;
        }
      }
      if (!obs.read_only && !is_replicating(obs)) {
        if (notice("writable:" + m.id, "")) {
          emit(LogLevel::warn, "unexpected_writable",
               {{"instance", m.id},
                {"primary", primary},
                {"published", "not as primary"},
                {"action", "it is writable and not replicating but is not the primary; make it a replica of " +
                               primary + " or set read_only=1"}});
        }
      } else {
        forget("writable:" + m.id);
      }
    }
  }

  // Replication towards the primary that is configured but not running (a
  // wrong replication password, a diverged server): reported while it lasts,
  // since such a replica silently falls behind and must not be promoted.
  void watch_replication() {
    if (ps().primary.empty() || !primary_serving()) return;
    const std::string& primary = ps().primary;
    for (const auto& m : members_) {
      if (m.id == primary || !answering(m.id)) continue;
      auto& t = track(m.id);
      const auto* row = row_to(last(m.id), primary);
      const std::string key = "replication_broken:" + m.id;
      if (!row || replicating_cleanly(*row)) {
        t.replication_broken_since.reset();
        if (forget(key)) emit(LogLevel::info, "replication_restored", {{"instance", m.id}, {"primary", primary}});
        continue;
      }
      if (!t.replication_broken_since) t.replication_broken_since = now();
      // A thread that is (re)connecting gets a few probe intervals.
      if (now() - *t.replication_broken_since < stale_after()) continue;
      std::string io_error = row->last_io_errno ? std::to_string(row->last_io_errno) + ": " + row->last_io_error : "";
      std::string sql_error =
          row->last_sql_errno ? std::to_string(row->last_sql_errno) + ": " + row->last_sql_error : "";
      if (!remind(key, row->io_state + "|" + io_error + "|" + sql_error, reminder_every)) continue;
      emit(LogLevel::error, "replication_broken",
           {{"instance", m.id},
            {"primary", primary},
            {"io_thread", row->io_state.empty() ? "No" : row->io_state},
            {"sql_thread", row->sql_running ? "Yes" : "No"},
            {"io_error", io_error},
            {"sql_error", sql_error},
            {"for", ms_since(now(), *t.replication_broken_since)},
            {"gtid_io_pos", row->gtid_io_pos},
            {"meaning", "it does not receive what " + primary + " commits and will not be promoted automatically"},
            {"action",
             "fix what the error says (replication_user / replication_password_file, the network, or "
             "a diverged server); failoverdns reports this every minute while it lasts"}});
    }
  }

  void learn_lineage() {
    if (!primary_serving() || !answering(ps().primary)) return;
    const auto& obs = last(ps().primary);
    s().lineage = merge(s().lineage, parse_or_empty(obs.gtid_current_pos));
    s().lineage = merge(s().lineage, parse_or_empty(obs.gtid_binlog_pos));
  }

  // ---- outputs

  InstanceRole role_of(const FailoverMember& m, bool serving) {
    InstanceRole r;
    bool is_up = up(m.id);
    r.health = is_up ? Health::warning : Health::critical;
    if (ps().is_fenced(m.id)) {
      r.role = Role::fenced;
      return r;
    }
    if (m.id == ps().primary) {
      // Serving means up, or vouched for by its replicas.
      if (serving) r = {Role::primary, Health::passing};
      return r;
    }
    // A replica seen only through stale data (it refuses our probes now)
    // may lag by any amount: not offered for reads.
    if (!is_up || !serving || refusing(m.id)) return r;
    const auto& obs = last(m.id);
    const auto* row = row_to(obs, ps().primary);
    if (!row || !row->io_running() || !row->sql_running || row->last_io_errno != 0 || row->last_sql_errno != 0) {
      return r;
    }
    if (settings_.max_replica_lag) {
      auto limit = std::chrono::duration_cast<std::chrono::seconds>(*settings_.max_replica_lag).count();
      if (!row->seconds_behind_master || *row->seconds_behind_master > limit) return r;
    }
    return {Role::replica, Health::passing};
  }

  // Whole seconds behind the primary, as its replication row to the primary
  // says (Seconds_Behind_Master); the primary itself is 0. Unknown when
  // MariaDB says NULL, or the member does not answer or replicate from it.
  std::optional<std::uint32_t> lag_of(const FailoverMember& m) {
    if (ps().primary.empty() || !answering(m.id)) return std::nullopt;
    if (m.id == ps().primary) return 0;
    const auto* row = row_to(last(m.id), ps().primary);
    if (!row || !row->seconds_behind_master || *row->seconds_behind_master < 0) return std::nullopt;
    return static_cast<std::uint32_t>(std::min<std::int64_t>(*row->seconds_behind_master, 0xFFFFFFFF));
  }

  void publish_roles() {
    bool serving = primary_serving();
    for (const auto& m : members_) {
      auto r = role_of(m, serving);
      if (ps().maintenance.contains(m.id)) r.health = Health::critical;  // out of DNS
      d_.roles[m.id] = r;
      d_.lags[m.id] = lag_of(m);
      auto& t = track(m.id);
      bool first = !t.published_once;
      if ((first && (r.role != Role::none)) || (!first && !(t.published == r))) {
        emit(LogLevel::info, "role_changed",
             {{"instance", m.id},
              {"from", first ? "-" : std::string(to_string(t.published.role))},
              {"to", std::string(to_string(r.role))},
              {"health", std::string(to_string(r.health))}});
      }
      t.published = r;
      t.published_once = true;
    }
  }

  // A member whose last probe got no answer is probed every
  // recheck_interval: a suspect primary is confirmed sooner, and a member
  // that comes back (a thawed or restarted former primary, writable) is
  // fenced within that, not within a whole interval. A dead host costs a
  // refused connect; an unreachable one a probe waiting out its timeout.
  void probe_delays() {
    for (const auto& m : members_) {
      bool no_answer = track(m.id).consecutive_failures >= 1;
      d_.next_probe_in[m.id] = no_answer ? settings_.recheck_interval : settings_.interval;
    }
  }

  const FailoverSettings& settings_;
  const std::vector<FailoverMember>& members_;
  const DeciderInput& in_;
  Decision d_;
};

}  // namespace

std::string_view action_name(const ActionBody& body) {
  struct Name {
    std::string_view operator()(const WaitRelayLog&) const { return "wait_relay_log"; }
    std::string_view operator()(const Promote&) const { return "promote"; }
    std::string_view operator()(const PersistState&) const { return "persist_state"; }
    std::string_view operator()(const Redirect&) const { return "redirect"; }
    std::string_view operator()(const Fence&) const { return "fence"; }
    std::string_view operator()(const Rejoin&) const { return "rejoin"; }
    std::string_view operator()(const Demote&) const { return "demote"; }
    std::string_view operator()(const MakeWritable&) const { return "make_writable"; }
  };
  return std::visit(Name{}, body);
}

std::string action_target(const ActionBody& body) {
  struct Target {
    std::string operator()(const WaitRelayLog& a) const { return a.instance; }
    std::string operator()(const Promote& a) const { return a.instance; }
    std::string operator()(const PersistState& a) const { return a.state.primary; }
    std::string operator()(const Redirect& a) const { return a.instance; }
    std::string operator()(const Fence& a) const { return a.instance; }
    std::string operator()(const Rejoin& a) const { return a.instance; }
    std::string operator()(const Demote& a) const { return a.instance; }
    std::string operator()(const MakeWritable& a) const { return a.instance; }
  };
  return std::visit(Target{}, body);
}

DeciderState DeciderState::from_persistent(FailoverState persistent) {
  DeciderState s;
  s.lineage = parse_or_empty(persistent.gtid_lineage);
  if (persistent.promoting && !persistent.primary.empty()) {
    Promotion promo;
    promo.phase = Promotion::Phase::promoting;
    promo.candidate = persistent.promoting->candidate;
    promo.old_primary = persistent.promoting->old_primary;
    promo.resumed = true;
    s.promotion = promo;
  }
  s.persistent = std::move(persistent);
  if (!s.persistent.demoted.empty() && !s.promotion) {
    // Made read-only by a switchover that neither promoted nor rolled back
    // before failoverdns stopped: drive_switchover makes it writable again.
    Switchover sw;
    sw.phase = Switchover::Phase::rolling_back;
    sw.old_primary = s.persistent.demoted;
    sw.rollback_reason = "failoverdns stopped in the middle of a switchover";
    s.switchover = sw;
  }
  return s;
}

DeciderState DeciderState::handed_over() const {
  DeciderState s = *this;
  s.pending.clear();
  for (auto& [id, t] : s.members) t.pending.reset();
  s.save_pending = false;
  s.save_retry_after = {};
  // Its result went to the old controller: drive_switchover rolls it back.
  if (s.switchover) s.switchover->action.reset();
  if (s.promotion && s.promotion->action) {
    if (s.promotion->phase == Promotion::Phase::waiting_relay_log)
      s.promotion.reset();  // nothing irreversible yet: decided afresh
    else
      s.promotion->action.reset();
  }
  return s;
}

std::map<std::string, Role> Decision::role_map() const {
  std::map<std::string, Role> out;
  for (const auto& [id, r] : roles) out[id] = r.role;
  return out;
}

FailoverDecider::FailoverDecider(FailoverSettings settings, std::vector<FailoverMember> members)
    : settings_(std::move(settings)), members_(std::move(members)) {
  settings_.failcount = std::max(settings_.failcount, 1);
}

Decision FailoverDecider::decide(const DeciderState& state, const DeciderInput& input) const {
  return Step(settings_, members_, state, input).run();
}

std::string FailoverDecider::blocked(const DeciderState& state, SteadyTime now, WallTime wall_now) const {
  DeciderInput input;
  input.now = now;
  input.wall_now = wall_now;
  return Step(settings_, members_, state, input).blocked();
}

}  // namespace failoverdns
