// Everything that watches the backends for one configuration: Consul-style
// health checks of plain services, and one FailoverController per service
// under "failover". Built from a Config, started once, stopped before a
// reload builds the next one. Control-plane thread only.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "failoverdns/config/config.hpp"
#include "failoverdns/catalog/live_catalog.hpp"
#include "failoverdns/failover/failover_status.hpp"

namespace prometheus {
class Collectable;
}

namespace failoverdns {

class CheckSet {
 public:
  // With `previous` (a reload): a failover service whose settings and
  // members did not change keeps its running controller (moved out of
  // `previous`); one whose settings changed gets a new controller that takes
  // over the old one's state. Stop `previous` afterwards.
  CheckSet(boost::asio::io_context& io, const Config& config, LiveCatalog& catalog, CheckSet* previous = nullptr);
  ~CheckSet();
  CheckSet(CheckSet&&) noexcept;

  void start();
  void stop();

  // Calls `done` once every failover service has had its first probe round
  // published (FailoverController::when_first_round_published); at once
  // without failover services. Health checks do not delay it.
  void when_first_round_published(std::function<void()> done);

  // Every failover service's status, in configuration order.
  std::vector<FailoverStatus> failover_status() const;
  // `changed` runs after any failover controller's decision step.
  void on_failover_change(std::function<void()> changed);
  // FailoverController::switchover of that service; false when it is not
  // under failover (`done` is then not called).
  bool switchover(const std::string& service, std::string to, std::function<void(const LogEvent&)> done);
  // FailoverController::maintenance of the service that has `instance`;
  // false when no failover service has it (`done` is then not called).
  bool maintenance(const std::string& instance, bool enable, std::string reason,
                   std::function<void(const LogEvent&)> done);
  // Collectors of these checks' metrics, for the daemon's MetricsRegistry;
  // they go away with this set.
  std::vector<std::shared_ptr<const prometheus::Collectable>> metrics() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace failoverdns
