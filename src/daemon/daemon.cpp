#include "failoverdns/support/asio.hpp"  // first: Boost 1.74 (see there)

#include "failoverdns/daemon/daemon.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <ranges>

#include <boost/asio/post.hpp>
#include <stdexcept>

#include <boost/asio/signal_set.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "checks.hpp"
#include "privileges.hpp"
#include "systemd_notify.hpp"
#include "failoverdns/dns/answer_table.hpp"
#include "failoverdns/catalog/catalog.hpp"
#include "failoverdns/support/log_value.hpp"
#include "failoverdns/version.hpp"

namespace failoverdns {
namespace {

std::uint32_t unix_now() {
  return static_cast<std::uint32_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

// The listener settings a reload changed, as the config spells them.
std::vector<std::string> listener_changes(const ListenerSettings& a, const ListenerSettings& b) {
  std::vector<std::string> changed;
  if (a.addresses != b.addresses) changed.push_back("addresses.dns");
  if (a.port != b.port) changed.push_back("ports.dns");
  if (a.workers != b.workers) changed.push_back("dns_workers");
  if (a.tcp_idle_timeout != b.tcp_idle_timeout) changed.push_back("dns_config.tcp_idle_timeout");
  if (a.tcp_max_connections != b.tcp_max_connections) changed.push_back("dns_config.tcp_max_connections");
  if (a.tcp_max_connections_per_client != b.tcp_max_connections_per_client)
    changed.push_back("dns_config.tcp_max_connections_per_client");
  return changed;
}

// Whatever a reload ends with, systemd hears that it ended (READY=1 after
// RELOADING=1), with a status line saying how.
class ReloadNotice {
 public:
  explicit ReloadNotice(bool daemon_ready) : active_(daemon_ready) {
    if (active_) systemd_notify::reloading();
  }
  ~ReloadNotice() {
    if (active_) systemd_notify::ready(status_);
  }
  ReloadNotice(const ReloadNotice&) = delete;
  ReloadNotice& operator=(const ReloadNotice&) = delete;
  void failed() { status_ = "serving; the last reload failed, the running configuration stays (see the log)"; }

 private:
  bool active_;
  std::string status_ = "serving; configuration reloaded";
};

}  // namespace

struct Daemon::Checks {
  explicit Checks(CheckSet set) : checks(std::move(set)) {}
  CheckSet checks;
};

Daemon::Daemon(Config config, std::vector<ConfigSource> sources)
    : config_(std::move(config)), sources_(std::move(sources)) {}

Daemon::~Daemon() = default;

void Daemon::publish(const Catalog& catalog) {
  // The serial must grow with every change, also several in one second.
  serial_ = std::max(unix_now(), serial_ + 1);
  auto started = std::chrono::steady_clock::now();
  std::shared_ptr<const AnswerTable> table;
  try {
    table = AnswerTable::compile(catalog, serial_);
  } catch (const std::exception& e) {
    // A self-check failed: a bug, but the answers being served stay valid.
    spdlog::error("event=answers_not_published serial={} error={}", serial_, logfmt_value(e.what()));
    return;
  }
  auto took = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
  if (answers_)
    answers_->publish(table);
  else
    answers_ = std::make_unique<AnswerPublisher>(table);
  // Replication lag moves every few seconds on a busy replica: those
  // publications would drown the info log, so they go to debug.
  bool lag_only = live_ && live_->only_lag_changed();
  spdlog::log(lag_only ? spdlog::level::debug : spdlog::level::info,
              "event=answers_published serial={} names={} compile_us={}{}", serial_, table->entry_count(),
              took.count(), lag_only ? " change=lag_only" : "");
  // The API's catalog endpoints show no lag: their watchers wake only for
  // what they can see.
  if (!lag_only) catalog_index_ = serial_;
  schedule_api_refresh();
}

void Daemon::schedule_api_refresh() {
  if (!http_ || api_refresh_pending_) return;
  api_refresh_pending_ = true;
  boost::asio::post(io_, [this] {
    api_refresh_pending_ = false;
    if (http_) http_->publish(build_api_view());
  });
}

std::shared_ptr<const ApiView> Daemon::build_api_view() {
  auto view = std::make_shared<ApiView>();
  view->catalog = live_->current();
  view->catalog_index = catalog_index_;
  for (const auto& s : config_.services)
    if (!s.meta.empty()) view->service_meta[s.id] = s.meta;
  auto& agent = view->agent;
  agent.node_name = config_.node_name;
  agent.datacenter = config_.datacenter;
  agent.advertise_addr = config_.advertise_addr;
  agent.version = version;
  agent.dns_addresses = config_.listeners.addresses;
  agent.dns_port = dns_ ? dns_->udp_port() : -1;
  agent.http_addresses = config_.http.addresses;
  agent.http_port = http_ ? http_->port() : -1;
  view->failover = checks_ ? checks_->checks.failover_status() : std::vector<FailoverStatus>{};
  const bool same = view->failover.size() == last_status_.size() &&
                    std::ranges::equal(view->failover, last_status_,
                                       [](const FailoverStatus& a, const FailoverStatus& b) { return a.same_state(b); });
  // Like the serial: never below the Unix time, so it grows across restarts.
  if (!same || failover_index_ == 0) failover_index_ = std::max<std::uint64_t>(unix_now(), failover_index_ + 1);
  if (!same) last_status_ = view->failover;
  view->failover_index = failover_index_;
  return view;
}

void Daemon::carry_out(Write write, std::function<void(ApiResponse)> done) {
  if (const auto* s = std::get_if<SwitchoverWrite>(&write)) {
    spdlog::info("event=switchover_requested service={} to={}", s->service, s->to.empty() ? "-" : s->to);
    const bool known = checks_ && checks_->checks.switchover(s->service, s->to, [done](const LogEvent& ended) {
      done(switchover_response(ended));
    });
    if (!known) done(error_response(404, fmt::format("service \"{}\" is not under failover", s->service)));
    return;
  }
  const auto& m = std::get<MaintenanceWrite>(write);
  spdlog::info("event=maintenance_requested instance={} enable={} reason={}", m.instance, m.enable,
               logfmt_value(m.reason));
  if (checks_ && checks_->checks.maintenance(m.instance, m.enable, m.reason,
                                             [done](const LogEvent& ended) { done(maintenance_response(ended)); }))
    return;
  for (const auto& s : config_.services) {
    if (s.id != m.instance) continue;
    done(error_response(400, fmt::format("{} is an instance of service \"{}\", which is not under failover: "
                                         "maintenance is for failover services' instances (for others, make "
                                         "their health check fail)",
                                         m.instance, s.name)));
    return;
  }
  done(error_response(404, fmt::format("Unknown service ID \"{}\"", m.instance)));
}

void Daemon::reload() {
  spdlog::info("event=reload_started");
  ReloadNotice notice(ready_);
  ConfigDiagnostics diagnostics;
  auto next = load_config(sources_, diagnostics);
  for (const auto& w : diagnostics.warnings) spdlog::warn("event=config_warning message={}", logfmt_value(w));
  if (!next) {
    for (const auto& e : diagnostics.errors) spdlog::error("event=config_error message={}", logfmt_value(e));
    spdlog::error("event=reload_failed errors={} hint=\"the running configuration stays; fix the errors and send "
                  "SIGHUP again\"",
                  diagnostics.errors.size());
    notice.failed();
    return;
  }
  auto changed = listener_changes(config_.listeners, next->listeners);
  if (config_.resolver.cache_size != next->resolver.cache_size) changed.push_back("dns_config.recursor_cache_size");
  if (config_.http.addresses != next->http.addresses) changed.push_back("addresses.http");
  if (config_.http.port != next->http.port) changed.push_back("ports.http");
  if (config_.http.max_connections != next->http.max_connections) changed.push_back("http_max_connections");
  if (config_.http.max_connections_per_client != next->http.max_connections_per_client)
    changed.push_back("limits.http_max_conns_per_client");
  if (next->user != config_.user) changed.push_back("user");
  if (next->group != config_.group) changed.push_back("group");
  if (!changed.empty())
    spdlog::warn("event=reload_needs_restart settings={} kept=\"the running listeners and user, as they were\" "
                 "hint=\"sockets, threads and the user are set at start: restart failoverdns to apply these\"",
                 logfmt_value(fmt::format("{}", fmt::join(changed, ","))));
  next->listeners = config_.listeners;  // what runs, so the next reload compares with it
  next->resolver.cache_size = config_.resolver.cache_size;
  next->user = config_.user;
  next->group = config_.group;
  next->http.addresses = config_.http.addresses;
  next->http.port = config_.http.port;
  next->http.max_connections = config_.http.max_connections;
  next->http.max_connections_per_client = config_.http.max_connections_per_client;
  // Build the new checks first: if one cannot start (an unreadable state
  // file), the running configuration stays, as for a parse error.
  std::unique_ptr<Checks> checks;
  try {
    checks = std::make_unique<Checks>(CheckSet(io_, *next, *live_, checks_ ? &checks_->checks : nullptr));
  } catch (const std::exception& e) {
    spdlog::error("event=reload_failed error={} hint=\"the running configuration stays\"", logfmt_value(e.what()));
    notice.failed();
    return;
  }
  stop_checks();
  config_ = std::move(*next);
  if (resolver_) resolver_->reconfigure(config_.resolver, config_.dns.edns_buffer_size);
  live_->replace_base(make_catalog(config_));
  checks_ = std::move(checks);
  checks_->checks.on_failover_change([this] { schedule_api_refresh(); });
  checks_->checks.start();
  if (http_) http_->set_access(config_.http);
  schedule_api_refresh();
  for (auto& collector : checks_->checks.metrics()) metrics_.add(collector);
  // Still starting: readiness now waits for the new checks' first round.
  if (!ready_) checks_->checks.when_first_round_published([this] { announce_ready(); });
  spdlog::info("event=reload_complete services={}", config_.services.size());
}

bool Daemon::start_checks() {
  try {
    checks_ = std::make_unique<Checks>(CheckSet(io_, config_, *live_));
  } catch (const std::exception& e) {
    spdlog::error("event=not_started error={}", logfmt_value(e.what()));
    return false;
  }
  checks_->checks.on_failover_change([this] { schedule_api_refresh(); });
  checks_->checks.start();
  for (auto& collector : checks_->checks.metrics()) metrics_.add(collector);
  return true;
}

void Daemon::announce_ready() {
  if (ready_) return;
  ready_ = true;
  const auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_at_);
  spdlog::info("event=ready startup_ms={} services={} failover_services={}", took.count(), config_.services.size(),
               config_.failover.size());
  systemd_notify::ready("serving");
}

void Daemon::stop_checks() {
  if (checks_) checks_->checks.stop();
  checks_.reset();
}

int Daemon::run() {
  // A peer that hangs up must not kill the daemon; writes report EPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  live_ = std::make_unique<LiveCatalog>(make_catalog(config_), [this](const Catalog& c) { publish(c); });
  publish(live_->current());
  if (!answers_) return 1;

  if (config_.listeners.port < 0) {
    spdlog::info("event=dns_disabled reason=\"ports.dns is -1\"");
  } else {
    resolver_ = std::make_unique<Resolver>(config_.resolver, config_.dns.edns_buffer_size);
    auto server = DnsServer::bind(config_.listeners, *answers_, resolver_.get());
    if (!server) {
      spdlog::error("event=not_started error={}", logfmt_value(server.error().message));
      return 1;
    }
    dns_ = std::move(*server);
    metrics_.add(dns_->metrics());
  }
  if (config_.http.port >= 0) {
    auto http = HttpServer::bind(config_.http);
    if (!http) {
      spdlog::error("event=not_started error={}", logfmt_value(http.error().message));
      return 1;
    }
    http_ = std::move(*http);
  }
  // Sockets are bound: nothing needs root any more (Knot's order). The
  // check after it is what a reload or a save would otherwise find out
  // later, in the middle of the night.
  if (auto dropped = drop_privileges(config_); !dropped) {
    spdlog::error("event=not_started error={}", logfmt_value(dropped.error().message));
    return 1;
  }
  if (auto problems = unreachable_files(config_, sources_); !problems.empty()) {
    for (const auto& p : problems) spdlog::error("event=file_not_reachable message={}", logfmt_value(p));
    spdlog::error("event=not_started errors={} hint=\"fix the access to the files above\"", problems.size());
    return 1;
  }
  if (dns_) {
    resolver_->start();
    dns_->start();
    spdlog::info("event=listening addresses=\"{}\" port={} protocols=udp,tcp workers={}",
                 fmt::join(config_.listeners.addresses, " "), dns_->udp_port(), dns_->worker_count());
  }

  if (!start_checks()) return 1;
  checks_->checks.when_first_round_published([this] { announce_ready(); });
  if (http_) {
    http_->start(build_api_view(), [this] { return metrics_.render(); }, [this](Write write, std::function<void(ApiResponse)> done) {
      boost::asio::post(io_, [this, write = std::move(write), done = std::move(done)]() mutable {
        carry_out(std::move(write), std::move(done));
      });
    });
    spdlog::info("event=http_listening addresses=\"{}\" port={} writes_from=\"{}\" token={}",
                 fmt::join(config_.http.addresses, " "), http_->port(),
                 fmt::join(config_.http.acl | std::views::transform([](const NetworkBlock& n) {
                             return fmt::format("{}/{}", n.address, n.prefix);
                           }),
                           " "),
                 config_.http.token.empty() ? "none" : "required");
  }

  boost::asio::signal_set stop_signals(io_, SIGINT, SIGTERM);
  stop_signals.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("event=stopping signal={}", signal);
    systemd_notify::stopping();
    stop_checks();
    io_.stop();
  });
  boost::asio::signal_set reload_signal(io_, SIGHUP);
  std::function<void()> wait_reload = [&] {
    reload_signal.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      reload();
      wait_reload();
    });
  };
  wait_reload();

  io_.run();
  if (http_) http_->stop();
  if (resolver_) resolver_->stop();
  if (dns_) dns_->stop();
  spdlog::info("event=stopped");
  return 0;
}

}  // namespace failoverdns
