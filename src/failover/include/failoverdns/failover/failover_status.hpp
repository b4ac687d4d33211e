// What an operator asks of one failover service: who is primary and since
// when, how each instance looks to the probes, the last failovers as a
// timeline, and whether a failed primary would be replaced right now (and
// if not, why). Plain data built by FailoverController::status() on the
// control plane; a copy may go to any thread (the HTTP API, metrics).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "failoverdns/catalog/catalog.hpp"
#include "failoverdns/failover/log_event.hpp"
#include "failoverdns/failover/state_store.hpp"

namespace failoverdns {

struct MemberStatus {
  std::string id;
  std::string host;
  std::uint16_t port = 0;
  Role role = Role::none;
  Health health = Health::critical;
  std::string probe = "none";     // to_string(ProbeOutcome) of the latest probe; "none" before the first
  std::string last_error;         // of the latest probe that did not answer, "" otherwise
  int consecutive_failures = 0;   // probes without any answer, in a row
  std::optional<WallTime> last_probe;
  // From the latest probe that answered (empty before one did):
  bool read_only = false;
  std::string gtid_binlog_pos;    // what it wrote
  std::string gtid_slave_pos;     // what it applied as a replica (executed)
  std::string gtid_received;      // Gtid_IO_Pos towards the primary (received)
  std::string replicating_from;   // member id, or host:port of a source outside the service
  std::string replication_error;  // IO/SQL thread error, "" when none
  std::optional<std::int64_t> lag_seconds;  // Seconds_Behind_Master; none when unknown
  bool fenced = false;
  std::string diverged;  // GTID ranges the primary's history lacks (fenced until dealt with)
  std::string errant;    // a replica's transactions the primary never had
  bool no_promotion = false;
  std::string maintenance;  // the reason, when an operator took it out of DNS and promotion
  // Client sessions still connected to a fenced former primary (counted for
  // fenced members only): clients that cache DNS or never reconnected.
  std::optional<std::uint32_t> client_sessions;

  friend bool operator==(const MemberStatus&, const MemberStatus&) = default;
};

// One outage of the primary (or one planned switchover), from its first
// sign to how it ended.
struct FailoverRecord {
  struct Step {
    WallTime at{};
    LogEvent event;
    friend bool operator==(const Step& a, const Step& b) { return a.at == b.at && a.event.name == b.event.name; }
  };
  WallTime started{};
  std::optional<WallTime> ended;
  std::string kind = "failover";  // or "switchover"
  // "in_progress", "complete" (a replica was promoted), "recovered" (the
  // primary came back first), "aborted" (nothing happened: the old primary
  // answered again); a switchover's "rolled_back" or "failed".
  std::string outcome = "in_progress";
  std::string old_primary;
  std::string new_primary;
  std::uint64_t epoch = 0;  // after it
  std::vector<Step> timeline;

  friend bool operator==(const FailoverRecord&, const FailoverRecord&) = default;
};

// Folds the decider's events into FailoverRecords, newest last, at most
// `keep`. Pure: the caller gives the wall time of each event.
class FailoverHistory {
 public:
  explicit FailoverHistory(std::size_t keep = 10) : keep_(keep) {}
  void add(const LogEvent& event, WallTime at);
  const std::deque<FailoverRecord>& records() const { return records_; }

 private:
  std::size_t keep_;
  std::deque<FailoverRecord> records_;
};

struct FailoverStatus {
  std::string service;
  std::string primary;  // "" = none known (first start, split brain)
  std::uint64_t epoch = 0;
  std::optional<WallTime> primary_since;  // when it became primary (promoted, or found at first start)
  bool auto_failover = true;
  // Why a primary that failed now would not be replaced, "" when it would.
  std::string blocked;
  std::optional<WallTime> cooldown_until;  // until then only a primary its replicas lost too is replaced
  std::string promotion;                   // a promotion under way: "<candidate> (<phase>)", else ""
  std::vector<MemberStatus> members;       // configuration order
  std::deque<FailoverRecord> failovers;    // oldest first

  // Equal but for probe times and positions that move with every write:
  // whether a blocking query on the status should wake up.
  bool same_state(const FailoverStatus& other) const;
};

}  // namespace failoverdns
