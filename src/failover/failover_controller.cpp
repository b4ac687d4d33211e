#include "failoverdns/failover/failover_controller.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "hook_runner.hpp"
#include "mariadb_failover_io.hpp"
#include "failoverdns/support/log_value.hpp"
#include "failoverdns/support/asio.hpp"
#include "failoverdns/failover/state_store.hpp"

namespace failoverdns {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

DeciderInput with_result(ActionResult r) {
  DeciderInput in;
  in.results.push_back(std::move(r));
  return in;
}
DeciderInput with_observation(Observation o) {
  DeciderInput in;
  in.observations.push_back(std::move(o));
  return in;
}

}  // namespace

struct FailoverController::Impl : std::enable_shared_from_this<FailoverController::Impl> {
  Impl(asio::io_context& io_, FailoverSettings settings_, std::vector<FailoverMember> members_, LiveCatalog& catalog_,
       DeciderState initial, std::shared_ptr<FailoverIo> failover_io_)
      : io(io_),
        settings(settings_),
        decider(settings_, members_),
        members(std::move(members_)),
        catalog(catalog_),
        failover_io(std::move(failover_io_)),
        state(std::move(initial)) {
    std::vector<std::string> ids;
    for (const auto& m : members) {
      unprobed.insert(m.id);
      ids.push_back(m.id);
    }
    metrics = std::make_shared<FailoverMetrics>(settings.service, ids);
    if (!settings.hooks.empty()) hooks = std::make_shared<HookRunner>(io.get_executor(), settings);
  }

  asio::io_context& io;
  FailoverSettings settings;
  FailoverDecider decider;
  std::vector<FailoverMember> members;
  LiveCatalog& catalog;
  std::shared_ptr<FailoverIo> failover_io;
  DeciderState state;
  std::vector<std::unique_ptr<asio::steady_timer>> timers;
  std::map<std::string, Milliseconds> next_probe_in;
  bool stopped = false;
  std::set<std::string> unprobed;  // members without a probe result yet
  bool first_round_published = false;
  std::function<void()> on_first_round_published;
  FailoverHistory history;
  std::shared_ptr<FailoverMetrics> metrics;
  std::function<void()> on_change;
  std::uint64_t next_request = 1;
  struct Waiter {
    bool maintenance = false;  // a maintenance request: its switchover is only a step
    std::function<void(const LogEvent&)> done;
  };
  std::map<std::uint64_t, Waiter> waiters;  // operator requests, by id

  static bool ends(const LogEvent& e, bool maintenance) {
    if (e.name == "switchover_refused" || e.name == "switchover_rolled_back" || e.name == "switchover_failed")
      return true;
    if (e.name == "switchover_complete") return !maintenance;
    return maintenance && (e.name == "maintenance_enabled" || e.name == "maintenance_disabled" ||
                           e.name == "maintenance_refused");
  }

  void request(bool maintenance, DeciderInput input, std::uint64_t id, std::function<void(const LogEvent&)> done) {
    if (stopped) {
      done(LogEvent{LogLevel::error, "switchover_failed", {{"reason", "failoverdns is stopping"}}});
      return;
    }
    waiters[id] = Waiter{maintenance, std::move(done)};
    feed(std::move(input));
  }
  std::shared_ptr<HookRunner> hooks;  // null without failover.<svc>.hooks

