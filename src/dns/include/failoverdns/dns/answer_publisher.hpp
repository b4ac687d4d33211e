// Hands the current AnswerTable from the control plane (one writer) to the
// DNS workers (many readers) without a lock on the read side: a reader
// checks a generation counter per query and touches the shared pointer
// only when the generation moved, so no reference count bounces between
// cores on the hot path.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "failoverdns/dns/answer_table.hpp"

namespace failoverdns {

class AnswerPublisher {
 public:
  explicit AnswerPublisher(std::shared_ptr<const AnswerTable> initial);

  // Control plane: makes `table` the one every reader sees from its next query on.
  void publish(std::shared_ptr<const AnswerTable> table);
  std::shared_ptr<const AnswerTable> current() const;

  // One per DNS worker thread; not shared between threads.
  class Reader {
   public:
    explicit Reader(const AnswerPublisher& publisher);
    // The newest table; the reference stays valid until the next call.
    const AnswerTable& table() noexcept;

   private:
    const AnswerPublisher* publisher_;
    std::uint64_t generation_ = 0;
    std::shared_ptr<const AnswerTable> table_;
  };

 private:
  std::atomic<std::shared_ptr<const AnswerTable>> table_;
  std::atomic<std::uint64_t> generation_{1};
};

}  // namespace failoverdns
