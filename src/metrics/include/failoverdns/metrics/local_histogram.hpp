// A duration histogram written by one thread only (as LocalCounter): fixed
// buckets, so observing is a short scan and two plain stores. Buckets suit
// both a DNS answer (microseconds) and a forwarded one or a probe (up to
// seconds). Summed over threads at scrape time (add_to), rendered with
// metrics::add_histogram.
#pragma once

#include <array>
#include <bit>
#include <chrono>
#include <cstdint>
#include <span>

#include "failoverdns/metrics/local_counter.hpp"

namespace failoverdns::metrics {

class LocalDurationHistogram {
 public:
  // Upper bounds of the buckets, in seconds (as rendered) and nanoseconds
  // (as compared); the +Inf bucket follows the last.
  static constexpr std::array<double, 17> bounds_seconds{0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025,
                                                         0.0005,   0.001,   0.0025,   0.005,   0.01,   0.025,
                                                         0.05,     0.1,     0.25,     0.5,     1.0};
  static constexpr std::size_t bucket_count = bounds_seconds.size() + 1;

  // Owner thread only: `count` observations of `elapsed` each (a batch of
  // answers that left together).
  void observe(std::chrono::nanoseconds elapsed, std::uint64_t count = 1) noexcept {
    const auto ns = static_cast<std::uint64_t>(elapsed.count() < 0 ? 0 : elapsed.count());
    // Start at the first bound not below ns's power of two: a step or two.
    std::size_t i = first_candidate[static_cast<std::size_t>(std::bit_width(ns))];
    while (i < bounds_ns.size() && ns > bounds_ns[i]) ++i;
    buckets_[i].add(count);
    sum_ns_.add(ns * count);
  }

  // Any thread: adds this histogram's counts (bucket_count of them, not
  // cumulative) and its sum in seconds to the totals.
  void add_to(std::span<std::uint64_t, bucket_count> counts, double& sum_seconds) const noexcept {
    for (std::size_t i = 0; i < bucket_count; ++i) counts[i] += buckets_[i].load();
    sum_seconds += static_cast<double>(sum_ns_.load()) / 1e9;
  }

 private:
  static constexpr std::array<std::uint64_t, bounds_seconds.size()> bounds_ns = [] {
    std::array<std::uint64_t, bounds_seconds.size()> ns{};
    for (std::size_t i = 0; i < ns.size(); ++i) ns[i] = static_cast<std::uint64_t>(bounds_seconds[i] * 1e9 + 0.5);
    return ns;
  }();
  // By bit width w of a duration (so >= 2^(w-1) ns): the buckets whose
  // bound is below 2^(w-1) it certainly passes.
  static constexpr std::array<std::uint8_t, 65> first_candidate = [] {
    std::array<std::uint8_t, 65> first{};
    for (std::size_t w = 1; w < first.size(); ++w) {
      const std::uint64_t least = std::uint64_t{1} << (w - 1);
      std::uint8_t n = 0;
      while (n < bounds_ns.size() && bounds_ns[n] < least) ++n;
      first[w] = n;
    }
    return first;
  }();

  std::array<LocalCounter, bucket_count> buckets_{};
  LocalCounter sum_ns_;
};

}  // namespace failoverdns::metrics
