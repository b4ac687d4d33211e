#include <utility>

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "failoverdns/health_check.hpp"
#include "failoverdns/mariadb_probe.hpp"

using namespace failoverdns;
namespace asio = boost::asio;
using namespace std::chrono_literals;

TEST_CASE("observation_from reads variables and every replication connection") {
  QueryResult vars{{"read_only", "server_id", "gtid_binlog_pos", "gtid_current_pos", "gtid_slave_pos"},
                   {{"1", "2", "0-1-10", "0-1-12", "0-1-12"}}};
  QueryResult replicas{{"Connection_name", "Master_Host", "Master_Port", "Slave_IO_Running", "Slave_SQL_Running",
                        "Last_IO_Errno", "Gtid_IO_Pos", "Read_Master_Log_Pos", "Seconds_Behind_Master",
                        "Slave_received_heartbeats", "Using_Gtid"},
                       {{"", "127.0.0.11", "3306", "Yes", "Yes", "0", "0-1-12", "4242", std::nullopt, "17", "Slave_Pos"},
                        {"east", "10.0.0.1", "garbage", "Connecting", "No", "2003", "", "", "3", "", "No"}}};
  auto o = observation_from("node2", vars, replicas);
  CHECK(o.reachable);
  CHECK(o.read_only);
  CHECK(o.server_id == 2);
  CHECK(o.gtid_current_pos == "0-1-12");
  REQUIRE(o.replication.size() == 2);
  CHECK(o.replication[0].io_running());
  CHECK(o.replication[0].sql_running);
  CHECK(o.replication[0].master_port == 3306);
  CHECK(o.replication[0].read_master_log_pos == 4242);
  CHECK_FALSE(o.replication[0].seconds_behind_master.has_value());
  CHECK(o.replication[0].received_heartbeats == 17);
  CHECK(o.replication[0].using_gtid);
  CHECK(o.replication[1].connection_name == "east");
  CHECK_FALSE(o.replication[1].io_running());
  CHECK(o.replication[1].master_port == 0);  // untrusted text parses as 0
  CHECK(o.replication[1].last_io_errno == 2003);
  CHECK_FALSE(o.replication[1].using_gtid);
}

TEST_CASE("observation_from: a primary has no replication rows") {
  QueryResult vars{{"read_only", "server_id"}, {{"0", "1"}}};
  auto o = observation_from("node1", vars, QueryResult{});
  CHECK_FALSE(o.read_only);
  CHECK(o.replication.empty());
}

// Live cases: tests/integration/health_mariadb.sh starts a cluster and runs
// this binary with FAILOVERDNS_TEST_MARIADB=1 and the cluster dir.
namespace {

bool live() { return std::getenv("FAILOVERDNS_TEST_MARIADB") != nullptr; }

MariadbEndpoint endpoint(const char* host) {
  std::string dir = std::getenv("CLUSTER_DIR") ? std::getenv("CLUSTER_DIR") : "/tmp/failoverdns-cluster";
  std::ifstream in(dir + "/probe.pass");
  std::string password;
  std::getline(in, password);
  return {host, 3306, "failoverdns", password};
}

template <class T>
T run(asio::io_context& io, asio::awaitable<T> work) {
  auto future = asio::co_spawn(io, std::move(work), asio::use_future);
  io.restart();
  io.run();
  return future.get();
}

}  // namespace

TEST_CASE("live: probe a primary and a replica" * doctest::skip(!live())) {
  asio::io_context io;
  MariadbProbe primary("node1", endpoint("127.0.0.11"));
  MariadbProbe replica("node2", endpoint("127.0.0.12"));
  auto p = run(io, primary.observe(io.get_executor(), 2s));
  INFO(p.error);
  REQUIRE(p.reachable);
  CHECK_FALSE(p.read_only);
  CHECK(p.replication.empty());
  CHECK_FALSE(p.gtid_binlog_pos.empty());

  auto r = run(io, replica.observe(io.get_executor(), 2s));
  INFO(r.error);
  REQUIRE(r.reachable);
  CHECK(r.read_only);
  REQUIRE(r.replication.size() == 1);
  CHECK(r.replication[0].io_running());
  CHECK(r.replication[0].sql_running);
  CHECK(r.replication[0].master_host == "127.0.0.11");
  CHECK_FALSE(r.replication[0].gtid_io_pos.empty());

  // The heartbeat (1 s) keeps counting on an idle primary: poll for it.
  auto first = r.replication[0].received_heartbeats;
  auto deadline = std::chrono::steady_clock::now() + 5s;
  std::uint64_t now = first;
  while (now == first && std::chrono::steady_clock::now() < deadline) {
    auto again = run(io, replica.observe(io.get_executor(), 2s));
    REQUIRE(again.reachable);
    now = again.replication[0].received_heartbeats;
  }
  CHECK(now > first);
}

