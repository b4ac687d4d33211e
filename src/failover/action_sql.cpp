#include "action_sql.hpp"

#include <charconv>

#include <fmt/format.h>

#include "failoverdns/health/mariadb_probe.hpp"

namespace failoverdns {
namespace {

// fmt, not `" " + std::string`: g++ 12 at -O3 reports a false -Wrestrict
// overlap in that operator+ (GCC bug 105329).
std::string connection(std::string_view name) { return name.empty() ? "" : fmt::format(" {}", sql_quote(name)); }

// Seconds with millisecond precision, as MASTER_HEARTBEAT_PERIOD and
// MASTER_GTID_WAIT take them.
std::string seconds(std::chrono::milliseconds d) { return fmt::format("{:.3f}", static_cast<double>(d.count()) / 1000.0); }

std::vector<std::string> point_at(std::string_view connection_name, std::string_view host, std::uint16_t port,
                                  std::string_view use_gtid, const ReplicationCredentials& c) {
  auto conn = connection(connection_name);
  return {
      fmt::format("STOP SLAVE{}", conn),
      fmt::format("CHANGE MASTER{} TO MASTER_HOST={}, MASTER_PORT={}, MASTER_USER={}, MASTER_PASSWORD={}, "
                  "MASTER_USE_GTID={}, MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD={}",
                  conn, sql_quote(host), port, sql_quote(c.user), sql_quote(c.password), use_gtid,
                  seconds(c.heartbeat)),
      fmt::format("START SLAVE{}", conn),
  };
}

}  // namespace

std::string sql_quote(std::string_view text) {
  std::string out = "'";
  for (char ch : text) {
    switch (ch) {
      case '\'': out += "\\'"; break;
      case '\\': out += "\\\\"; break;
      case '\0': out += "\\0"; break;
      default: out += ch;
    }
  }
  return out + "'";
}

std::vector<std::string> wait_relay_log_sql(const WaitRelayLog& a) {
  std::string start = fmt::format("START SLAVE{} SQL_THREAD", connection(a.connection_name));
  if (!a.gtid.empty())
    return {start, fmt::format("SELECT MASTER_GTID_WAIT({}, {})", sql_quote(a.gtid), seconds(a.timeout))};
  return {start, fmt::format("SELECT MASTER_POS_WAIT({}, {}, {}{})", sql_quote(a.master_log_file),
                             a.read_master_log_pos, seconds(a.timeout),
                             a.connection_name.empty() ? "" : fmt::format(", {}", sql_quote(a.connection_name)))};
}

Result<void> relay_log_applied(const QueryResult& r) {
  auto value = r.rows.empty() || r.rows[0].empty() ? std::nullopt : r.rows[0][0];
  if (value == "0") return {};
  if (value == "-1") return fail("the relay log was not applied before relay_log_wait");
  return fail("the relay-log wait returned " + value.value_or("NULL"));
}

std::vector<std::string> promote_sql() {
  // Idempotent: on a server that is already primary each is a no-op.
  return {"STOP ALL SLAVES", "RESET SLAVE ALL", "SET GLOBAL read_only=0"};
}

std::vector<std::string> promotion_coordinates_sql() {
  return {"SHOW MASTER STATUS", "SELECT @@gtid_binlog_pos"};
}

PromotionCoordinates promotion_coordinates(const QueryResult& status, const QueryResult& gtid) {
  PromotionCoordinates out;
  out.binlog_file = status.value(0, "File").value_or("");
  out.binlog_pos = std::strtoull(status.value(0, "Position").value_or("0").c_str(), nullptr, 10);
  out.gtid_binlog_pos = gtid.rows.empty() || gtid.rows[0].empty() ? "" : gtid.rows[0][0].value_or("");
  return out;
}

std::vector<std::string> redirect_sql(const Redirect& a, const ReplicationCredentials& c) {
  return point_at(a.connection_name, a.host, a.port, "slave_pos", c);
}

std::vector<std::string> rejoin_sql(const Rejoin& a, const ReplicationCredentials& c) {
  // A former primary's own writes are in its binlog, not in gtid_slave_pos:
  // current_pos starts it after them.
  auto sql = point_at("", a.host, a.port, "current_pos", c);
  sql.insert(sql.begin(), "SET GLOBAL read_only=1");
  return sql;
}

std::vector<std::string> fence_sql() { return {"SET GLOBAL read_only=1"}; }

std::vector<std::string> make_writable_sql() { return {"SET GLOBAL read_only=0"}; }

std::string list_client_sessions_sql(std::string_view own_user) {
  return fmt::format("SELECT ID, USER, HOST FROM information_schema.PROCESSLIST WHERE {} ORDER BY ID",
                     client_sessions_filter(own_user));
}

std::vector<ClientSession> client_sessions(const QueryResult& listed) {
  std::vector<ClientSession> out;
  for (std::size_t row = 0; row < listed.rows.size(); ++row) {
    auto id_text = listed.value(row, "ID").value_or("");
    ClientSession s;
    auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), s.id);
    // From the network: a row without a usable id is not something to KILL.
    if (ec != std::errc{} || end != id_text.data() + id_text.size() || s.id == 0) continue;
    s.user = listed.value(row, "USER").value_or("");
    s.host = listed.value(row, "HOST").value_or("");
    out.push_back(std::move(s));
  }
  return out;
}

std::string kill_session_sql(std::uint64_t id) { return fmt::format("KILL CONNECTION {}", id); }

std::string describe_sessions(const std::vector<ClientSession>& sessions, std::size_t limit) {
  std::string out;
  for (std::size_t i = 0; i < sessions.size() && i < limit; ++i) {
    if (!out.empty()) out += ' ';
    out += fmt::format("{}:{}@{}", sessions[i].id, sessions[i].user, sessions[i].host);
  }
  if (sessions.size() > limit) out += fmt::format(" +{} more", sessions.size() - limit);
  return out;
}

}  // namespace failoverdns
