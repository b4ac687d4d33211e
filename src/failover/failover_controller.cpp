#include "failoverdns/failover_controller.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "failover/action_sql.hpp"
#include "failoverdns/log_value.hpp"
#include "failoverdns/mariadb_connection.hpp"
#include "failoverdns/mariadb_probe.hpp"
#include "failoverdns/must_live.hpp"
#include "failoverdns/state_store.hpp"

namespace failoverdns {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

struct FailoverController::Impl : std::enable_shared_from_this<FailoverController::Impl> {
  Impl(asio::io_context& io_, FailoverSettings settings_, std::vector<FailoverMember> members_, LiveCatalog& catalog_,
       DeciderState initial)
      : io(io_),
        settings(settings_),
        decider(settings_, members_),
        members(std::move(members_)),
        catalog(catalog_),
        store(settings_.state_file, settings_.service),
        state(std::move(initial)),
        credentials{settings_.replication_user, settings_.replication_password, settings_.interval} {}

  asio::io_context& io;
  FailoverSettings settings;
  FailoverDecider decider;
  std::vector<FailoverMember> members;
  LiveCatalog& catalog;
  StateStore store;
  DeciderState state;
  ReplicationCredentials credentials;
  std::vector<std::unique_ptr<asio::steady_timer>> timers;
  std::map<std::string, Milliseconds> next_probe_in;
  bool stopped = false;

  MariadbEndpoint endpoint_of(const FailoverMember& m) const {
    return {m.host, settings.extra_port.value_or(m.port), settings.user, settings.password};
  }

  const FailoverMember* member(const std::string& id) const {
    for (const auto& m : members)
      if (m.id == id) return &m;
    return nullptr;
  }

  void feed(DeciderInput input) {
    if (stopped) return;
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
  }

