// What one MariaDB probe saw of one instance at one moment. Probes
// (src/health/) produce these; the FailoverDecider (src/failover/) consumes
// them. Everything in here came from the network and is untrusted: the
// decider must cope with any combination of values.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace failoverdns {

using SteadyTime = std::chrono::steady_clock::time_point;

// One row of SHOW ALL SLAVES STATUS.
struct ReplicaStatus {
  std::string connection_name;  // "" for the default connection
  std::string master_host;
  std::uint16_t master_port = 0;
  std::string io_state;         // Slave_IO_Running: "Yes", "No", "Connecting", "Preparing"
  bool sql_running = false;     // Slave_SQL_Running == "Yes"
  int last_io_errno = 0;
  std::string last_io_error;
  int last_sql_errno = 0;
  std::string last_sql_error;
  std::string gtid_io_pos;      // Gtid_IO_Pos: what the IO thread has received
  std::string master_log_file;
  std::uint64_t read_master_log_pos = 0;
  std::uint64_t exec_master_log_pos = 0;
  std::optional<std::int64_t> seconds_behind_master;  // NULL when not running
  std::uint64_t received_heartbeats = 0;              // Slave_received_heartbeats
  bool using_gtid = false;                            // Using_Gtid != "No"

  bool io_running() const { return io_state == "Yes"; }
};

// How a probe ended. Only no_answer is evidence that a server is down: one
// that sent an error is alive, whatever the error says (issue 8: a full
// primary answering "Too many connections" was failed over while the
// application kept writing to it).
enum class ProbeOutcome {
  answered,    // connected and answered every query within the deadline
  no_answer,   // refused TCP, reset, timed out, went away, or is shutting down
  refused,     // alive, but refuses us: access denied, missing privilege, host blocked
  overloaded,  // alive, but full: max_connections, max_user_connections, out of resources
};
std::string_view to_string(ProbeOutcome outcome);

// The outcome of a failed connect or query from its error number: 0 (our
// deadline) and client-side CR_* numbers are no_answer; a server's ER_*
// number is refused or overloaded, except ER_SERVER_SHUTDOWN (going down).
ProbeOutcome outcome_of_error(int code);

struct Observation {
  std::string instance_id;
  SteadyTime at{};
  ProbeOutcome outcome = ProbeOutcome::no_answer;
  std::string error;  // why not answered, for the log
  bool read_only = false;
  std::uint32_t server_id = 0;
  std::string gtid_binlog_pos;   // @@gtid_binlog_pos: what this server wrote to its binlog
  std::string gtid_current_pos;  // @@gtid_current_pos
  std::string gtid_slave_pos;    // @@gtid_slave_pos: what this server applied as a replica
  std::vector<ReplicaStatus> replication;  // empty = not a replica
  // Client sessions connected (information_schema.PROCESSLIST without
  // replication, system threads and failoverdns's own account); nullopt when
  // not counted (only a fenced former primary's probe counts: a PROCESSLIST
  // scan). There: clients that still cache its address.
  std::optional<std::uint32_t> client_sessions;

  bool reachable() const { return outcome == ProbeOutcome::answered; }
};

}  // namespace failoverdns
