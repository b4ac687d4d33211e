#include "failoverdns/catalog/live_catalog.hpp"

#include <utility>

namespace failoverdns {

LiveCatalog::LiveCatalog(Catalog base, Listener on_change) : catalog_(std::move(base)), on_change_(std::move(on_change)) {}

Instance* LiveCatalog::find(std::string_view instance_id) {
  for (auto& in : catalog_.instances)
    if (in.id == instance_id) return &in;
  return nullptr;
}

void LiveCatalog::changed() {
  if (batches_ > 0) {
    pending_ = true;
    return;
  }
  pending_ = false;
  if (on_change_) on_change_(catalog_);
}

LiveCatalog::Batch::~Batch() {
  if (--catalog_.batches_ == 0 && catalog_.pending_) catalog_.changed();
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

void LiveCatalog::replace_base(Catalog base) {
  for (auto& in : base.instances) {
    if (const Instance* old = find(in.id)) {
      in.health = old->health;
      in.role = old->role;
    }
  }
  catalog_ = std::move(base);
  changed();
}

}  // namespace failoverdns
