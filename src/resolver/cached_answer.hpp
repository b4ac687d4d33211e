// A forwarded answer as the resolver keeps it: the upstream's message made
// ready to relay to any client that asks the same question, and the
// function that does the relaying. Built once on the forwarder thread,
// then immutable and shared (by pointer) by every cache that holds it.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "failoverdns/dns/answer_table.hpp"
#include "failoverdns/support/error.hpp"

namespace failoverdns::resolver {

// Caps on what an upstream's TTLs may make us keep (unbound's defaults):
// a day for data, an hour for "does not exist" (RFC 2308 5), and a
// SERVFAIL only a moment, so a recovered upstream is asked again soon.
inline constexpr std::uint32_t max_ttl = 86400;
inline constexpr std::uint32_t max_negative_ttl = 3600;
inline constexpr std::uint32_t failure_ttl = 2;

// What answers are keyed by: the lower-case name, type, class and the DO
// and CD bits (an answer with signatures is not one without).
struct QuestionKey {
  std::string name;  // lower-case wire name
  std::uint16_t qtype = 0;
  std::uint16_t qclass = 0;
  std::uint8_t flags = 0;  // 1 = DO, 2 = CD

  static std::uint8_t flags_of(const ForwardedQuestion& q) noexcept {
    return static_cast<std::uint8_t>((q.dnssec_ok ? 1 : 0) | (q.checking_disabled ? 2 : 0));
  }
  // The client's question, from its query (the name at offset 12).
  static QuestionKey of(std::span<const std::uint8_t> query, const ForwardedQuestion& q);
  std::uint64_t hash() const noexcept;
  friend bool operator==(const QuestionKey&, const QuestionKey&) = default;
};

// Mixes type, class and flags into a name hash: the cache's slot hash.
std::uint64_t key_hash(std::uint64_t name_hash, std::uint16_t qtype, std::uint16_t qclass, std::uint8_t flags) noexcept;

struct CachedAnswer {
  QuestionKey key;
  std::uint64_t hash = 0;          // key.hash()
  std::vector<std::uint8_t> wire;  // ID 0, lower-case question, every record but the OPT
  std::vector<std::uint16_t> ttl_offsets;  // each record's TTL field in `wire`
  std::int64_t stored_ms = 0;      // monotonic_ms() when it arrived
  std::uint32_t lifetime = 0;      // seconds it may be served; 0 = pass on, never cache

  std::uint8_t rcode() const noexcept { return wire[3] & 0x0F; }
  bool fresh(std::int64_t now_ms) const noexcept {
    return now_ms - stored_ms < std::int64_t{lifetime} * 1000;
  }
  // Same question as the query's (whose name may be in any case)?
  bool answers(const std::uint8_t* query_name, std::uint16_t qtype, std::uint16_t qclass,
               std::uint8_t flags) const noexcept;
};

// A coarse monotonic clock in milliseconds: a vDSO read, no system call.
std::int64_t monotonic_ms() noexcept;

// Makes an upstream's reply (already checked to answer `key`) cacheable:
// OPT dropped, TTLs capped, the negative TTL per RFC 2308 (the SOA's TTL
// and MINIMUM, the smaller), lifetime = the smallest TTL left. An error
// for a message we cannot walk (the caller tries the next recursor).
Result<std::shared_ptr<const CachedAnswer>> cache_reply(std::span<const std::uint8_t> reply, QuestionKey key,
                                                        std::int64_t now_ms);

// An answer with no records and `rcode` (SERVFAIL when every recursor
// failed), kept for `lifetime` seconds.
std::shared_ptr<const CachedAnswer> failure_answer(QuestionKey key, std::uint8_t rcode, std::uint32_t lifetime,
                                                   std::int64_t now_ms);

// Writes `answer` for the client that sent `query` (header and question at
// least, as checked by answer_query): its ID and question bytes, RD and CD
// from it, RA set, TTLs counted down, our OPT when it sent one. An answer
// longer than the client takes (UDP: its EDNS size or 512) goes out as
// header and question with TC, so it asks again over TCP. Returns the
// length; `out` holds 65535 bytes for TCP, at least 512 for UDP.
std::size_t relay(const CachedAnswer& answer, std::span<const std::uint8_t> query, const ForwardedQuestion& q,
                  Transport transport, std::uint16_t our_payload, std::int64_t now_ms,
                  std::span<std::uint8_t> out) noexcept;

}  // namespace failoverdns::resolver
