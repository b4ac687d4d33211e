#include "failoverdns/dns/answer_publisher.hpp"

#include <cassert>
#include <utility>

namespace failoverdns {

AnswerPublisher::AnswerPublisher(std::shared_ptr<const AnswerTable> initial) : table_(std::move(initial)) {}

void AnswerPublisher::publish(std::shared_ptr<const AnswerTable> table) {
  // Pointer first, generation second: a reader that sees the new generation
  // (acquire) is guaranteed to load this pointer or a newer one.
  table_.store(std::move(table), std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_release);
}

std::shared_ptr<const AnswerTable> AnswerPublisher::current() const { return table_.load(std::memory_order_acquire); }

AnswerPublisher::Reader::Reader(const AnswerPublisher& publisher) : publisher_(&publisher) {}

const AnswerTable& AnswerPublisher::Reader::table() noexcept {
  std::uint64_t generation = publisher_->generation_.load(std::memory_order_acquire);
  if (generation != generation_) {
    // Only here does the shared pointer's count change; the reference we
    // return stays valid because table_ keeps the table alive until the
    // next call.
    table_ = publisher_->table_.load(std::memory_order_acquire);
    generation_ = generation;
  }
  assert(table_ && "AnswerPublisher needs a table before readers use it");
  return *table_;
}

}  // namespace failoverdns
