// MariaDB GTID positions ("0-1-100,1-2-5": domain-server-seq) and the small
// algebra the FailoverDecider needs: which replica received the most, and
// which transactions a returning old primary has that the new primary lacks.
// The text comes from the database, so it is untrusted: errors are values.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "failoverdns/support/error.hpp"

namespace failoverdns {

struct Gtid {
  std::uint32_t domain = 0;
  std::uint32_t server = 0;
  std::uint64_t seq = 0;

  friend auto operator<=>(const Gtid&, const Gtid&) = default;
};

std::string to_string(const Gtid& gtid);

// A set of GTIDs, at most one per (domain, server), sorted. A MariaDB
// position (@@gtid_binlog_pos, Gtid_IO_Pos) has one per domain; a binlog
// *state* (and our lineage of a primary's history) may hold several servers
// per domain, each with the last seq known from that server.
class GtidPosition {
 public:
  GtidPosition() = default;

  // Accepts "", "0-1-100", "0-1-100,1-2-5" with blanks and newlines around
  // the elements (SHOW SLAVE STATUS puts a newline after each comma). The
  // same (domain, server) twice is an error: MariaDB never writes that.
  static Result<GtidPosition> parse(std::string_view text);

  const std::vector<Gtid>& gtids() const { return gtids_; }
  bool empty() const { return gtids_.empty(); }

  // The highest seq of the domain, whichever server wrote it.
  std::optional<std::uint64_t> seq_in_domain(std::uint32_t domain) const;
  std::optional<std::uint64_t> seq_of(std::uint32_t domain, std::uint32_t server) const;

  // Keeps the higher seq when (domain, server) is already present.
  void add(const Gtid& gtid);

  // Canonical text, sorted by domain then server: "0-1-100,1-2-5".
  std::string to_string() const;

  friend bool operator==(const GtidPosition&, const GtidPosition&) = default;

 private:
  std::vector<Gtid> gtids_;
};

// How position `a` relates to `b`, domain by domain (the highest seq of each
// domain; a domain missing on one side counts as seq 0). This is the order
// MASTER_GTID_WAIT uses: which replica received more of the same stream.
enum class GtidOrder { equal, ahead, behind, incomparable };
GtidOrder compare(const GtidPosition& a, const GtidPosition& b);
std::string_view to_string(GtidOrder order);

// True when every GTID of `position` is in the history described by
// `history`: for its (domain, server) the history holds a seq at least as
// high. Matching the server matters: after a failover the new primary's
// 0-2-110 does not prove it has the old primary's 0-1-105. Seq numbers of
// one server in one domain reach every replica in order, so "has 0-1-103"
// implies "has 0-1-1 .. 0-1-103".
bool contains(const GtidPosition& history, const GtidPosition& position);

// Transactions of one server in one domain that a history lacks: seq in
// (after, last], or everything up to `last` when the history knows nothing
// of that server in that domain (after == nullopt).
struct GtidRange {
  std::uint32_t domain = 0;
  std::uint32_t server = 0;
  std::optional<std::uint64_t> after;
  std::uint64_t last = 0;

  friend bool operator==(const GtidRange&, const GtidRange&) = default;
};

// "0-1-105", "0-1-104..0-1-105", "0-1-?..0-1-105" (unknown start).
std::string to_string(const GtidRange& range);
// Comma-separated list of the above.
std::string to_string(const std::vector<GtidRange>& ranges);

// The parts of `position` that `history` does not contain (empty exactly
// when contains(history, position)).
std::vector<GtidRange> missing_from(const GtidPosition& history, const GtidPosition& position);

// Per domain, the one GTID with the highest seq: the newest transaction
// known of each domain, whoever wrote it ("0-1-100,0-2-50" -> "0-1-100").
// With gtid_strict_mode seq numbers grow across failovers, so this is "the
// last position" a replica must have received to have everything.
GtidPosition newest_per_domain(const GtidPosition& position);

// Union keeping the highest seq per (domain, server).
GtidPosition merge(const GtidPosition& a, const GtidPosition& b);

// Sum of each domain's highest seq (saturating): the tie-breaker between
// incomparable positions, "who received more transactions in total".
std::uint64_t total_seq(const GtidPosition& position);

}  // namespace failoverdns
