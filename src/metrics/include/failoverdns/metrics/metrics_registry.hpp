// Where GET /metrics comes from: anything with something to count registers
// a prometheus::Collectable here; render() asks each one and writes the
// Prometheus text format. Collectors are held weakly: one whose owner is
// gone stops appearing. Any thread; collecting happens off the DNS hot path.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

namespace failoverdns {

class MetricsRegistry {
 public:
  // The caller keeps the collector alive (a shared_ptr it owns); the
  // registry never extends its life.
  void add(std::weak_ptr<const prometheus::Collectable> collector);

  // Every live collector's families, in registration order. Families of the
  // same name from several collectors (one per service, say) are merged
  // into one, so the output never names a family twice.
  std::vector<prometheus::MetricFamily> collect() const;
  // collect(), as Prometheus text exposition format 0.0.4 (Content-Type
  // "text/plain; version=0.0.4; charset=utf-8").
  std::string render() const;

 private:
  mutable std::mutex mutex_;
  mutable std::vector<std::weak_ptr<const prometheus::Collectable>> collectors_;
};

// A Collectable from a function, for collectors that are a few lines: keep
// the returned pointer for as long as the function may be called.
std::shared_ptr<prometheus::Collectable> make_collector(
    std::function<std::vector<prometheus::MetricFamily>()> collect);

}  // namespace failoverdns
