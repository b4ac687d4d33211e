// Hands the current AnswerTable from the control plane (one writer) to the
// DNS workers (many readers) without a lock on the read side (Published):
// a reader checks a generation counter per query and touches the shared
// pointer only when the table changed.
#pragma once

#include "failoverdns/dns/answer_table.hpp"
#include "failoverdns/support/published.hpp"

namespace failoverdns {

class AnswerPublisher : public Published<AnswerTable> {
 public:
  using Published::Published;

  // One per DNS worker thread; not shared between threads.
  class Reader : public Published<AnswerTable>::Reader {
   public:
    using Published<AnswerTable>::Reader::Reader;
    // The newest table; the reference stays valid until the next call.
    const AnswerTable& table() noexcept { return get(); }
  };
};

}  // namespace failoverdns
