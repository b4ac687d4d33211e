#include "failoverdns/metrics/metrics_registry.hpp"

#include <algorithm>
#include <sstream>

#include <prometheus/text_serializer.h>

namespace failoverdns {

namespace {

class FunctionCollector : public prometheus::Collectable {
 public:
  explicit FunctionCollector(std::function<std::vector<prometheus::MetricFamily>()> collect)
      : collect_(std::move(collect)) {}
  std::vector<prometheus::MetricFamily> Collect() const override { return collect_(); }

 private:
  std::function<std::vector<prometheus::MetricFamily>()> collect_;
};

}  // namespace

void MetricsRegistry::add(std::weak_ptr<const prometheus::Collectable> collector) {
  std::lock_guard lock(mutex_);
  // Added again (a failover controller kept across a reload): counted once.
  const auto same = [&](const auto& c) { return !c.owner_before(collector) && !collector.owner_before(c); };
  if (std::ranges::any_of(collectors_, same)) return;
  collectors_.push_back(std::move(collector));
}

std::vector<prometheus::MetricFamily> MetricsRegistry::collect() const {
  std::vector<std::shared_ptr<const prometheus::Collectable>> live;
  {
    std::lock_guard lock(mutex_);
    std::erase_if(collectors_, [](const auto& c) { return c.expired(); });
    for (const auto& c : collectors_)
      if (auto p = c.lock()) live.push_back(std::move(p));
  }
  // Outside the lock: a collector may take its time (and may register
  // another one) without holding up anyone else's add().
  std::vector<prometheus::MetricFamily> families;
  for (const auto& collector : live) {
    for (auto& family : collector->Collect()) {
      auto same = std::find_if(families.begin(), families.end(),
                               [&](const prometheus::MetricFamily& f) { return f.name == family.name; });
      if (same == families.end()) {
        families.push_back(std::move(family));
      } else {
        same->metric.insert(same->metric.end(), std::make_move_iterator(family.metric.begin()),
                            std::make_move_iterator(family.metric.end()));
      }
    }
  }
  return families;
}

std::string MetricsRegistry::render() const {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, collect());
  return std::move(out).str();
}

std::shared_ptr<prometheus::Collectable> make_collector(
    std::function<std::vector<prometheus::MetricFamily>()> collect) {
  return std::make_shared<FunctionCollector>(std::move(collect));
}

}  // namespace failoverdns
