// The queries failoverdns-bench sends: read once from a file in dnsperf's
// format ("name TYPE" per line, ; or # comments) and rendered to wire format, so
// sending one is a copy (or an iovec) with a fresh ID, and checking an answer
// is a byte comparison against the question that was sent.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace fdns_bench {

struct QueryMessage {
  std::uint32_t offset;           // into QuerySet::bytes()
  std::uint16_t length;           // the whole message, header included
  std::uint16_t question_length;  // QNAME + QTYPE + QCLASS, right after the header
  std::string text;               // "name TYPE", for reports
};

class QuerySet {
 public:
  // Throws std::runtime_error naming the file and line on anything it cannot
  // send; an empty file is an error too.
  static QuerySet load(const std::string& path, bool edns);
  // The same from lines already read; `origin` names them in errors.
  static QuerySet from_lines(const std::vector<std::string>& lines, bool edns, const std::string& origin);

  std::size_t size() const noexcept { return messages_.size(); }
  const QueryMessage& operator[](std::size_t i) const noexcept { return messages_[i]; }
  std::span<const std::uint8_t> wire(std::size_t i) const noexcept {
    return {bytes_.data() + messages_[i].offset, messages_[i].length};
  }
  std::size_t max_length() const noexcept { return max_length_; }

  // True when `response` (a whole DNS message) carries exactly the question
  // of query i: one question, same QTYPE and QCLASS, QNAME equal ignoring
  // ASCII case (servers may echo 0x20 mixed case either way).
  bool question_matches(std::size_t i, std::span<const std::uint8_t> response) const noexcept;

 private:
  std::vector<std::uint8_t> bytes_;
  std::vector<QueryMessage> messages_;
  std::size_t max_length_ = 0;
};

}  // namespace fdns_bench
