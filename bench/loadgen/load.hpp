// What one load thread is told to do (LoadPlan), what it counts (RunStats),
// and the two ways it sends: UDP with sendmmsg/recvmmsg on its own socket,
// or TCP pipelined over its own connections. A thread allocates everything
// before the start time; its send/receive loop never allocates.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <ctime>
#include <span>
#include <vector>

#include "latency_histogram.hpp"
#include "outstanding_table.hpp"
#include "query_set.hpp"

namespace fdns_bench {

inline std::int64_t now_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

struct Target {
  sockaddr_storage address{};
  socklen_t length = 0;
};

struct LoadPlan {
  const QuerySet* queries = nullptr;
  std::size_t first_query = 0;  // threads start at different queries
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;  // no query is sent (or scheduled) from here on
  std::int64_t timeout_ns = 1'000'000'000;
  // Open loop: this thread's share of the offered rate, and where in one
  // interval its schedule starts (threads interleave evenly). 0 = closed loop.
  double rate = 0.0;
  double phase = 0.0;
  unsigned window = 100;  // closed loop: queries in flight per thread
  unsigned batch = 32;    // messages per sendmmsg/recvmmsg
  // Busy-poll instead of sleeping between events: a thread that sleeps
  // wakes some 20 µs late on a virtual machine, and that lag lands in
  // every latency it measures. Costs a whole core per thread.
  bool spin = false;
};

struct RunStats {
  std::uint64_t sent = 0;
  std::uint64_t answered = 0;
  std::uint64_t lost = 0;       // no answer within the timeout
  std::uint64_t late = 0;       // an answer after its query timed out (already lost)
  std::uint64_t unsent = 0;     // open loop: scheduled but never sent (generator overloaded)
  std::uint64_t truncated = 0;  // answers with TC set
  // Errors: an answer whose question differs from the one sent under its ID,
  // a packet that is no DNS response, an answer for an ID not in flight,
  // socket errors (including connections the server closed).
  std::uint64_t mismatched = 0;
  std::uint64_t malformed = 0;
  std::uint64_t unexpected = 0;
  std::uint64_t io_errors = 0;
  std::array<std::uint64_t, 16> rcodes{};
  LatencyHistogram latency;
  LatencyHistogram send_lag;  // open loop: actual send time - scheduled time
  std::int64_t last_answer_ns = 0;

  std::uint64_t errors() const noexcept { return mismatched + malformed + unexpected + io_errors; }
  void merge(const RunStats& other) noexcept;
};

// Accounts one received DNS message against the table. Returns the
// connection of the query it completed, or -1 when it completed none.
int account_response(std::span<const std::uint8_t> message, std::int64_t now, const QuerySet& queries,
                     OutstandingTable& table, RunStats& stats) noexcept;

// Both return when the plan's end has passed and every query has been
// answered or has timed out.
void run_udp_load(const LoadPlan& plan, int fd, RunStats& stats);
void run_tcp_load(const LoadPlan& plan, const Target& target, std::span<const int> fds, RunStats& stats);

// Used by both loops.
int connect_socket(const Target& target, int type);  // -1 on failure, errno set
void wait_until(std::int64_t deadline_ns) noexcept;
// Scheduled send time of this thread's i-th query (open loop).
inline std::int64_t scheduled_ns(const LoadPlan& plan, std::uint64_t i) noexcept {
  return plan.start_ns + static_cast<std::int64_t>((static_cast<double>(i) + plan.phase) * 1e9 / plan.rate);
}
// Open loop: how many queries the schedule held before the end that never
// went out, when `sent` of them did.
inline std::uint64_t unsent_after(const LoadPlan& plan, std::uint64_t sent) noexcept {
  std::uint64_t due = sent;
  while (scheduled_ns(plan, due) < plan.end_ns) {
    ++due;
  }
  return due - sent;
}

}  // namespace fdns_bench
