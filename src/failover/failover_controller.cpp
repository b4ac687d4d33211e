#include "failoverdns/failover/failover_controller.hpp"

#include <set>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "mariadb_failover_io.hpp"
#include "failoverdns/support/log_value.hpp"
#include "failoverdns/support/asio.hpp"
#include "failoverdns/failover/state_store.hpp"

namespace failoverdns {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

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
    for (const auto& m : members) unprobed.insert(m.id);
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

  void feed(DeciderInput input) {
    if (stopped) return;
    for (const auto& o : input.observations) unprobed.erase(o.instance_id);
    input.now = Clock::now();
    input.wall_now = std::chrono::system_clock::now();
    Decision d = decider.decide(state, input);
    state = std::move(d.state);
    for (const auto& e : d.events) {
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
    }
    for (const auto& [id, delay] : d.next_probe_in) next_probe_in[id] = delay;
    {
      LiveCatalog::Batch batch(catalog);
      catalog.set_roles(settings.service, d.role_map());
      for (const auto& [id, r] : d.roles) catalog.set_health(id, r.health);
      const auto& persistent = state.persistent;
      FailoverStatus status{persistent.epoch, std::nullopt};
      if (persistent.primary_since)
        status.primary_since = std::chrono::floor<std::chrono::seconds>(*persistent.primary_since);
      catalog.set_failover_status(settings.service, status, d.lags);
    }
    for (auto& action : d.actions) {
      // An exception in the executor still answers the action, at once,
      // instead of leaving the decider to wait out its budget.
      asio::co_spawn(io, execute(shared_from_this(), action),
                     [self = shared_from_this(), id = action.id](std::exception_ptr failure) {
                       if (!failure) return;
                       ActionResult failed{id, false, "executor failed: " + exception_text(failure), {}};
                       self->feed(DeciderInput{{}, {}, {}, {std::move(failed)}});
                     });
    }
    if (!first_round_published && unprobed.empty() && state.primary_saved()) {
      first_round_published = true;
      if (auto done = std::exchange(on_first_round_published, nullptr)) done();
    }
  }

  static asio::awaitable<void> probe_loop(std::shared_ptr<Impl> self, std::size_t index) {
    const FailoverMember& m = self->members[index];
    auto probe = self->failover_io->probe(m);
    asio::steady_timer& timer = *self->timers[index];
    while (!self->stopped) {
      // The next probe is due `next_probe_in` after this one started, so a
      // probe that ran into its timeout does not delay detection further.
      auto started = Clock::now();
      Observation o = co_await probe->observe(self->settings.timeout);
      if (self->stopped) break;
      self->feed(DeciderInput{{}, {}, {std::move(o)}, {}});
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
    self->feed(DeciderInput{{}, {}, {}, {std::move(result)}});
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

void FailoverController::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  for (auto& t : impl_->timers) t->cancel();
}

}  // namespace failoverdns
