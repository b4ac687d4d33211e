#include "failoverdns/health/mariadb_probe.hpp"

#include <charconv>

#include <fmt/format.h>

namespace failoverdns {
namespace asio = boost::asio;

namespace {

constexpr const char* variables_sql =
    "SELECT @@read_only AS read_only, @@server_id AS server_id, @@gtid_binlog_pos AS gtid_binlog_pos, "
    "@@gtid_current_pos AS gtid_current_pos, @@gtid_slave_pos AS gtid_slave_pos";

// Still one round trip: the session count rides along as a subquery.
std::string counting_sql(std::string_view own_user) {
  return fmt::format("{}, (SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE {}) AS client_sessions",
                     variables_sql, client_sessions_filter(own_user));
}

// A string literal (the account name comes from the configuration).
std::string literal(std::string_view text) {
  std::string out = "'";
  for (char ch : text) {
    if (ch == '\'' || ch == '\\') out += '\\';
    if (ch == '\0') {
      out += "\\0";
      continue;
    }
    out += ch;
  }
  return out + "'";
}
constexpr const char* replicas_sql = "SHOW ALL SLAVES STATUS";

template <class T>
T number(const std::optional<std::string>& text) {
  T value{};
  if (text) std::from_chars(text->data(), text->data() + text->size(), value);
  return value;
}

}  // namespace

std::string client_sessions_filter(std::string_view own_user) {
  return fmt::format(
      "ID <> CONNECTION_ID() AND USER NOT IN ('system user', 'event_scheduler', {}) AND "
      "COMMAND NOT IN ('Binlog Dump', 'Binlog Dump GTID', 'Daemon')",
      literal(own_user));
}

Observation observation_from(std::string instance_id, const QueryResult& variables, const QueryResult& replicas) {
  Observation o;
  o.instance_id = std::move(instance_id);
  o.at = std::chrono::steady_clock::now();
  o.outcome = ProbeOutcome::answered;
  o.read_only = variables.value(0, "read_only").value_or("0") != "0";
  o.server_id = number<std::uint32_t>(variables.value(0, "server_id"));
  o.gtid_binlog_pos = variables.value(0, "gtid_binlog_pos").value_or("");
  o.gtid_current_pos = variables.value(0, "gtid_current_pos").value_or("");
  o.gtid_slave_pos = variables.value(0, "gtid_slave_pos").value_or("");
  if (auto sessions = variables.value(0, "client_sessions")) o.client_sessions = number<std::uint32_t>(sessions);
  for (std::size_t row = 0; row < replicas.rows.size(); ++row) {
    auto text = [&](const char* column) { return replicas.value(row, column).value_or(""); };
    ReplicaStatus r;
    r.connection_name = text("Connection_name");
    r.master_host = text("Master_Host");
    r.master_port = number<std::uint16_t>(replicas.value(row, "Master_Port"));
    r.io_state = text("Slave_IO_Running");
    r.sql_running = text("Slave_SQL_Running") == "Yes";
    r.last_io_errno = number<int>(replicas.value(row, "Last_IO_Errno"));
    r.last_io_error = text("Last_IO_Error");
    r.last_sql_errno = number<int>(replicas.value(row, "Last_SQL_Errno"));
    r.last_sql_error = text("Last_SQL_Error");
    r.gtid_io_pos = text("Gtid_IO_Pos");
    r.master_log_file = text("Master_Log_File");
    r.read_master_log_pos = number<std::uint64_t>(replicas.value(row, "Read_Master_Log_Pos"));
    r.exec_master_log_pos = number<std::uint64_t>(replicas.value(row, "Exec_Master_Log_Pos"));
    if (auto behind = replicas.value(row, "Seconds_Behind_Master")) r.seconds_behind_master = number<std::int64_t>(behind);
    r.received_heartbeats = number<std::uint64_t>(replicas.value(row, "Slave_received_heartbeats"));
    auto using_gtid = text("Using_Gtid");
    r.using_gtid = !using_gtid.empty() && using_gtid != "No";
    o.replication.push_back(std::move(r));
  }
  return o;
}

MariadbProbe::MariadbProbe(std::string instance_id, MariadbEndpoint endpoint)
    : instance_id_(std::move(instance_id)), endpoint_(std::move(endpoint)) {}

asio::awaitable<Observation> MariadbProbe::observe(asio::any_io_executor executor, Milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto failed = [this](const Error& error) {
    connection_.reset();
    Observation o;
    o.instance_id = instance_id_;
    o.at = std::chrono::steady_clock::now();
    o.outcome = outcome_of_error(error.code);
    o.error = error.message;
    return o;
  };
  if (!connection_ || !connection_->usable()) {
    connection_.reset();
    ++connects_;
    auto connected = co_await MariadbConnection::connect(executor, endpoint_, deadline);
    if (!connected) co_return failed(connected.error());
    connection_ = std::move(*connected);
  }
  if (count_sessions_ && counting_sql_.empty()) counting_sql_ = counting_sql(endpoint_.user);
  const std::string_view sql = count_sessions_ ? std::string_view(counting_sql_) : std::string_view(variables_sql);
  auto variables = co_await connection_->query(sql, deadline);
  if (!variables) co_return failed(variables.error());
  auto replicas = co_await connection_->query(replicas_sql, deadline);
  if (!replicas) co_return failed(replicas.error());
  co_return observation_from(instance_id_, *variables, *replicas);
}

}  // namespace failoverdns
