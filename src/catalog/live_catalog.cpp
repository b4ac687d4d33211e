#include "failoverdns/catalog/live_catalog.hpp"

#include <utility>

namespace failoverdns {

LiveCatalog::LiveCatalog(Catalog base, Listener on_change) : catalog_(std::move(base)), on_change_(std::move(on_change)) {}

Instance* LiveCatalog::find(std::string_view instance_id) {
  for (auto& in : catalog_.instances)
    if (in.id == instance_id) return &in;
  return nullptr;
}

void LiveCatalog::changed(bool lag_only) {
  // A batch is lag-only when every change in it is.
  pending_lag_only_ = pending_ ? pending_lag_only_ && lag_only : lag_only;
  pending_ = true;
  if (batches_ > 0) return;
  pending_ = false;
  publishing_lag_only_ = pending_lag_only_;
  if (on_change_) on_change_(catalog_);
  publishing_lag_only_ = false;
}

LiveCatalog::Batch::~Batch() {
  if (--catalog_.batches_ == 0 && catalog_.pending_) {
    catalog_.pending_ = false;
    catalog_.changed(catalog_.pending_lag_only_);
  }
}

bool LiveCatalog::set_health(std::string_view instance_id, Health health) {
  Instance* in = find(instance_id);
  if (!in || in->health == health) return false;
  in->health = health;
  changed();
  return true;
}

bool LiveCatalog::set_roles(std::string_view service, const std::map<std::string, Role>& roles) {
  bool any = false;
  for (auto& in : catalog_.instances) {
    if (in.service != service) continue;  // both lower-case since config loading
    auto it = roles.find(in.id);
    // An instance the decider did not mention has no role it can vouch for.
    Role role = it == roles.end() ? Role::none : it->second;
    if (in.role != role) {
      in.role = role;
      any = true;
    }
  }
  if (any) changed();
  return any;
}

bool LiveCatalog::set_failover_summary(std::string_view service, const FailoverSummary& status,
                                      const std::map<std::string, std::optional<std::uint32_t>>& lags) {
  bool lag_moved = false;
  for (auto& in : catalog_.instances) {
    if (in.service != service) continue;
    auto it = lags.find(in.id);
    std::optional<std::uint32_t> lag = it == lags.end() ? std::nullopt : it->second;
    if (in.lag != lag) {
      in.lag = lag;
      lag_moved = true;
    }
  }
  bool status_moved = false;
  auto [it, inserted] = catalog_.failover_summary.try_emplace(std::string(service), status);
  if (!inserted && it->second != status) {
    it->second = status;
    status_moved = true;
  }
  status_moved = status_moved || inserted;
  if (status_moved || lag_moved) changed(!status_moved);
  return status_moved || lag_moved;
}

void LiveCatalog::replace_base(Catalog base) {
  for (auto& in : base.instances) {
    if (const Instance* old = find(in.id)) {
      in.health = old->health;
      in.role = old->role;
      in.lag = old->lag;
    }
  }
  // Failover keeps running across a reload; its status stays until it says more.
  for (const auto& [service, status] : catalog_.failover_summary)
    if (base.under_failover(service)) base.failover_summary.emplace(service, status);
  catalog_ = std::move(base);
  changed();
}

}  // namespace failoverdns
