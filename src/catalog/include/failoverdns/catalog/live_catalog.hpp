// The catalog as it changes at runtime: configuration gives the instances,
// health checks set each instance's health, failover sets roles. Every
// effective change produces a new immutable Catalog for the listener (the
// daemon compiles and publishes it). Control plane only: one thread, no locks.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "failoverdns/catalog/catalog.hpp"

namespace failoverdns {

class LiveCatalog {
 public:
  using Listener = std::function<void(const Catalog&)>;

  LiveCatalog(Catalog base, Listener on_change);

  // Each returns true when the catalog changed (and the listener ran).
  bool set_health(std::string_view instance_id, Health health);
  bool set_roles(std::string_view service, const std::map<std::string, Role>& roles);
  // Failover's view of a service: epoch, primary since, each instance's
  // lag in whole seconds (an instance not in `lags` has an unknown lag).
  bool set_failover_summary(std::string_view service, const FailoverSummary& status,
                           const std::map<std::string, std::optional<std::uint32_t>>& lags);
  // Reload: new instances from configuration; health and roles of instances
  // that still exist (same id) are kept.
  void replace_base(Catalog base);

  const Catalog& current() const { return catalog_; }

  // While the listener runs: true when the change it is told of moved
  // nothing but lags. Lag moves often; the daemon logs such publications
  // at debug so they do not flood the info log.
  bool only_lag_changed() const { return publishing_lag_only_; }

  // Changes made while a Batch lives reach the listener once, when the last
  // Batch ends: one decision (several roles and healths) is one publication,
  // never a half-applied one.
  class Batch {
   public:
    explicit Batch(LiveCatalog& catalog) : catalog_(catalog) { ++catalog_.batches_; }
    ~Batch();
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;

   private:
    LiveCatalog& catalog_;
  };

 private:
  Instance* find(std::string_view instance_id);
  void changed(bool lag_only = false);

  Catalog catalog_;
  Listener on_change_;
  int batches_ = 0;
  bool pending_ = false;
  bool pending_lag_only_ = false;
  bool publishing_lag_only_ = false;
};

}  // namespace failoverdns
