// Latency histogram for failoverdns-bench: log-linear buckets in the style of
// HdrHistogram, so recording is a few instructions with no allocation and a
// reported percentile is within 0.4% of the true value.
#pragma once

#include <array>
#include <cstdint>

namespace fdns_bench {

class LatencyHistogram {
 public:
  // Values below 2^kLinearBits ns get a bucket each; above, every power of
  // two is split into 2^(kLinearBits-1) buckets, so a bucket is never wider
  // than 1/128 of its lower bound and its midpoint is within 1/256.
  static constexpr int kLinearBits = 8;
  static constexpr int kMaxBits = 40;  // 2^40 ns is about 18 minutes
  static constexpr std::size_t kBuckets =
      (std::size_t{1} << kLinearBits) + (kMaxBits - kLinearBits) * (std::size_t{1} << (kLinearBits - 1));

  void record(std::int64_t ns) noexcept;
  void merge(const LatencyHistogram& other) noexcept;

  std::uint64_t count() const noexcept { return count_; }
  std::int64_t min_ns() const noexcept { return count_ ? min_ : 0; }
  std::int64_t max_ns() const noexcept { return max_; }
  double mean_ns() const noexcept { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }
  // The value at percentile p (0-100]: the midpoint of the bucket that holds
  // the ceil(p% * count)-th smallest value, clamped to the exact min and max.
  double percentile_ns(double p) const noexcept;

  static std::size_t bucket_of(std::int64_t ns) noexcept;
  static double bucket_midpoint(std::size_t bucket) noexcept;

 private:
  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  // Sums of nanoseconds overflow only after 584 years of latency.
  std::uint64_t sum_ = 0;
  std::int64_t min_ = INT64_MAX;
  std::int64_t max_ = 0;
};

}  // namespace fdns_bench
