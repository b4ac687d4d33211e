#include "latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace fdns_bench {

namespace {
constexpr std::int64_t kLinearLimit = std::int64_t{1} << LatencyHistogram::kLinearBits;
constexpr std::int64_t kHalf = kLinearLimit / 2;
constexpr std::int64_t kMaxValue = (std::int64_t{1} << LatencyHistogram::kMaxBits) - 1;
}  // namespace

std::size_t LatencyHistogram::bucket_of(std::int64_t ns) noexcept {
  const std::int64_t v = std::clamp<std::int64_t>(ns, 0, kMaxValue);
  if (v < kLinearLimit) {
    return static_cast<std::size_t>(v);
  }
  const int msb = std::bit_width(static_cast<std::uint64_t>(v)) - 1;
  const int shift = msb - (kLinearBits - 1);
  return static_cast<std::size_t>(kLinearLimit + (shift - 1) * kHalf + ((v >> shift) - kHalf));
}

double LatencyHistogram::bucket_midpoint(std::size_t bucket) noexcept {
  const auto b = static_cast<std::int64_t>(bucket);
  if (b < kLinearLimit) {
    return static_cast<double>(b);
  }
  const std::int64_t k = b - kLinearLimit;
  const std::int64_t shift = k / kHalf + 1;
  const std::int64_t low = (k % kHalf + kHalf) << shift;
  const std::int64_t width = std::int64_t{1} << shift;
  return static_cast<double>(low) + static_cast<double>(width - 1) / 2.0;
}

void LatencyHistogram::record(std::int64_t ns) noexcept {
  ++counts_[bucket_of(ns)];
  ++count_;
  const std::int64_t v = std::max<std::int64_t>(ns, 0);
  sum_ += static_cast<std::uint64_t>(v);
  min_ = std::min(min_, v);
  max_ = std::max(max_, v);
}

void LatencyHistogram::merge(const LatencyHistogram& other) noexcept {
  for (std::size_t i = 0; i < kBuckets; ++i) {
    counts_[i] += other.counts_[i];
  }
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

double LatencyHistogram::percentile_ns(double p) const noexcept {
  if (count_ == 0) {
    return 0.0;
  }
  const double wanted = std::ceil(std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(count_));
  const std::uint64_t rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(wanted));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      return std::clamp(bucket_midpoint(i), static_cast<double>(min_), static_cast<double>(max_));
    }
  }
  return static_cast<double>(max_);
}

}  // namespace fdns_bench
