// Runs every configured check of every service that is not under failover,
// each on its interval, and writes each instance's health (the worst of
// its checks) into the LiveCatalog. Control-plane io_context only.
#pragma once

#include "failoverdns/support/asio.hpp"  // first: Boost 1.74 (see there)

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include <boost/asio/io_context.hpp>

#include "failoverdns/config/config.hpp"
#include "failoverdns/health/health_check.hpp"
#include "failoverdns/catalog/live_catalog.hpp"

namespace prometheus {
class Collectable;
}

namespace failoverdns {

class HealthMonitor {
 public:
  // One run of one check, as run_check: it returns a CheckResult for every
  // failure. Injectable so unit tests drive the monitor with fakes; one that
  // throws is logged (loop_failed) and restarted, never left frozen.
  using CheckRunner = std::function<boost::asio::awaitable<CheckResult>(boost::asio::any_io_executor, CheckDefinition,
                                                                        std::string address, std::uint16_t port)>;

  HealthMonitor(boost::asio::io_context& io, const Config& config, LiveCatalog& catalog, CheckRunner run = run_check);
  ~HealthMonitor();
  void start();
  void stop();  // checks in flight end by their timeouts; their results are dropped

  // Its checks' results, durations and status (README "Metrics"), safe to
  // collect from any thread. Lives as long as this monitor (register it with
  // a MetricsRegistry, which holds it weakly); counts start at zero with it.
  std::shared_ptr<const prometheus::Collectable> metrics() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
  std::shared_ptr<const prometheus::Collectable> metrics_;
};

}  // namespace failoverdns