  void feed(DeciderInput input) {
    if (stopped) return;
    for (const auto& o : input.observations) unprobed.erase(o.instance_id);
    input.now = Clock::now();
    input.wall_now = std::chrono::system_clock::now();
    Decision d = decider.decide(state, input);
    state = std::move(d.state);
    const auto wall_now = std::chrono::system_clock::now();
    for (const auto& e : d.events) {
      history.add(e, wall_now);
      metrics->event(e);
      auto line = format(e);
      switch (e.level) {
        case LogLevel::info:
          spdlog::info("{}", line);
          break;
        case LogLevel::warn:
          spdlog::warn("{}", line);
          break;
        case LogLevel::error:
          spdlog::error("{}", line);
          break;
      }
      // Only queued here: a hook never delays this decision or the next.
      if (hooks) hooks->on_event(e);
    }
    for (const auto& e : d.events) {
      const std::string request = e.field("request");
      if (request.empty()) continue;
      auto waiter = waiters.find(std::stoull(request));
      if (waiter == waiters.end() || !ends(e, waiter->second.maintenance)) continue;
      auto done = std::move(waiter->second.done);
      waiters.erase(waiter);
      done(e);
    }
    for (const auto& [id, delay] : d.next_probe_in) next_probe_in[id] = delay;
    record_metrics(d);
    {
      LiveCatalog::Batch batch(catalog);
      catalog.set_roles(settings.service, d.role_map());
      for (const auto& [id, r] : d.roles) catalog.set_health(id, r.health);
      const auto& persistent = state.persistent;
      FailoverSummary status{persistent.epoch, std::nullopt};
      if (persistent.primary_since)
        status.primary_since = std::chrono::floor<std::chrono::seconds>(*persistent.primary_since);
      catalog.set_failover_summary(settings.service, status, d.lags);
    }
    for (auto& action : d.actions) {
      // An exception in the executor still answers the action, at once,
      // instead of leaving the decider to wait out its budget.
      asio::co_spawn(io, execute(shared_from_this(), action),
                     [self = shared_from_this(), id = action.id](std::exception_ptr failure) {
                       if (!failure) return;
                       ActionResult failed{id, false, "executor failed: " + exception_text(failure), {}, {}};
                       self->feed(with_result(std::move(failed)));
                     });
    }
    if (!first_round_published && unprobed.empty() && state.primary_saved()) {
      first_round_published = true;
      if (auto done = std::exchange(on_first_round_published, nullptr)) done();
    }
    if (on_change) on_change();
  }

  void record_metrics(const Decision& d) {
    bool primary_known = false;
    const FailoverMember* primary = nullptr;
    for (const auto& m : members)
      if (m.id == state.persistent.primary) primary = &m;
    for (std::size_t i = 0; i < members.size(); ++i) {
      const auto& id = members[i].id;
      auto r = d.roles.find(id);
      if (r == d.roles.end()) continue;
      primary_known |= r->second.role == Role::primary;
      std::optional<std::int64_t> lag;
      if (auto t = state.members.find(id); t != state.members.end() && t->second.last_reachable && primary)
        for (const auto& row : t->second.last_reachable->replication)
          if (row.master_port == primary->port && row.master_host == primary->host) lag = row.seconds_behind_master;
      metrics->member_state(i, r->second.role, r->second.health, lag);
    }
    metrics->service_state(primary_known, state.persistent.epoch, state.persistent.last_failover);
  }

