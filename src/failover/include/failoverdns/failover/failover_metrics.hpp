// One failover service's Prometheus metrics: probe results and durations
// per instance, role, health and lag as gauges, failovers and switchovers
// by outcome, the epoch and the last failover's time. Written by the
// controller on the control-plane thread (single writer, relaxed atomics),
// collected by a scrape on any thread.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <prometheus/collectable.h>

#include "failoverdns/catalog/catalog.hpp"
#include "failoverdns/failover/log_event.hpp"
#include "failoverdns/health/observation.hpp"
#include "failoverdns/metrics/local_counter.hpp"
#include "failoverdns/metrics/local_histogram.hpp"

namespace failoverdns {

class FailoverMetrics final : public prometheus::Collectable {
 public:
  FailoverMetrics(std::string service, const std::vector<std::string>& members);

  // Control-plane thread only.
  void probed(std::size_t member, ProbeOutcome outcome, std::chrono::nanoseconds took);
  void event(const LogEvent& event);  // counts the outcomes of failovers and switchovers
  void member_state(std::size_t member, Role role, Health health, std::optional<std::int64_t> lag_seconds);
  void service_state(bool primary_known, std::uint64_t epoch, std::optional<std::chrono::system_clock::time_point> last_failover);

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  struct alignas(metrics::cache_line) Member {
    std::string id;
    std::array<metrics::LocalCounter, 4> results;  // by ProbeOutcome
    metrics::LocalDurationHistogram duration;
    std::atomic<int> role{static_cast<int>(Role::none)};
    std::atomic<int> health{static_cast<int>(Health::critical)};
    std::atomic<std::int64_t> lag{-1};  // -1: unknown
  };
  std::string service_;
  std::vector<std::unique_ptr<Member>> members_;
  std::map<std::string, metrics::LocalCounter> failovers_, switchovers_;  // by outcome, fixed at construction
  std::atomic<int> primary_known_{0};
  std::atomic<std::uint64_t> epoch_{0};
  std::atomic<std::int64_t> last_failover_ms_{0};  // Unix ms, 0 = none
};

}  // namespace failoverdns
