// A counter written by one thread only (a DNS worker) and read by any (a
// scrape): the owner's add() is a plain load and store, relaxed, so the
// hot path pays no locked read-modify-write and no cache line bounces
// between workers. Keep each thread's counters on cache lines of its own.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace failoverdns::metrics {

class LocalCounter {
 public:
  // Owner thread only: two writers would lose counts.
  void add(std::uint64_t n = 1) noexcept {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  // Any thread; may lag the owner by the adds it has not yet stored.
  std::uint64_t load() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// The size of a cache line on the machines we run on (x86-64, arm64); g++ 12
// warns about std::hardware_destructive_interference_size changing with flags.
inline constexpr std::size_t cache_line = 64;

}  // namespace failoverdns::metrics
