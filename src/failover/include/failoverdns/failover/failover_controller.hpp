// Runs failover for one service: probes every instance on the schedule the
// decider asks for, feeds observations and action results to the pure
// FailoverDecider, has its actions carried out (SQL with deadlines, the
// state file), logs its events, and writes roles and health into the
// LiveCatalog. All I/O goes through a FailoverIo (MariaDB unless a test
// gives a fake). All on the control-plane io_context; nothing here blocks
// on the network.
#pragma once

#include "failoverdns/support/asio.hpp"  // first: Boost 1.74 (see there)

#include <functional>
#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "failoverdns/config/config.hpp"
#include "failoverdns/failover/failover_decider.hpp"
#include "failoverdns/failover/failover_io.hpp"
#include "failoverdns/failover/failover_metrics.hpp"
#include "failoverdns/failover/failover_status.hpp"
#include "failoverdns/catalog/live_catalog.hpp"

namespace failoverdns {

class FailoverController {
 public:
  // Reads the state file; an unreadable or corrupt one is an error (the
  // message says what to do) rather than a guess about who is primary.
  // Without `failover_io` it talks to MariaDB and saves to the state file;
  // unit tests pass a fake (loading stays here: it happens once, at start).
  static Result<std::shared_ptr<FailoverController>> create(boost::asio::io_context& io, FailoverSettings settings,
                                                            std::vector<FailoverMember> members, LiveCatalog& catalog);
  static Result<std::shared_ptr<FailoverController>> create(boost::asio::io_context& io, FailoverSettings settings,
                                                            std::vector<FailoverMember> members, LiveCatalog& catalog,
                                                            std::shared_ptr<FailoverIo> failover_io);
  // Takes over from `previous` (stopped by the caller afterwards) without
  // reading the state file: what it observed and decided carries on, so a
  // reload never forgets failure counts or publishes before observing.
  static std::shared_ptr<FailoverController> take_over(boost::asio::io_context& io, FailoverSettings settings,
                                                       std::vector<FailoverMember> members, LiveCatalog& catalog,
                                                       const FailoverController& previous);
  static std::shared_ptr<FailoverController> take_over(boost::asio::io_context& io, FailoverSettings settings,
                                                       std::vector<FailoverMember> members, LiveCatalog& catalog,
                                                       const FailoverController& previous,
                                                       std::shared_ptr<FailoverIo> failover_io);

  void start();  // once; again is a no-op
  void stop();   // probes and actions in flight end by their deadlines

  // Calls `done` once every instance has been probed once and what that
  // round decided about the primary is saved and so published (a probe
  // that times out counts: the round is in after `timeout` at most). At
  // once if that already happened. The daemon tells systemd it is ready
  // then, so a service started after it gets answers that were observed.
  void when_first_round_published(std::function<void()> done);

  // Who is primary, each instance as last probed, the last failovers, and
  // whether a failed primary would be replaced now.
  FailoverStatus status() const;
  // Its probes, roles and failovers as Prometheus metrics (FailoverMetrics).
  std::shared_ptr<const prometheus::Collectable> metrics() const;
  // Called after every decision step (probe result, action result): the
  // status may have changed. One callback; a new one replaces it.
  void on_change(std::function<void()> changed);

  // A planned switchover to `to` (empty: the best replica). `done` gets the
  // event that ended it -- switchover_complete, switchover_refused,
  // switchover_rolled_back or switchover_failed -- with its fields.
  void switchover(std::string to, std::function<void(const LogEvent&)> done);
  // Maintenance of one instance on or off. `done` gets maintenance_enabled,
  // maintenance_disabled or maintenance_refused -- or, for the primary, the
  // event that ended a failed switchover.
  void maintenance(std::string instance, bool enable, std::string reason, std::function<void(const LogEvent&)> done);

  const FailoverSettings& settings() const;
  const std::vector<FailoverMember>& members() const;

  struct Impl;
  explicit FailoverController(std::unique_ptr<Impl> impl);
  ~FailoverController();

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace failoverdns
