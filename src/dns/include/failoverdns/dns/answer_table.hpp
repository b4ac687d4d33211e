// The DNS data plane's only input: every answer failoverdns can give,
// compiled from a Catalog into pre-rendered wire responses. Built off the hot
// path (compile), then read-only and shared by all DNS workers. Answering a
// query (answer_query) never allocates, locks, or throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "failoverdns/catalog/catalog.hpp"

namespace failoverdns {

class AnswerTable {
 public:
  // Renders every name the catalog defines (see README "DNS names"). The
  // serial goes into the SOA; callers pass one that grows with each change.
  static std::shared_ptr<const AnswerTable> compile(const Catalog& catalog, std::uint32_t serial);

  ~AnswerTable();
  AnswerTable(const AnswerTable&) = delete;
  AnswerTable& operator=(const AnswerTable&) = delete;

  std::uint32_t serial() const noexcept;
  std::size_t entry_count() const noexcept;

  struct Impl;
  const Impl& impl() const noexcept { return *impl_; }

 private:
  explicit AnswerTable(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

enum class Transport : std::uint8_t { udp, tcp };

// What answer_query learnt of a question it leaves to the resolver, so the
// resolver need not parse the query again. The name is the query's own
// bytes at offset 12 (any case); `name_hash` is of its lower-case form.
struct ForwardedQuestion {
  std::uint64_t name_hash = 0;
  std::uint16_t name_length = 0;   // wire length, root label included
  std::uint16_t qtype = 0;
  std::uint16_t qclass = 0;
  std::uint16_t udp_limit = 512;   // the largest UDP answer this client takes
  bool edns = false;               // the query had an OPT (the answer gets ours)
  bool dnssec_ok = false;          // its DO bit
  bool checking_disabled = false;  // CD in the header
};

struct QueryOutcome {
  enum class Action : std::uint8_t {
    reply,    // send response[0, length)
    drop,     // send nothing (a response, or shorter than a header)
    // Outside our zones, recursors configured: the resolver answers it.
    // response[0, length) already holds REFUSED, for a client that may not
    // use recursion (dns_config.recursor_acl).
    forward,
  };
  Action action = Action::drop;
  // The question's type, 0 if it did not parse: for the DNS metrics.
  std::uint16_t qtype = 0;
  std::size_t length = 0;
  ForwardedQuestion question;  // with forward only
};

// Largest response we ever write: a TCP message.
inline constexpr std::size_t max_response_size = 65535;

// Answers one query. `response` must hold max_response_size bytes for TCP,
// or at least 4096 for UDP. `rotation` picks the order of multi-instance
// answers (a per-worker counter spreads load). Pure function of its inputs.
QueryOutcome answer_query(const AnswerTable& table, std::span<const std::uint8_t> query,
                          std::span<std::uint8_t> response, Transport transport,
                          std::uint32_t rotation) noexcept;

}  // namespace failoverdns
