// One MariaDB probe: what the failover decider needs to know of one
// instance (liveness, read_only, GTID positions, replication status), read
// over a pooled connection within one deadline. A failure of any kind is an
// Observation with reachable == false and the reason, never an exception.
#pragma once

#include "failoverdns/support/asio.hpp"  // first: Boost 1.74 (see there)

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>

#include "failoverdns/config/duration.hpp"
#include "failoverdns/mariadb/mariadb_connection.hpp"
#include "failoverdns/health/observation.hpp"

namespace failoverdns {

class MariadbProbe {
 public:
  MariadbProbe(std::string instance_id, MariadbEndpoint endpoint);

  // Reuses the connection of the previous probe when it is still good;
  // drops it on any error, so the next probe connects afresh.
  boost::asio::awaitable<Observation> observe(boost::asio::any_io_executor executor, Milliseconds timeout);

  // Also count client sessions (Observation::client_sessions): a
  // PROCESSLIST scan, so only where the number matters.
  void count_client_sessions(bool on) { count_sessions_ = on; }

  // Connections opened so far: 1 while the pooled one keeps working.
  std::uint64_t connects() const { return connects_; }

  const std::string& instance_id() const { return instance_id_; }
  const MariadbEndpoint& endpoint() const { return endpoint_; }

 private:
  std::string instance_id_;
  MariadbEndpoint endpoint_;
  std::unique_ptr<MariadbConnection> connection_;
  std::uint64_t connects_ = 0;
  bool count_sessions_ = false;
  std::string counting_sql_;  // built once: it names our account
};

// The WHERE condition over information_schema.PROCESSLIST that selects
// client sessions: not our own connection, not failoverdns's own account
// (its probes and actions), not replication (Binlog Dump), system or daemon
// threads. The probe counts these; fencing a former primary kills them.
// Seeing other users' sessions needs the PROCESS privilege.
std::string client_sessions_filter(std::string_view own_user);

// Parsing of what the server said; public for the unit tests. Values come
// from the network: anything unexpected parses as "not running"/0.
Observation observation_from(std::string instance_id, const QueryResult& variables, const QueryResult& replicas);

}  // namespace failoverdns
