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

// Rcodes are counted by their 4 header bits, all 16 (a shift and no table
// on the hot path); rcode_slot maps them to rcode_names when scraped.
inline constexpr std::size_t header_rcodes = 16;
inline constexpr std::array<std::uint8_t, header_rcodes> rcode_slot{0, 1, 2, 3, 4, 5, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6};

// qtype_slot(qtype) * header_rcodes, for every qtype below 256 (ANY is the
// largest we name): a load instead of the switch's compare chain.
inline constexpr std::array<std::uint8_t, 256> qtype_row = [] {
  std::array<std::uint8_t, 256> rows{};
  for (std::size_t t = 0; t < rows.size(); ++t)
    rows[t] = static_cast<std::uint8_t>(qtype_slot(static_cast<std::uint16_t>(t)) * header_rcodes);
  return rows;
}();

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
  static constexpr std::size_t rcodes = header_rcodes;

  // An answer about to leave: `response` holds at least its header. `qtype`
  // is QueryOutcome::qtype (0 when the question did not parse). One counter
  // per (source, qtype, rcode), so every total is a sum and stays exact.
  void count_answer(AnswerSource source, std::uint16_t qtype, const std::uint8_t* response) noexcept {
    const std::size_t row = qtype < qtype_row.size() ? qtype_row[qtype] : (qtypes - 1) * rcodes;
    answers[static_cast<std::size_t>(source) * qtypes * rcodes + row + (response[3] & 0x0F)].add();
    if (response[2] & 0x02) [[unlikely]]
      truncated.add();
  }
  // Answers of (source, qtype slot, header rcode).
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