  static asio::awaitable<void> probe_loop(std::shared_ptr<Impl> self, std::size_t index) {
    const FailoverMember& m = self->members[index];
    MariadbProbe probe(m.id, self->endpoint_of(m));
    asio::steady_timer& timer = *self->timers[index];
    while (!self->stopped) {
      // The next probe is due `next_probe_in` after this one started, so a
      // probe that ran into its timeout does not delay detection further.
      auto started = Clock::now();
      Observation o = co_await probe.observe(self->io.get_executor(), self->settings.timeout);
      if (self->stopped) break;
      self->feed(DeciderInput{{}, {}, {std::move(o)}, {}});
      auto it = self->next_probe_in.find(m.id);
      timer.expires_at(started + (it != self->next_probe_in.end() ? it->second : self->settings.interval));
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  // Runs one action on its instance over a connection of its own (probes
  // keep theirs), within the action's deadline, and reports the result.
  static asio::awaitable<void> execute(std::shared_ptr<Impl> self, Action action) {
    auto started = Clock::now();
    ActionResult result = co_await self->run(action);
    result.id = action.id;
    spdlog::debug("event=action_done service={} action={} target={} ok={} ms={} error={}", self->settings.service,
                  action_name(action.body), action_target(action.body), result.ok,
                  std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count(),
                  logfmt_value(result.error));
    self->feed(DeciderInput{{}, {}, {}, {std::move(result)}});
  }

  asio::awaitable<Result<QueryResult>> sql(const std::string& instance, const std::vector<std::string>& statements,
                                           Milliseconds budget) {
    const FailoverMember* m = member(instance);
    if (!m) co_return fail(fmt::format("no member {} in service {}", instance, settings.service));
    auto deadline = Clock::now() + budget;
    auto connection = co_await MariadbConnection::connect(io.get_executor(), endpoint_of(*m), deadline);
    if (!connection) co_return std::unexpected(connection.error());
    co_return co_await (*connection)->execute(statements, deadline);
  }

  // What the seed wrote to mysql.txt: where the new primary's binlog starts.
  asio::awaitable<Result<QueryResult>> read_coordinates(const std::string& instance, Milliseconds budget,
                                                        PromotionCoordinates& out) {
    auto statements = promotion_coordinates_sql();
    // Named vectors: g++ 12 miscompiles a braced list inside co_await.
    std::vector<std::string> show_status{statements[0]}, select_gtid{statements[1]};
    auto status = co_await sql(instance, show_status, budget);
    if (!status) co_return status;
    auto gtid = co_await sql(instance, select_gtid, budget);
    if (!gtid) co_return gtid;
    out.binlog_file = status->value(0, "File").value_or("");
    out.binlog_pos = std::strtoull(status->value(0, "Position").value_or("0").c_str(), nullptr, 10);
    out.gtid_binlog_pos = gtid->rows.empty() || gtid->rows[0].empty() ? "" : gtid->rows[0][0].value_or("");
    co_return gtid;
  }

  asio::awaitable<ActionResult> run(const Action& action) {
    ActionResult r;
    // Statements that change replication may wait on a dead primary's
    // connection for a moment: give them a few probe timeouts.
    const Milliseconds admin_budget = std::max(Milliseconds(5000), 3 * settings.timeout);
    Result<QueryResult> outcome = QueryResult{};
    if (const auto* a = std::get_if<WaitRelayLog>(&action.body)) {
      std::string start = a->connection_name.empty() ? "START SLAVE SQL_THREAD"
                                                     : "START SLAVE " + sql_quote(a->connection_name) + " SQL_THREAD";
      std::vector<std::string> statements{start, wait_relay_log_sql(*a)};
      outcome = co_await sql(a->instance, statements, a->timeout + settings.timeout);
      if (outcome) {
        auto value = outcome->rows.empty() || outcome->rows[0].empty() ? std::nullopt : outcome->rows[0][0];
        if (value != "0")
          outcome = fail(value == "-1" ? "the relay log was not applied before relay_log_wait"
                                       : "the relay-log wait returned " + value.value_or("NULL"));
      }
    } else if (const auto* p = std::get_if<Promote>(&action.body)) {
      outcome = co_await sql(p->instance, promote_sql(), admin_budget);
      if (outcome) outcome = co_await read_coordinates(p->instance, admin_budget, r.coordinates);
    } else if (const auto* s = std::get_if<PersistState>(&action.body)) {
      // A few hundred bytes with fsync: short enough for the control plane.
      auto saved = store.save(s->state);
      if (!saved) outcome = std::unexpected(saved.error());
    } else if (const auto* d = std::get_if<Redirect>(&action.body)) {
      outcome = co_await sql(d->instance, redirect_sql(*d, credentials), admin_budget);
    } else if (const auto* j = std::get_if<Rejoin>(&action.body)) {
      outcome = co_await sql(j->instance, rejoin_sql(*j, credentials), admin_budget);
    } else if (const auto* f = std::get_if<Fence>(&action.body)) {
      outcome = co_await sql(f->instance, fence_sql(), admin_budget);
    }
    r.ok = outcome.has_value();
    if (!outcome) r.error = outcome.error().message;
    co_return r;
  }
};

FailoverController::FailoverController(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FailoverController::~FailoverController() { stop(); }

Result<std::shared_ptr<FailoverController>> FailoverController::create(asio::io_context& io, FailoverSettings settings,
                                                                       std::vector<FailoverMember> members,
                                                                       LiveCatalog& catalog) {
  StateStore store(settings.state_file, settings.service);
  auto persistent = store.load();
  if (!persistent) return std::unexpected(persistent.error());
  if (!persistent->primary.empty())
    spdlog::info("event=state_loaded service={} primary={} epoch={} fenced=\"{}\" file={}", settings.service,
                 persistent->primary, persistent->epoch, fmt::join(persistent->fenced, ","),
                 settings.state_file.string());
  auto impl = std::make_unique<Impl>(io, std::move(settings), std::move(members), catalog,
                                     DeciderState::from_persistent(std::move(*persistent)));
  return std::make_shared<FailoverController>(std::move(impl));
}

std::shared_ptr<FailoverController> FailoverController::take_over(asio::io_context& io, FailoverSettings settings,
                                                                  std::vector<FailoverMember> members,
                                                                  LiveCatalog& catalog,
                                                                  const FailoverController& previous) {
  auto impl =
      std::make_unique<Impl>(io, std::move(settings), std::move(members), catalog, previous.impl_->state.handed_over());
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

void FailoverController::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  for (auto& t : impl_->timers) t->cancel();
}

}  // namespace failoverdns
