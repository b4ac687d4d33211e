// The queries one load thread has in flight, indexed by DNS ID. Each thread
// owns a whole 16-bit ID space, so an answer finds its query in O(1) and
// threads share nothing. In-flight queries also form a list in send order,
// so timing out the oldest ones costs only what expires. Fixed size, no
// allocation after construction.
#pragma once

#include <cstdint>
#include <memory>

namespace fdns_bench {

class OutstandingTable {
 public:
  static constexpr std::uint32_t kIds = 65536;

  enum class State : std::uint8_t { free, in_flight, timed_out };
  struct Slot {
    std::int64_t start_ns;  // scheduled send time (open loop) or actual one
    std::uint32_t query;    // index into the QuerySet
    std::uint32_t prev;     // send-order list; kNone at the ends
    std::uint32_t next;
    std::uint16_t connection;  // TCP: which connection carries it
    State state;
  };

  OutstandingTable();

  std::uint32_t in_flight() const noexcept { return in_flight_; }
  bool full() const noexcept { return free_count_ == 0; }

  // The least recently freed ID: an ID is reused as late as possible, so a
  // straggling answer rarely meets a new query under its old ID.
  std::uint16_t take_id() noexcept;
  // Gives back an ID from take_id() that was never sent.
  void return_id(std::uint16_t id) noexcept;
  // Marks a taken ID as sent; it joins the send-order list at the end.
  void start(std::uint16_t id, std::uint32_t query, std::int64_t start_ns, std::uint16_t connection) noexcept;

  Slot& slot(std::uint16_t id) noexcept { return slots_[id]; }
  // An answered (or rejected) query: its ID becomes free.
  void finish(std::uint16_t id) noexcept;
  // A late answer for a timed-out ID is reported once; later copies are
  // unexpected.
  void forget(std::uint16_t id) noexcept { slots_[id].state = State::free; }

  // Times out every query started before `deadline_ns`, oldest first,
  // calling on_lost(slot) for each; returns how many.
  template <typename OnLost>
  std::uint32_t expire(std::int64_t deadline_ns, OnLost&& on_lost) noexcept {
    std::uint32_t n = 0;
    while (head_ != kNone && slots_[head_].start_ns < deadline_ns) {
      const auto id = static_cast<std::uint16_t>(head_);
      on_lost(slots_[id]);
      give_up(id);
      ++n;
    }
    return n;
  }
  // Gives up every query in flight on `connection` (the server closed it:
  // no answer can come), calling on_lost(slot) for each; returns how many.
  template <typename OnLost>
  std::uint32_t drop_connection(std::uint16_t connection, OnLost&& on_lost) noexcept {
    std::uint32_t n = 0;
    for (std::uint32_t i = head_; i != kNone;) {
      const auto id = static_cast<std::uint16_t>(i);
      i = slots_[id].next;
      if (slots_[id].connection != connection) continue;
      on_lost(slots_[id]);
      give_up(id);
      ++n;
    }
    return n;
  }
  // Start time of the oldest query in flight; only when in_flight() > 0.
  std::int64_t oldest_start_ns() const noexcept { return slots_[head_].start_ns; }

 private:
  static constexpr std::uint32_t kNone = UINT32_MAX;
  void unlink(std::uint16_t id) noexcept;
  void push_free(std::uint16_t id) noexcept;
  // Off the in-flight list and free again; a late answer is recognised once.
  void give_up(std::uint16_t id) noexcept {
    unlink(id);
    slots_[id].state = State::timed_out;
    push_free(id);
  }

  std::unique_ptr<Slot[]> slots_;
  std::unique_ptr<std::uint16_t[]> free_ring_;
  std::uint32_t free_head_ = 0;  // next to take; indices wrap modulo kIds
  std::uint32_t free_count_ = kIds;
  std::uint32_t head_ = kNone;  // oldest in flight
  std::uint32_t tail_ = kNone;
  std::uint32_t in_flight_ = 0;
};

}  // namespace fdns_bench
