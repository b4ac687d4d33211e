// The failover state that must survive a restart: who the primary is (so a
// restart never flips it), the epoch, where the last promotion started its
// binlog, which former primaries are fenced, and a promotion that was under
// way. One small JSON file per service, replaced atomically. The
// FailoverDecider decides what to save; the executor calls save().
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "failoverdns/support/error.hpp"

namespace failoverdns {

using WallTime = std::chrono::system_clock::time_point;

// What SHOW MASTER STATUS and @@gtid_binlog_pos said right after a
// promotion: where the new primary's own history starts.
struct PromotionCoordinates {
  std::string binlog_file;
  std::uint64_t binlog_pos = 0;
  std::string gtid_binlog_pos;

  friend bool operator==(const PromotionCoordinates&, const PromotionCoordinates&) = default;
};

// Saved after the candidate drained its relay log and before it is
// promoted: if failoverdns dies half way, the restart finishes promoting
// that candidate instead of picking another one next to a half-promoted
// (writable) server.
struct PromotionIntent {
  std::string candidate;
  std::string old_primary;

  friend bool operator==(const PromotionIntent&, const PromotionIntent&) = default;
};

struct FailoverState {
  std::string primary;      // instance id; empty = not known yet (first start)
  std::uint64_t epoch = 0;  // +1 on every promotion; 1 for the first primary found
  PromotionCoordinates coordinates;
  std::vector<std::string> fenced;  // former primaries kept read-only, out of DNS
  std::optional<WallTime> last_failover;
  // When `primary` became the primary: promoted, or first found by
  // failoverdns (its real start is older; nothing tells us when).
  std::optional<WallTime> primary_since;
  // Every (domain, server) -> seq known to be in the primary's history,
  // across promotions (GtidPosition text). Lets the decider tell a
  // returning old primary that is merely behind from one that diverged.
  std::string gtid_lineage;
  std::optional<PromotionIntent> promoting;
  // Fenced instances holding transactions the primary's history lacks:
  // instance id -> the GTID ranges (kept fenced until they are dealt with).
  std::map<std::string, std::string> diverged;
  // Instances an operator took out of DNS and promotion: id -> reason.
  std::map<std::string, std::string> maintenance;
  // A primary a switchover made read-only and that was neither promoted
  // away from nor made writable again (failoverdns died in between): the
  // restart makes it writable again instead of leaving it read-only.
  std::string demoted;

  bool is_fenced(const std::string& id) const;
  friend bool operator==(const FailoverState&, const FailoverState&) = default;
};

class StateStore {
 public:
  // `service` is written into the file and checked on load, so a state file
  // copied from another service is refused instead of obeyed.
  StateStore(std::filesystem::path path, std::string service);

  // A missing file is the empty state (first start), not an error. A file
  // that cannot be read or parsed is an error whose message says what to do.
  Result<FailoverState> load() const;

  // Atomic: writes a temporary file in the same directory, fsyncs it,
  // renames it over the old file and fsyncs the directory, so a crash leaves
  // either the old or the new state, never a torn one. Creates the parent
  // directory if missing.
  Result<void> save(const FailoverState& state) const;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::string service_;
};

}  // namespace failoverdns