TEST_CASE("live: a frozen server times out without stalling another probe" * doctest::skip(!live())) {
  // The wrapper script froze node1 (SIGSTOP) before setting this variable.
  if (!std::getenv("FAILOVERDNS_TEST_FROZEN")) return;
  asio::io_context io;
  MariadbProbe frozen("node1", endpoint("127.0.0.11"));
  MariadbProbe healthy("node2", endpoint("127.0.0.12"));
  Observation a, b;
  std::chrono::steady_clock::duration a_took{}, b_took{};
  auto start = std::chrono::steady_clock::now();
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    a = co_await frozen.observe(io.get_executor(), 800ms);
    a_took = std::chrono::steady_clock::now() - start;
  }, asio::detached);
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    b = co_await healthy.observe(io.get_executor(), 800ms);
    b_took = std::chrono::steady_clock::now() - start;
  }, asio::detached);
  io.run();
  CHECK_FALSE(a.reachable);
  CHECK(a.error.find("deadline") != std::string::npos);
  CHECK(a_took >= 750ms);
  CHECK(a_took < 1500ms);
  CHECK(b.reachable);
  CHECK(b_took < 700ms);  // answered while the other probe was still waiting
}

TEST_CASE("live: a stopped server is unreachable at once" * doctest::skip(!live())) {
  if (!std::getenv("FAILOVERDNS_TEST_STOPPED")) return;
  asio::io_context io;
  MariadbProbe gone("node1", endpoint("127.0.0.11"));
  auto start = std::chrono::steady_clock::now();
  auto o = run(io, gone.observe(io.get_executor(), 2s));
  CHECK_FALSE(o.reachable);
  CHECK(std::chrono::steady_clock::now() - start < 1s);  // refused, not timed out
}

TEST_CASE("live: a mariadb check needs no credentials: a server that answers is alive" * doctest::skip(!live())) {
  if (std::getenv("FAILOVERDNS_TEST_FROZEN") || std::getenv("FAILOVERDNS_TEST_STOPPED")) return;
  asio::io_context io;
  CheckDefinition c;
  c.kind = CheckKind::mariadb;
  c.timeout = 2s;
  auto r = run(io, run_check(io.get_executor(), c, "127.0.0.12", 3306));
  INFO(r.output);
  CHECK(r.health == Health::passing);
}

TEST_CASE("live: a failing statement's error names it without its password" * doctest::skip(!live())) {
  if (std::getenv("FAILOVERDNS_TEST_FROZEN") || std::getenv("FAILOVERDNS_TEST_STOPPED")) return;
  asio::io_context io;
  auto result = run(io, [&]() -> asio::awaitable<Result<QueryResult>> {
    auto deadline = std::chrono::steady_clock::now() + 2s;
    auto connection = co_await MariadbConnection::connect(io.get_executor(), endpoint("127.0.0.11"), deadline);
    if (!connection) co_return std::unexpected(connection.error());
    co_return co_await (*connection)->query("SELECT 1 FROM no_such_table WHERE MASTER_PASSWORD = 'sekrit'", deadline);
  }());
  REQUIRE_FALSE(result.has_value());
  INFO(result.error().message);
  CHECK(result.error().message.find("SELECT 1 FROM no_such_table") != std::string::npos);
  CHECK(result.error().message.find("sekrit") == std::string::npos);
  CHECK(result.error().code == 0);  // a query error is not a handshake answer
}
