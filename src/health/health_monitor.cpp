#include "failoverdns/health/health_monitor.hpp"

#include <array>
#include <atomic>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "failoverdns/health/health_check.hpp"
#include "failoverdns/metrics/local_counter.hpp"
#include "failoverdns/metrics/local_histogram.hpp"
#include "failoverdns/metrics/metric_family.hpp"
#include "failoverdns/metrics/metrics_registry.hpp"
#include "failoverdns/support/log_value.hpp"
#include "failoverdns/support/asio.hpp"

namespace failoverdns {
namespace asio = boost::asio;

struct HealthMonitor::Impl {
  struct Check {
    std::string instance;
    std::string service;
    std::string address;
    std::uint16_t port;
    CheckDefinition definition;
    Hysteresis hysteresis;
    std::unique_ptr<asio::steady_timer> timer;
    // Written on the control plane, read by whichever thread scrapes.
    struct Counts {
      std::array<metrics::LocalCounter, 3> results;  // by Health
      metrics::LocalDurationHistogram duration;
      std::atomic<std::uint8_t> status{static_cast<std::uint8_t>(Health::passing)};
    };
    std::unique_ptr<Counts> counts = std::make_unique<Counts>();
  };

  asio::io_context& io;
  LiveCatalog& catalog;
  CheckRunner run;
  std::vector<Check> checks;
  bool stopped = false;

  // An instance is as healthy as its worst check.
  void publish(const std::string& instance) {
    Health worst = Health::passing;
    for (const auto& c : checks)
      if (c.instance == instance) worst = std::max(worst, c.hysteresis.current());
    catalog.set_health(instance, worst);
  }

  static asio::awaitable<void> loop(std::shared_ptr<Impl> self, std::size_t index) {
    while (!self->stopped) {
      Check& c = self->checks[index];
      auto started = std::chrono::steady_clock::now();
      CheckResult result = co_await self->run(self->io.get_executor(), c.definition, c.address, c.port);
      if (self->stopped) break;
      c.counts->duration.observe(std::chrono::steady_clock::now() - started);
      c.counts->results[static_cast<std::size_t>(result.health)].add();
      Health before = c.hysteresis.current();
      Health after = c.hysteresis.update(result.health);
      c.counts->status.store(static_cast<std::uint8_t>(after), std::memory_order_relaxed);
      if (after != before || result.health != after)
        spdlog::log(after == Health::passing ? spdlog::level::info : spdlog::level::warn,
                    "event=check service={} instance={} check={} result={} status={} output={}", c.service, c.instance,
                    logfmt_value(c.definition.name.empty() ? c.definition.id : c.definition.name),
                    to_string(result.health), to_string(after),
                    logfmt_value(std::string_view(result.output).substr(0, 200)));
      self->publish(c.instance);
      c.timer->expires_at(started + c.definition.interval);
      boost::system::error_code ec;
      co_await c.timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
};

namespace {

std::vector<prometheus::MetricFamily> collect_checks(const HealthMonitor::Impl& impl) {
  namespace m = metrics;
  auto results = m::counter("failoverdns_check_results_total",
                            "Health check runs of services not under failover, by result (before hysteresis).");
  auto duration = m::histogram("failoverdns_check_duration_seconds", "How long a health check run took.");
  auto status = m::gauge("failoverdns_check_status",
                         "A health check's status after hysteresis: 1 for the current one, 0 for the others.");
  constexpr std::array health{Health::passing, Health::warning, Health::critical};
  for (const auto& c : impl.checks) {
    const std::string_view check = c.definition.id;
    const auto current = static_cast<Health>(c.counts->status.load(std::memory_order_relaxed));
    for (Health h : health) {
      const auto name = to_string(h);
      m::add(results, {{"service", c.service}, {"instance", c.instance}, {"check", check}, {"result", name}},
             static_cast<double>(c.counts->results[static_cast<std::size_t>(h)].load()));
      m::add(status, {{"service", c.service}, {"instance", c.instance}, {"check", check}, {"status", name}},
             h == current ? 1 : 0);
    }
    std::array<std::uint64_t, m::LocalDurationHistogram::bucket_count> buckets{};
    double seconds = 0;
    c.counts->duration.add_to(buckets, seconds);
    m::add_histogram(duration, {{"service", c.service}, {"instance", c.instance}, {"check", check}},
                     m::LocalDurationHistogram::bounds_seconds, buckets, seconds);
  }
  return {results, duration, status};
}

}  // namespace

HealthMonitor::HealthMonitor(asio::io_context& io, const Config& config, LiveCatalog& catalog, CheckRunner run)
    : impl_(std::make_shared<Impl>(Impl{io, catalog, std::move(run), {}, false})) {
  for (const auto& s : config.services) {
    if (config.failover_for(s.name)) continue;  // the FailoverController owns those instances' health
    for (const auto& c : s.checks) {
      // Config loading warned about it (config_warning), as --check-config does.
      if (c.kind == CheckKind::script && !config.enable_script_checks) continue;
      impl_->checks.push_back(Impl::Check{s.id, s.name, s.address, s.port,
                                          c, Hysteresis(c.success_before_passing, c.failures_before_critical),
                                          std::make_unique<asio::steady_timer>(io)});
    }
  }
  // Only the collector and the checks' loops share the Impl; the checks
  // list does not change after this, so a scrape may read it from any thread.
  metrics_ = make_collector([impl = impl_] { return collect_checks(*impl); });
}

HealthMonitor::~HealthMonitor() { stop(); }

std::shared_ptr<const prometheus::Collectable> HealthMonitor::metrics() const { return metrics_; }

void HealthMonitor::start() {
  for (std::size_t i = 0; i < impl_->checks.size(); ++i)
    spawn_must_live(
        impl_->io.get_executor(), "health check " + std::to_string(i),
        [self = impl_, i] { return Impl::loop(self, i); }, [self = impl_] { return self->stopped; });
  if (!impl_->checks.empty()) spdlog::info("event=health_checks_started checks={}", impl_->checks.size());
}

void HealthMonitor::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  for (auto& c : impl_->checks) c.timer->cancel();
}

}  // namespace failoverdns
