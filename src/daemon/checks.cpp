#include "failoverdns/support/asio.hpp"  // first: Boost 1.74 (see there)

#include "checks.hpp"

#include <algorithm>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "failoverdns/failover/failover_controller.hpp"
#include "failoverdns/failover/failover_decider.hpp"
#include "failoverdns/health/health_monitor.hpp"

namespace failoverdns {

struct CheckSet::Impl {
  std::vector<std::shared_ptr<FailoverController>> failover;
  std::unique_ptr<HealthMonitor> health;
};

CheckSet::CheckSet(boost::asio::io_context& io, const Config& config, LiveCatalog& catalog, CheckSet* previous)
    : impl_(std::make_unique<Impl>()) {
  std::vector<std::size_t> kept;  // slots of controllers carried over unchanged
  for (const auto& settings : config.failover) {
    auto members = failover_members(config, settings);
    FailoverController* running = nullptr;
    if (previous) {
      for (auto& c : previous->impl_->failover)
        if (c && c->settings().service == settings.service) running = c.get();
    }
    if (running && running->settings() == settings && running->members() == members) {
      kept.push_back(impl_->failover.size());
      impl_->failover.push_back(nullptr);  // moved in below, once nothing can fail any more
      continue;
    }
    if (running) {
      spdlog::info("event=failover_settings_changed service={} state=\"handed over to the new settings\"",
                   settings.service);
      impl_->failover.push_back(FailoverController::take_over(io, settings, std::move(members), catalog, *running));
      continue;
    }
    auto controller = FailoverController::create(io, settings, std::move(members), catalog);
    // A state file we cannot read must stop start-up: guessing the primary
    // could publish the wrong one.
    if (!controller) throw std::runtime_error(controller.error().message);
    impl_->failover.push_back(std::move(*controller));
  }
  impl_->health = std::make_unique<HealthMonitor>(io, config, catalog);
  for (std::size_t slot : kept) {
    const auto& service = config.failover[slot].service;
    for (auto& c : previous->impl_->failover) {
      if (c && c->settings().service == service) {
        spdlog::info("event=failover_kept service={} reason=\"settings unchanged\"", service);
        impl_->failover[slot] = std::move(c);
        break;
      }
    }
  }
}

CheckSet::~CheckSet() { stop(); }
CheckSet::CheckSet(CheckSet&&) noexcept = default;

void CheckSet::start() {
  for (auto& f : impl_->failover) f->start();
  impl_->health->start();
}

void CheckSet::when_first_round_published(std::function<void()> done) {
  auto waiting = std::make_shared<std::size_t>(impl_->failover.size());
  if (*waiting == 0) return done();
  auto shared_done = std::make_shared<std::function<void()>>(std::move(done));
  for (auto& f : impl_->failover)
    f->when_first_round_published([waiting, shared_done] {
      if (--*waiting == 0) (*shared_done)();
    });
}

std::vector<FailoverStatus> CheckSet::failover_status() const {
  std::vector<FailoverStatus> out;
  for (const auto& f : impl_->failover)
    if (f) out.push_back(f->status());
  return out;
}

void CheckSet::on_failover_change(std::function<void()> changed) {
  for (auto& f : impl_->failover)
    if (f) f->on_change(changed);
}

bool CheckSet::switchover(const std::string& service, std::string to, std::function<void(const LogEvent&)> done) {
  for (auto& f : impl_->failover) {
    if (!f || f->settings().service != service) continue;
    f->switchover(std::move(to), std::move(done));
    return true;
  }
  return false;
}

bool CheckSet::maintenance(const std::string& instance, bool enable, std::string reason,
                           std::function<void(const LogEvent&)> done) {
  for (auto& f : impl_->failover) {
    if (!f || std::ranges::none_of(f->members(), [&](const FailoverMember& m) { return m.id == instance; })) continue;
    f->maintenance(instance, enable, std::move(reason), std::move(done));
    return true;
  }
  return false;
}

void CheckSet::stop() {
  if (!impl_) return;
  for (auto& f : impl_->failover)
    if (f) f->stop();  // null: moved into the next CheckSet
  if (impl_->health) impl_->health->stop();
}

std::vector<std::shared_ptr<const prometheus::Collectable>> CheckSet::metrics() const {
  std::vector<std::shared_ptr<const prometheus::Collectable>> out{impl_->health->metrics()};
  for (const auto& f : impl_->failover)
    if (f) out.push_back(f->metrics());
  return out;
}

}  // namespace failoverdns
