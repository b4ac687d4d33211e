// The SQL each failover action runs, as pure functions so the exact
// statements (and their quoting of untrusted names and passwords) are
// unit-tested without a server. The executor sends them in order and stops
// at the first error.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "failoverdns/failover/failover_decider.hpp"
#include "failoverdns/mariadb/mariadb_connection.hpp"
#include "failoverdns/support/error.hpp"

namespace failoverdns {

struct ReplicationCredentials {
  std::string user;
  std::string password;
  std::chrono::milliseconds heartbeat{1000};  // MASTER_HEARTBEAT_PERIOD
};

// A MariaDB string literal: quotes, backslashes and NULs escaped.
std::string sql_quote(std::string_view text);

// WaitRelayLog: START SLAVE ... SQL_THREAD (the SQL thread must run to
// apply the relay log; a no-op if it does), then the wait whose result
// relay_log_applied() reads.
std::vector<std::string> wait_relay_log_sql(const WaitRelayLog& action);
// The wait's result: 0 = applied; -1 = timed out; NULL = error.
Result<void> relay_log_applied(const QueryResult& wait_result);

// Promote: the statements up to and including read_only=0; the coordinates
// come from promotion_coordinates_sql() afterwards.
std::vector<std::string> promote_sql();
// Two queries: SHOW MASTER STATUS (File, Position), then @@gtid_binlog_pos.
std::vector<std::string> promotion_coordinates_sql();
// What the seed wrote to mysql.txt, from the results of those two queries.
PromotionCoordinates promotion_coordinates(const QueryResult& master_status, const QueryResult& gtid_binlog_pos);

std::vector<std::string> redirect_sql(const Redirect& action, const ReplicationCredentials& credentials);
std::vector<std::string> rejoin_sql(const Rejoin& action, const ReplicationCredentials& credentials);
// Fence and Demote (whose coordinates come from promotion_coordinates_sql()
// afterwards, as a promotion's do).
std::vector<std::string> fence_sql();
// MakeWritable: a switchover rolled back.
std::vector<std::string> make_writable_sql();

// Fence with end_sessions, after fence_sql() succeeded: list the client
// sessions (client_sessions_filter), then KILL CONNECTION each one by one.
// A session that ended in between answers ER_NO_SUCH_THREAD: not an error.
std::string list_client_sessions_sql(std::string_view own_user);
std::vector<ClientSession> client_sessions(const QueryResult& listed);
std::string kill_session_sql(std::uint64_t id);
inline constexpr int er_no_such_thread = 1094;
// "12:app@10.0.0.5:51234 13:app@..." for the log: at most `limit` sessions,
// then "+N more".
std::string describe_sessions(const std::vector<ClientSession>& sessions, std::size_t limit = 10);

}  // namespace failoverdns
