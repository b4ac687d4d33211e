// What one DNS thread counts (a UDP worker, or the TCP thread): written by
// that thread only, with plain stores (metrics::LocalCounter), on cache
// lines of its own; DnsMetrics sums every thread's at scrape time. Counting
// an answer is a table lookup, a load and a store: no shared atomic, no lock.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "failoverdns/metrics/local_counter.hpp"
#include "failoverdns/metrics/local_histogram.hpp"

namespace failoverdns::net {

// The query types and rcodes counted by name; the rest is "other", so a
// client sending random types cannot grow the number of series.
inline constexpr std::array<std::string_view, 9> qtype_names{"A",   "AAAA", "SRV", "TXT",  "PTR",
                                                             "NS",  "SOA",  "ANY", "other"};
inline constexpr std::array<std::string_view, 7> rcode_names{"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                                             "NOTIMP",  "REFUSED", "other"};

// Slot of a query type in qtype_names.
constexpr std::uint8_t qtype_slot(std::uint16_t qtype) noexcept {
  switch (qtype) {
    case 1: return 0;    // A
    case 28: return 1;   // AAAA
    case 33: return 2;   // SRV
    case 16: return 3;   // TXT
    case 12: return 4;   // PTR
    case 2: return 5;    // NS
    case 6: return 6;    // SOA
    case 255: return 7;  // ANY
    default: return 8;
  }
}

// Slot of a header rcode (4 bits) in rcode_names.
inline constexpr std::array<std::uint8_t, 16> rcode_slot{0, 1, 2, 3, 4, 5, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6};

// Where an answer came from (README "Metrics", failoverdns_dns_answers_total).
enum class AnswerSource : std::uint8_t {
  zone,      // answer_query's: our names, and the errors and REFUSED it writes
  cache,     // a forwarded name, from this thread's resolver cache
  upstream,  // a forwarded name, the recursors' answer after a miss
};
inline constexpr std::array<std::string_view, 3> source_names{"zone", "cache", "upstream"};

struct alignas(metrics::cache_line) DnsCounters {
  static constexpr std::size_t sources = source_names.size();
  static constexpr std::size_t qtypes = qtype_names.size();
  static constexpr std::size_t rcodes = rcode_names.size();

  // An answer about to leave: `response` holds at least its header. `qtype`
  // is QueryOutcome::qtype (0 when the question did not parse). One counter
  // per (source, qtype, rcode), so every total is a sum and stays exact.
  void count_answer(AnswerSource source, std::uint16_t qtype, const std::uint8_t* response) noexcept {
    answers[(static_cast<std::size_t>(source) * qtypes + qtype_slot(qtype)) * rcodes + rcode_slot[response[3] & 0x0F]]
        .add();
    if (response[2] & 0x02) [[unlikely]]
      truncated.add();
  }
  std::uint64_t answered(std::size_t source, std::size_t qtype, std::size_t rcode) const noexcept {
    return answers[(source * qtypes + qtype) * rcodes + rcode].load();
  }

  std::array<metrics::LocalCounter, sources * qtypes * rcodes> answers{};
  metrics::LocalCounter truncated;  // answers with TC set
  metrics::LocalCounter dropped;    // messages given no answer: not a query, cut to fit, a bad TCP frame
  // From reading a batch of queries (a recvmmsg, a TCP read) to its answers
  // sent: what the answers given at once waited in failoverdns.
  metrics::LocalDurationHistogram answer_duration;
  // From reading a forwarded query that missed the cache to sending the
  // recursors' answer.
  metrics::LocalDurationHistogram forwarded_duration;
};

}  // namespace failoverdns::net
