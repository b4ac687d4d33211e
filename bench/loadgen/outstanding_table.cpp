#include "outstanding_table.hpp"

namespace fdns_bench {

OutstandingTable::OutstandingTable()
    : slots_(std::make_unique<Slot[]>(kIds)), free_ring_(std::make_unique<std::uint16_t[]>(kIds)) {
  for (std::uint32_t i = 0; i < kIds; ++i) {
    slots_[i] = Slot{0, 0, kNone, kNone, 0, State::free};
    free_ring_[i] = static_cast<std::uint16_t>(i);
  }
}

std::uint16_t OutstandingTable::take_id() noexcept {
  const std::uint16_t id = free_ring_[free_head_ % kIds];
  free_head_ = (free_head_ + 1) % kIds;
  --free_count_;
  return id;
}

void OutstandingTable::push_free(std::uint16_t id) noexcept {
  free_ring_[(free_head_ + free_count_) % kIds] = id;
  ++free_count_;
}

void OutstandingTable::return_id(std::uint16_t id) noexcept {
  // Back at the front: it was never on the wire, so reusing it next is safe
  // and keeps the reuse distance of every other ID intact.
  free_head_ = (free_head_ + kIds - 1) % kIds;
  free_ring_[free_head_] = id;
  ++free_count_;
}

void OutstandingTable::start(std::uint16_t id, std::uint32_t query, std::int64_t start_ns,
                             std::uint16_t connection) noexcept {
  Slot& s = slots_[id];
  s.start_ns = start_ns;
  s.query = query;
  s.connection = connection;
  s.state = State::in_flight;
  s.next = kNone;
  s.prev = tail_;
  if (tail_ != kNone) {
    slots_[tail_].next = id;
  } else {
    head_ = id;
  }
  tail_ = id;
  ++in_flight_;
}

void OutstandingTable::unlink(std::uint16_t id) noexcept {
  Slot& s = slots_[id];
  if (s.prev != kNone) {
    slots_[s.prev].next = s.next;
  } else {
    head_ = s.next;
  }
  if (s.next != kNone) {
    slots_[s.next].prev = s.prev;
  } else {
    tail_ = s.prev;
  }
  s.prev = s.next = kNone;
  --in_flight_;
}

void OutstandingTable::finish(std::uint16_t id) noexcept {
  unlink(id);
  slots_[id].state = State::free;
  push_free(id);
}

}  // namespace fdns_bench