  static asio::awaitable<void> probe_loop(std::shared_ptr<Impl> self, std::size_t index) {
    const FailoverMember& m = self->members[index];
    auto probe = self->failover_io->probe(m);
    asio::steady_timer& timer = *self->timers[index];
    while (!self->stopped) {
      // The next probe is due `next_probe_in` after this one started, so a
      // probe that ran into its timeout does not delay detection further.
      auto started = Clock::now();
      probe->count_client_sessions(self->state.persistent.is_fenced(m.id));
      Observation o = co_await probe->observe(self->settings.timeout);
      if (self->stopped) break;
      self->metrics->probed(index, o.outcome, Clock::now() - started);
      self->feed(with_observation(std::move(o)));
      auto it = self->next_probe_in.find(m.id);
      timer.expires_at(started + (it != self->next_probe_in.end() ? it->second : self->settings.interval));
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  static asio::awaitable<void> execute(std::shared_ptr<Impl> self, Action action) {
    auto started = Clock::now();
    ActionResult result = co_await self->failover_io->run(action);
    result.id = action.id;
    spdlog::debug("event=action_done service={} action={} target={} ok={} ms={} error={}", self->settings.service,
                  action_name(action.body), action_target(action.body), result.ok,
                  std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count(),
                  logfmt_value(result.error));
    self->feed(with_result(std::move(result)));
  }
};

FailoverController::FailoverController(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FailoverController::~FailoverController() { stop(); }

Result<std::shared_ptr<FailoverController>> FailoverController::create(asio::io_context& io, FailoverSettings settings,
                                                                       std::vector<FailoverMember> members,
                                                                       LiveCatalog& catalog) {
  auto failover_io = std::make_shared<MariadbFailoverIo>(io.get_executor(), settings, members);
  return create(io, std::move(settings), std::move(members), catalog, std::move(failover_io));
}

Result<std::shared_ptr<FailoverController>> FailoverController::create(asio::io_context& io, FailoverSettings settings,
                                                                       std::vector<FailoverMember> members,
                                                                       LiveCatalog& catalog,
                                                                       std::shared_ptr<FailoverIo> failover_io) {
  StateStore store(settings.state_file, settings.service);
  auto persistent = store.load();
  if (!persistent) return std::unexpected(persistent.error());
  if (!persistent->primary.empty())
    spdlog::info("event=state_loaded service={} primary={} epoch={} fenced=\"{}\" file={}", settings.service,
                 persistent->primary, persistent->epoch, fmt::join(persistent->fenced, ","),
                 settings.state_file.string());
  auto impl = std::make_unique<Impl>(io, std::move(settings), std::move(members), catalog,
                                     DeciderState::from_persistent(std::move(*persistent)), std::move(failover_io));
  return std::make_shared<FailoverController>(std::move(impl));
}

std::shared_ptr<FailoverController> FailoverController::take_over(asio::io_context& io, FailoverSettings settings,
                                                                  std::vector<FailoverMember> members,
                                                                  LiveCatalog& catalog,
                                                                  const FailoverController& previous) {
  auto failover_io = std::make_shared<MariadbFailoverIo>(io.get_executor(), settings, members);
  return take_over(io, std::move(settings), std::move(members), catalog, previous, std::move(failover_io));
}

std::shared_ptr<FailoverController> FailoverController::take_over(asio::io_context& io, FailoverSettings settings,
                                                                  std::vector<FailoverMember> members,
                                                                  LiveCatalog& catalog,
                                                                  const FailoverController& previous,
                                                                  std::shared_ptr<FailoverIo> failover_io) {
  auto impl = std::make_unique<Impl>(io, std::move(settings), std::move(members), catalog,
                                     previous.impl_->state.handed_over(), std::move(failover_io));
  return std::make_shared<FailoverController>(std::move(impl));
}

const FailoverSettings& FailoverController::settings() const { return impl_->settings; }
const std::vector<FailoverMember>& FailoverController::members() const { return impl_->members; }

void FailoverController::start() {
  auto& impl = *impl_;
  if (!impl.timers.empty()) return;
  for (std::size_t i = 0; i < impl.members.size(); ++i) {
    impl.timers.push_back(std::make_unique<asio::steady_timer>(impl.io));
    std::shared_ptr<Impl> self = impl_;
    spawn_must_live(
        impl.io.get_executor(), "failover probe service=" + impl.settings.service + " instance=" + impl.members[i].id,
        [self, i] { return Impl::probe_loop(self, i); }, [self] { return self->stopped; }, impl.settings.interval);
  }
  spdlog::info("event=failover_watching service={} instances={} interval={} failcount={} timeout={}",
               impl.settings.service, impl.members.size(), format_duration(impl.settings.interval),
               impl.settings.failcount, format_duration(impl.settings.timeout));
}

void FailoverController::when_first_round_published(std::function<void()> done) {
  if (impl_->first_round_published)
    done();
  else
    impl_->on_first_round_published = std::move(done);
}

namespace {

std::string_view phase_name(DeciderState::Promotion::Phase phase) {
  using Phase = DeciderState::Promotion::Phase;
  switch (phase) {
    case Phase::waiting_relay_log:
      return "waiting for the relay log";
    case Phase::saving_intent:
      return "saving the intent";
    case Phase::promoting:
      return "promoting";
    case Phase::saving_result:
      return "saving the new primary";
  }
  return "unknown";
}

// The row of a replica's SHOW ALL SLAVES STATUS that matters: the one to
// the primary, else the first.
const ReplicaStatus* main_row(const Observation& obs, const FailoverMember* primary) {
  for (const auto& row : obs.replication)
    if (primary && row.master_port == primary->port && row.master_host == primary->host) return &row;
  return obs.replication.empty() ? nullptr : &obs.replication.front();
}

}  // namespace

FailoverStatus FailoverController::status() const {
  const Impl& impl = *impl_;
  const DeciderState& st = impl.state;
  const FailoverState& ps = st.persistent;
  const auto now = Clock::now();
  const auto wall_now = std::chrono::system_clock::now();
  FailoverStatus out;
  out.service = impl.settings.service;
  out.primary = ps.primary;
  out.epoch = ps.epoch;
  out.primary_since = ps.primary_since;
  out.auto_failover = impl.settings.auto_failover;
  out.blocked = impl.decider.blocked(st, now, wall_now);
  if (ps.last_failover && wall_now < *ps.last_failover + impl.settings.cooldown)
    out.cooldown_until = *ps.last_failover + impl.settings.cooldown;
  if (st.promotion)
    out.promotion = fmt::format("{}{} ({})", st.promotion->switchover ? "switchover to " : "",
                                st.promotion->candidate, phase_name(st.promotion->phase));
  if (st.switchover) out.promotion = fmt::format("switchover to {} (from {})", st.switchover->target, st.switchover->old_primary);
  const FailoverMember* primary = nullptr;
  for (const auto& m : impl.members)
    if (m.id == ps.primary) primary = &m;
  for (const auto& m : impl.members) {
    MemberStatus ms;
    ms.id = m.id;
    ms.host = m.host;
    ms.port = m.port;
    ms.fenced = ps.is_fenced(m.id);
    if (auto it = ps.diverged.find(m.id); it != ps.diverged.end()) ms.diverged = it->second;
    ms.no_promotion = std::ranges::find(impl.settings.no_promotion, m.id) != impl.settings.no_promotion.end();
    if (auto mt = ps.maintenance.find(m.id); mt != ps.maintenance.end()) ms.maintenance = mt->second;
    auto it = st.members.find(m.id);
    if (it != st.members.end()) {
      const auto& t = it->second;
      if (t.published_once) {
        ms.role = t.published.role;
        ms.health = t.published.health;
      }
      if (t.observed) {
        ms.probe = std::string(to_string(t.last_outcome));
        if (t.last_outcome != ProbeOutcome::answered) ms.last_error = t.last_error;
        ms.consecutive_failures = t.consecutive_failures;
        ms.last_probe = wall_now - std::chrono::duration_cast<std::chrono::system_clock::duration>(now - t.probed_at);
      }
      ms.errant = t.errant;
      if (const auto& obs = t.last_reachable) {
        ms.read_only = obs->read_only;
        ms.client_sessions = obs->client_sessions;
        ms.gtid_binlog_pos = obs->gtid_binlog_pos;
        ms.gtid_slave_pos = obs->gtid_slave_pos;
        if (const auto* row = main_row(*obs, primary)) {
          ms.replicating_from = fmt::format("{}:{}", row->master_host, row->master_port);
          for (const auto& other : impl.members)
            if (row->master_port == other.port && row->master_host == other.host) ms.replicating_from = other.id;
          ms.gtid_received = row->gtid_io_pos;
          if (row->last_io_errno != 0)
            ms.replication_error = fmt::format("IO error {}: {}", row->last_io_errno, row->last_io_error);
          else if (row->last_sql_errno != 0)
            ms.replication_error = fmt::format("SQL error {}: {}", row->last_sql_errno, row->last_sql_error);
          ms.lag_seconds = row->seconds_behind_master;
        }
      }
    }
    out.members.push_back(std::move(ms));
  }
  out.failovers = impl.history.records();
  return out;
}

std::shared_ptr<const prometheus::Collectable> FailoverController::metrics() const { return impl_->metrics; }

void FailoverController::on_change(std::function<void()> changed) { impl_->on_change = std::move(changed); }

void FailoverController::switchover(std::string to, std::function<void(const LogEvent&)> done) {
  const std::uint64_t id = impl_->next_request++;
  DeciderInput input;
  input.switchovers.push_back(SwitchoverRequest{id, std::move(to)});
  impl_->request(false, std::move(input), id, std::move(done));
}

void FailoverController::maintenance(std::string instance, bool enable, std::string reason,
                                     std::function<void(const LogEvent&)> done) {
  const std::uint64_t id = impl_->next_request++;
  DeciderInput input;
  input.maintenance.push_back(MaintenanceRequest{id, std::move(instance), enable, std::move(reason)});
  impl_->request(true, std::move(input), id, std::move(done));
}

void FailoverController::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  for (auto& [id, waiter] : std::exchange(impl_->waiters, {}))
    waiter.done(LogEvent{LogLevel::error,
                  "switchover_failed",
                  {{"request", std::to_string(id)},
                   {"reason", "failoverdns reloaded or stopped during the switchover; see its log for how it ended"}}});
  for (auto& t : impl_->timers) t->cancel();
}

}  // namespace failoverdns
