// The failover decision for one service, as a pure function:
//   (state, settings, observations + action results, now)
//     -> (new state, actions, log events, roles, next probe delays).
// No I/O: the executor (src/failover/) runs the Actions against MariaDB and
// the state file and feeds every ActionResult back in; the daemon publishes
// the roles and logs the events. Called on the control-plane thread only.
//
// The rules, each tested in tests/unit/failover/:
// - Detection: the primary is failed after `failcount` consecutive probes
//   that got no answer at all; after the first it is re-probed every
//   recheck_interval. A probe answered with an error (full, access denied)
//   proves the server alive: never a failure, reported once (probe_refused,
//   probe_overloaded); such an instance is neither candidate nor replica.
//   Roles keep their hysteresis too: one lost probe changes nothing.
// - verify_with_replicas: a reachable replica whose IO thread is connected
//   without error to the primary, and whose received events or heartbeats
//   advanced in the last failcount*interval, vouches that the primary lives:
//   then failoverdns is the one cut off, and it does not promote.
// - Candidate: reachable, replicating from the primary, no SQL error, not in
//   no_promotion, not fenced. Among them, those not strictly behind another
//   (GtidOrder, Gtid_IO_Pos; Gtid_Slave_Pos if IO has none) and, among
//   those, the fewest failed attempts in this outage, then the highest
//   total_seq (only differs for incomparable positions: each misses something,
//   take the one that received more), then configuration order.
//   A less advanced replica is never promoted while a more advanced one is
//   eligible: after a failed relay-log wait the same candidate is retried
//   (one interval later) unless an equally advanced one exists.
//   Errant replicas are not eligible. The chosen one is promoted only when
//   it was receiving from the primary until the outage and holds the newest
//   GTID per domain seen on the primary; else failover_refused, unless
//   accept_data_loss.
// - Promotion: WaitRelayLog -> PersistState(intent) -> Promote ->
//   PersistState(primary, epoch+1, coordinates) -> publish roles ->
//   Redirect the replicas still attached to a fenced former primary (other
//   topologies are left alone), Fence the old primary when it is reachable.
//   If the old primary answers again before the intent is saved, the
//   promotion is abandoned (the relay-log wait changed nothing). After that
//   it is finished, also across a restart.
// - Cooldown (after a failover): only a primary its replicas lost too is
//   failed over, as if verify_with_replicas were on. A dead new primary with
//   a healthy candidate is therefore still replaced (orchestrator #1296).
// - First start (no state file): once every instance was probed, the single
//   writable, non-replicating one is the primary; two or more: none is
//   published (split brain). With a state file its primary stays primary:
//   a restart never flips it. A new primary is published only once saved.
// - A fenced node that answers is made read-only at once; with auto_rejoin
//   it replicates from the primary again (MASTER_USE_GTID=current_pos)
//   unless its binlog holds GTIDs the primary's history lacks (then the
//   range goes into the state's `diverged`). It is unfenced once a probe
//   shows it replicating cleanly. The primary's history (lineage) is reset
//   at each promotion to what the new primary itself holds.
// - Replicas: writable ones are made read-only (enforce_read_only_replicas),
//   errant GTIDs and broken replication are reported while they last.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "failoverdns/catalog/catalog.hpp"
#include "failoverdns/config/config.hpp"
#include "failoverdns/failover/failover_members.hpp"
#include "failoverdns/failover/gtid.hpp"
#include "failoverdns/failover/log_event.hpp"
#include "failoverdns/health/observation.hpp"
#include "failoverdns/failover/state_store.hpp"

