#include "failoverdns/health/health_monitor.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "failoverdns/health/health_check.hpp"
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
      Health before = c.hysteresis.current();
      Health after = c.hysteresis.update(result.health);
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
}

HealthMonitor::~HealthMonitor() { stop(); }

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