namespace failoverdns {

// ---- Actions: what the executor must do. Every Action gets exactly one
// ActionResult with the same id. Actions of one Decision are independent and
// may run concurrently; ordering between steps comes from waiting for
// results.

// MASTER_GTID_WAIT(gtid, timeout) on the candidate (START SLAVE SQL_THREAD
// first if it is stopped). When gtid is empty (Using_Gtid=No), wait with
// MASTER_POS_WAIT(master_log_file, read_master_log_pos, timeout) instead.
struct WaitRelayLog {
  std::string instance;
  std::string connection_name;
  std::string gtid;
  std::string master_log_file;
  std::uint64_t read_master_log_pos = 0;
  Milliseconds timeout{0};
};
// STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only=0; then report
// SHOW MASTER STATUS and @@gtid_binlog_pos in ActionResult::coordinates.
// May be sent again after a failure or a restart: must be idempotent.
struct Promote {
  std::string instance;
};
// StateStore::save(state). `version` is the decider's bookkeeping.
struct PersistState {
  FailoverState state;
  std::uint64_t version = 0;
};
// STOP SLAVE '<connection>'; CHANGE MASTER '<connection>' TO MASTER_HOST=host,
// MASTER_PORT=port, replication user/password, MASTER_USE_GTID=slave_pos;
// START SLAVE. MASTER_HEARTBEAT_PERIOD should be the probe interval.
struct Redirect {
  std::string instance;
  std::string connection_name;
  std::string primary;
  std::string host;
  std::uint16_t port = 0;
};
// SET GLOBAL read_only=1. With end_sessions (a former primary demoted or
// fenced, under kill_sessions_on_demote), then KILL CONNECTION every client
// session (not replication, system, or failoverdns's own account), so
// pools reconnect, resolve the name again and reach the new primary. Read-only
// first: a client that reconnects at once cannot write.
struct Fence {
  std::string instance;
  bool end_sessions = false;
};
// A fenced former primary becomes a replica: as Redirect on the default
// connection, but MASTER_USE_GTID=current_pos (its own binlog is newer than
// its gtid_slave_pos).
struct Rejoin {
  std::string instance;
  std::string primary;
  std::string host;
  std::uint16_t port = 0;
};

// A planned switchover's first step: SET GLOBAL read_only=1 on the
// primary (then, with end_sessions, its client sessions end as a Fence's
// do), then report its @@gtid_binlog_pos in ActionResult::coordinates:
// everything the target must apply before it is promoted.
struct Demote {
  std::string instance;
  bool end_sessions = false;
};
// A switchover rolled back: SET GLOBAL read_only=0 on the old primary.
struct MakeWritable {
  std::string instance;
};

using ActionBody = std::variant<WaitRelayLog, Promote, PersistState, Redirect, Fence, Rejoin, Demote, MakeWritable>;

struct Action {
  std::uint64_t id = 0;
  ActionBody body;
};

std::string_view action_name(const ActionBody& body);  // "wait_relay_log", "promote", ...
std::string action_target(const ActionBody& body);     // instance id, or the state file's primary

// A client session on a server, from information_schema.PROCESSLIST.
struct ClientSession {
  std::uint64_t id = 0;
  std::string user;
  std::string host;

  friend bool operator==(const ClientSession&, const ClientSession&) = default;
};

// What a Fence with end_sessions did to the client sessions. The fence
// itself (read_only=1) succeeded whenever this is reported: a failure here
// is the sessions', not the fence's.
struct SessionsEnded {
  std::vector<ClientSession> killed;  // ended by our KILL
  std::size_t already_gone = 0;       // listed, but gone before the KILL (ER_NO_SUCH_THREAD)
  std::string error;                  // why listing or killing stopped early; "" when all went
};

struct ActionResult {
  std::uint64_t id = 0;
  bool ok = false;
  std::string error;                 // for the log when !ok
  PromotionCoordinates coordinates;  // Promote only
  std::optional<SessionsEnded> sessions;  // Fence with end_sessions only
};

// ---- Inputs and outputs.

struct InstanceRole {
  Role role = Role::none;
  Health health = Health::critical;

  friend bool operator==(const InstanceRole&, const InstanceRole&) = default;
};

// An operator's planned switchover (POST /v1/failover/<svc>/switchover):
// to `to`, or to the best replica when empty. Its outcome is an event
// carrying request=<id>: switchover_refused, switchover_rolled_back,
// switchover_failed or switchover_complete.
struct SwitchoverRequest {
  std::uint64_t id = 0;
  std::string to;
};

// Maintenance (PUT /v1/agent/service/maintenance/<id>): the instance
// leaves DNS and the promotion candidates, and stays out across restarts.
// On the primary it needs a switchover first (one is started; refused if
// none is possible). Ends with request=<id>: maintenance_enabled,
// maintenance_disabled, maintenance_refused, or a switchover's failure.
struct MaintenanceRequest {
  std::uint64_t id = 0;
  std::string instance;
  bool enable = false;
  std::string reason;
};

struct DeciderInput {
  SteadyTime now{};
  WallTime wall_now{};                    // only for the cooldown, which must survive restarts
  std::vector<Observation> observations;  // new probe results, oldest first
  std::vector<ActionResult> results;
  std::vector<SwitchoverRequest> switchovers;
  std::vector<MaintenanceRequest> maintenance;
};

// The decider's memory. Callers keep it between calls and treat everything
// but `persistent` as opaque.
struct DeciderState {
  struct ReplicaProgress {
    std::string source;  // member id the connection points at
    std::string gtid_io_pos;
    std::string master_log_file;
    std::uint64_t read_master_log_pos = 0;
    std::uint64_t received_heartbeats = 0;
    SteadyTime changed_at{};
  };
  struct MemberTrack {
    bool observed = false;
    SteadyTime probed_at{};  // when the latest probe result (any outcome) was taken
    ProbeOutcome last_outcome = ProbeOutcome::no_answer;
    std::optional<Observation> last_reachable;
    int consecutive_failures = 0;  // probes without any answer; an error answer resets it
    std::optional<SteadyTime> first_failure_at;
    std::string last_error;
    std::optional<ReplicaProgress> progress;
    // Source member id -> last probe that showed its IO thread connected to
    // it without error: a candidate must have been receiving from the
    // primary until the outage.
    std::map<std::string, SteadyTime> receiving_at;
    // Replication towards the primary configured but not running since.
    std::optional<SteadyTime> replication_broken_since;
    std::string errant;                    // GTID ranges a replica holds that the primary never had
    std::optional<std::uint64_t> pending;  // action in flight for this member
    SteadyTime retry_after{};
    InstanceRole published{};
    bool published_once = false;
  };
  struct PendingAction {
    ActionBody body;       // what was asked: its result is handled by kind
    std::string instance;  // the member it acts on, "" for the state file
    SteadyTime deadline{};
  };
  struct Promotion {
    enum class Phase { waiting_relay_log, saving_intent, promoting, saving_result };
    Phase phase = Phase::waiting_relay_log;
    std::string candidate;
    std::string old_primary;
    std::string gtid;  // what the candidate had received
    std::optional<std::uint64_t> action;
    std::uint64_t version = 0;  // the version that must be saved to move on
    bool promote_sent = false;  // a Promote went out: committed
    bool resumed = false;       // loaded from the state file's intent
    SteadyTime retry_after{};
    SteadyTime started{};           // the primary was declared down
    SteadyTime relay_applied_at{};  // for the summary's timings
    SteadyTime promoted_at{};
    std::optional<std::uint64_t> switchover;  // a planned switchover's request: no outage
    std::optional<std::string> maintenance_after;  // then the old primary goes into maintenance, for this reason
  };
  // A planned switchover before its promotion: the primary is made
  // read-only, the target applies everything it wrote, then a Promotion
  // (above) takes over. Rolled back (the primary writable again, nothing
  // promoted) if the target does not catch up within switchover_timeout.
  struct Switchover {
    enum class Phase { saving, demoting, catching_up, rolling_back };
    Phase phase = Phase::saving;  // FailoverState::demoted first, so a restart can undo the demotion
    std::uint64_t request = 0;
    std::string old_primary;
    std::string target;
    std::string gtid;  // the old primary's @@gtid_binlog_pos once read-only
    std::optional<std::uint64_t> action;
    std::string rollback_reason;
    std::optional<std::string> maintenance_after;
    std::uint64_t version = 0;  // the save that records the demotion
    SteadyTime started{};
    SteadyTime demoted_at{};
    SteadyTime retry_after{};
  };

  FailoverState persistent;
  std::uint64_t version = 0;          // bumped when `persistent` changes
  std::uint64_t saved_version = 0;    // highest version known on disk
  std::uint64_t primary_version = 0;  // version that named the current primary
  SteadyTime save_retry_after{};
  bool save_pending = false;
  GtidPosition lineage;  // persistent.gtid_lineage, parsed and kept up to date

  std::map<std::string, MemberTrack> members;
  std::map<std::uint64_t, PendingAction> pending;
  std::uint64_t next_action_id = 1;

  std::optional<Promotion> promotion;
  std::optional<Switchover> switchover;
  std::optional<SteadyTime> outage_started;
  std::map<std::string, int> candidate_failures;  // this outage
  SteadyTime failover_retry_after{};
  // Conditions already reported, so a condition is logged when it starts or
  // changes, not on every probe: key -> what was said.
  std::map<std::string, std::string> notices;
  // When a lasting condition was last repeated (remind()).
  std::map<std::string, SteadyTime> reminded;

  // The state after a (re)start, from what the StateStore loaded.
  static DeciderState from_persistent(FailoverState persistent);

  // The primary the decider last named (if any) is on disk, so it is
  // published: nothing about the primary waits for a save.
  bool primary_saved() const { return saved_version >= primary_version; }

  // This state for a new controller that takes over from a stopped one (a
  // reload changed the service's settings): everything observed and decided
  // is kept; actions in flight, whose results went to the old one, are
  // forgotten and redone where needed (a save is sent again, a relay-log
  // wait restarts the failover, a Promote is repeated: it is idempotent).
  DeciderState handed_over() const;
};

struct Decision {
  DeciderState state;
  std::vector<Action> actions;
  std::vector<LogEvent> events;
  std::map<std::string, InstanceRole> roles;          // every member
  // Every member: whole seconds behind the primary (0 for the primary),
  // nullopt when unknown. For _status and lag-<N>s names, not for roles.
  std::map<std::string, std::optional<std::uint32_t>> lags;
  std::map<std::string, Milliseconds> next_probe_in;  // every member

  // For LiveCatalog::set_roles.
  std::map<std::string, Role> role_map() const;
};

class FailoverDecider {
 public:
  FailoverDecider(FailoverSettings settings, std::vector<FailoverMember> members);

  Decision decide(const DeciderState& state, const DeciderInput& input) const;

  // Why a primary that failed now would not be replaced (auto_failover
  // off, no primary known, replicas vouching, no eligible candidate, a
  // refusal), or "" when it would be. For status pages; decides nothing.
  std::string blocked(const DeciderState& state, SteadyTime now, WallTime wall_now) const;

  const FailoverSettings& settings() const { return settings_; }
  const std::vector<FailoverMember>& members() const { return members_; }

 private:
  FailoverSettings settings_;
  std::vector<FailoverMember> members_;
};

}  // namespace failoverdns
