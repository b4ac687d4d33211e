#include "failoverdns/support/asio.hpp"  // first: Boost 1.74 (see there)

#include <doctest/doctest.h>


#include <cstdlib>
#include <fstream>
#include <memory>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include "failoverdns/health/health_check.hpp"
#include "failoverdns/health/mariadb_probe.hpp"

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
  CHECK(o.reachable());
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
  CHECK_FALSE(o.client_sessions);  // not asked: unknown, not 0
}

TEST_CASE("the probe counts client sessions in the same query: not replication, system threads or its own account") {
  QueryResult vars{{"read_only", "server_id", "client_sessions"}, {{"1", "1", "3"}}};
  CHECK(observation_from("node1", vars, QueryResult{}).client_sessions == 3u);
  CHECK(client_sessions_filter("probe'r") ==
        "ID <> CONNECTION_ID() AND USER NOT IN ('system user', 'event_scheduler', 'probe\\'r') AND "
        "COMMAND NOT IN ('Binlog Dump', 'Binlog Dump GTID', 'Daemon')");
}

// Live cases: tests/integration/health_mariadb.sh starts a two-node cluster
// (tools/cluster) and runs this binary with FAILOVERDNS_TEST_MARIADB=1 and
// CLUSTER_DIR. They run in file order; the last ones freeze, cut off and kill
// node1 through tools/cluster and put it back where they can.
namespace {

bool live() { return std::getenv("FAILOVERDNS_TEST_MARIADB") != nullptr; }

std::string cluster_dir() {
  return std::getenv("CLUSTER_DIR") ? std::getenv("CLUSTER_DIR") : "/tmp/failoverdns-cluster";
}

MariadbEndpoint endpoint(const char* host) {
  std::ifstream in(cluster_dir() + "/probe.pass");
  std::string password;
  std::getline(in, password);
  return {host, 3306, "failoverdns", password};
}

bool cluster(const std::string& command) {
  auto line = std::string(FAILOVERDNS_SOURCE_DIR) + "/tools/cluster " + command + " --dir " + cluster_dir();
  return std::system(line.c_str()) == 0;
}

// Runs `undo` when the test case ends, however it ends.
struct Undo {
  std::string command;
  ~Undo() { cluster(command); }
};

template <class T>
T run(asio::io_context& io, asio::awaitable<T> work) {
  auto future = asio::co_spawn(io, std::move(work), asio::use_future);
  io.restart();
  io.run();
  return future.get();
}

using Clock = std::chrono::steady_clock;

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

}  // namespace

TEST_CASE("live: probe a primary and a replica over one pooled connection each" * doctest::skip(!live())) {
  asio::io_context io;
  MariadbProbe primary("node1", endpoint("127.0.0.11"));
  MariadbProbe replica("node2", endpoint("127.0.0.12"));
  auto p = run(io, primary.observe(io.get_executor(), 2s));
  INFO(p.error);
  REQUIRE(p.reachable());
  CHECK(p.instance_id == "node1");
  CHECK_FALSE(p.read_only);
  CHECK(p.server_id != 0);
  CHECK(p.replication.empty());
  CHECK_FALSE(p.gtid_binlog_pos.empty());
  CHECK_FALSE(p.client_sessions);  // not asked for: no PROCESSLIST scan
  primary.count_client_sessions(true);
  auto counted = run(io, primary.observe(io.get_executor(), 2s));
  INFO(counted.error);
  REQUIRE(counted.reachable());
  CHECK(counted.client_sessions.has_value());  // the query with its subquery is accepted

  auto r = run(io, replica.observe(io.get_executor(), 2s));
  INFO(r.error);
  REQUIRE(r.reachable());
  CHECK(r.read_only);
  CHECK(r.server_id != p.server_id);
  REQUIRE(r.replication.size() == 1);
  const auto& link = r.replication[0];
  CHECK(link.connection_name.empty());
  CHECK(link.io_running());
  CHECK(link.sql_running);
  CHECK(link.master_host == "127.0.0.11");
  CHECK(link.master_port == 3306);
  CHECK(link.using_gtid);
  CHECK(link.last_io_errno == 0);
  CHECK_FALSE(link.gtid_io_pos.empty());
  CHECK_FALSE(link.master_log_file.empty());
  CHECK(link.read_master_log_pos > 0);
  CHECK(link.seconds_behind_master.has_value());

  // The master heartbeat keeps counting on an idle primary: poll for it.
  auto first = link.received_heartbeats;
  auto deadline = Clock::now() + 5s;
  std::uint64_t now = first;
  asio::steady_timer pause(io);
  while (now == first && Clock::now() < deadline) {
    pause.expires_after(100ms);
    run(io, pause.async_wait(asio::use_awaitable));
    auto again = run(io, replica.observe(io.get_executor(), 2s));
    REQUIRE(again.reachable());
    REQUIRE(again.replication.size() == 1);
    now = again.replication[0].received_heartbeats;
  }
  CHECK(now > first);
  CHECK(primary.connects() == 1);
  CHECK(replica.connects() == 1);  // every probe above reused the first connection
}

TEST_CASE("live: execute changes a server, and a refused statement names itself" * doctest::skip(!live())) {
  asio::io_context io;
  auto deadline = Clock::now() + 5s;
  auto connected = run(io, MariadbConnection::connect(io.get_executor(), endpoint("127.0.0.11"), deadline));
  INFO((connected ? std::string() : connected.error().message));
  REQUIRE(connected);
  auto& connection = **connected;
  std::vector<std::string> fence{"SET GLOBAL read_only = 1", "SELECT @@global.read_only AS ro"};
  auto fenced = run(io, connection.execute(fence, deadline));
  INFO((fenced ? std::string() : fenced.error().message));
  REQUIRE(fenced);
  CHECK(fenced->value(0, "ro") == "1");
  MariadbProbe probe("node1", endpoint("127.0.0.11"));
  CHECK(run(io, probe.observe(io.get_executor(), 2s)).read_only);

  std::vector<std::string> unfence{"SET GLOBAL read_only = 0"};
  auto opened = run(io, connection.execute(unfence, deadline));
  REQUIRE(opened);
  CHECK(opened->columns.empty());  // no result set
  auto after = run(io, probe.observe(io.get_executor(), 2s));
  REQUIRE(after.reachable());
  CHECK_FALSE(after.read_only);

  // A refused statement stops the list, says which one and why, carries the
  // server's error number, and leaves the connection usable.
  std::vector<std::string> broken{"SELECT 1", "SELECT 1 FROM no_such_table WHERE MASTER_PASSWORD = 'sekrit'",
                                  "SET GLOBAL read_only = 1"};
  auto refused = run(io, connection.execute(broken, deadline));
  REQUIRE_FALSE(refused.has_value());
  INFO(refused.error().message);
  CHECK(refused.error().message.find("SELECT 1 FROM no_such_table") != std::string::npos);
  CHECK(refused.error().message.find("sekrit") == std::string::npos);
  CHECK(refused.error().code == 1046);  // ER_NO_DB_ERROR: the prober has no default database
  CHECK(connection.usable());
  auto still = run(io, connection.query("SELECT @@global.read_only AS ro", deadline));
  REQUIRE(still);
  CHECK(still->value(0, "ro") == "0");  // the statement after the failing one did not run
}

TEST_CASE("live: a mariadb check needs no credentials: a server that answers is alive" * doctest::skip(!live())) {
  asio::io_context io;
  CheckDefinition c;
  c.kind = CheckKind::mariadb;
  c.timeout = 2s;
  auto r = run(io, run_check(io.get_executor(), c, "127.0.0.12", 3306));
  INFO(r.output);
  CHECK(r.health == Health::passing);
}

TEST_CASE("live: a statement runs as long as its own deadline allows, past libmariadb's 10 s read timeout" *
          doctest::skip(!live())) {
  // relay_log_wait is 30 s by default; the wait used to fail with error 2013
  // after 10 s (issue 8, defect 8).
  asio::io_context io;
  auto deadline = Clock::now() + 16s;
  auto connected = run(io, MariadbConnection::connect(io.get_executor(), endpoint("127.0.0.12"), deadline));
  REQUIRE(connected);
  auto started = Clock::now();
  auto slept = run(io, (*connected)->query("SELECT SLEEP(11) AS slept", deadline));
  INFO((slept ? std::string() : slept.error().message));
  REQUIRE(slept);
  CHECK(slept->value(0, "slept") == "0");  // 0: slept the whole time, not interrupted
  CHECK(Clock::now() - started >= 11s);
  // And the deadline still ends one that would run past it.
  auto cut = run(io, (*connected)->query("SELECT SLEEP(5)", Clock::now() + 500ms));
  REQUIRE_FALSE(cut);
  CHECK(outcome_of_error(cut.error().code) == ProbeOutcome::no_answer);
}

namespace {

std::string read_pass(const std::string& name) {
  std::ifstream in(cluster_dir() + "/" + name + ".pass");
  std::string password;
  std::getline(in, password);
  return password;
}

}  // namespace

TEST_CASE("live: a server that answers with an error is alive: refused or overloaded, never no_answer" *
          doctest::skip(!live())) {
  asio::io_context io;
  auto wrong = endpoint("127.0.0.12");
  wrong.password = "not-the-password";
  MariadbProbe denied("node2", wrong);
  auto o = run(io, denied.observe(io.get_executor(), 2s));
  INFO(o.error);
  CHECK(o.outcome == ProbeOutcome::refused);
  CHECK(o.error.find("(error 1045)") != std::string::npos);

  // node2 full: max_connections taken by the application's idle connections.
  REQUIRE(cluster("sql 2 \"SET GLOBAL max_connections = 6\""));
  Undo undo{"sql 2 \"SET GLOBAL max_connections = 151\""};
  MariadbEndpoint app{"127.0.0.12", 3306, "app", read_pass("app")};
  std::vector<std::unique_ptr<MariadbConnection>> pool;
  Error refusal;
  for (int i = 0; i < 20; ++i) {
    auto c = run(io, MariadbConnection::connect(io.get_executor(), app, Clock::now() + 2s));
    if (!c) {
      refusal = c.error();
      break;
    }
    pool.push_back(std::move(*c));
  }
  INFO(refusal.message);
  REQUIRE(refusal.code == 1040);
  CHECK(outcome_of_error(refusal.code) == ProbeOutcome::overloaded);
  // failoverdns's account has CONNECTION ADMIN: MariaDB keeps it a connection
  // above max_connections, so a full server is still probed (and fenced).
  MariadbProbe admin("node2", endpoint("127.0.0.12"));
  auto full = run(io, admin.observe(io.get_executor(), 2s));
  INFO(full.error);
  CHECK(full.reachable());
  // Without it, or for a second one: overloaded, which is alive.
  MariadbProbe as_app("node2", app);
  auto app_probe = run(io, as_app.observe(io.get_executor(), 2s));
  CHECK(app_probe.outcome == ProbeOutcome::overloaded);
  // MariaDB's extra_port (3307 in tools/cluster) has connections of its own.
  auto extra = endpoint("127.0.0.12");
  extra.port = 3307;
  MariadbProbe on_extra("node2", extra);
  auto via_extra = run(io, on_extra.observe(io.get_executor(), 2s));
  INFO(via_extra.error);
  CHECK(via_extra.reachable());
}

// Three probes at once: `pooled` (connected before the trouble, so it waits
// on a query), `fresh` (waits on the handshake or the TCP connect) and
// node2's; node1's two must give up at their deadline, node2's must not wait.
void node1_times_out_alone(const char* trouble) {
  asio::io_context io;
  MariadbProbe pooled("node1", endpoint("127.0.0.11"));
  MariadbProbe fresh("node1", endpoint("127.0.0.11"));
  MariadbProbe healthy("node2", endpoint("127.0.0.12"));
  MariadbProbe parked("node1", endpoint("127.0.0.11"));
  REQUIRE(run(io, pooled.observe(io.get_executor(), 2s)).reachable());
  REQUIRE(run(io, healthy.observe(io.get_executor(), 2s)).reachable());
  REQUIRE(run(io, parked.observe(io.get_executor(), 2s)).reachable());
  {
    REQUIRE(cluster(std::string(trouble) + " 1"));
    Undo undo{std::string(trouble) == "freeze" ? "thaw 1" : "unblackhole 1"};
    constexpr auto timeout = 800ms;
    Observation a, b, c;
    Clock::duration a_took{}, b_took{}, c_took{};
    auto start = Clock::now();
    auto probe = [&](MariadbProbe& p, Observation& o, Clock::duration& took) -> asio::awaitable<void> {
      o = co_await p.observe(io.get_executor(), timeout);
      took = Clock::now() - start;
    };
    asio::co_spawn(io, probe(pooled, a, a_took), asio::detached);
    asio::co_spawn(io, probe(fresh, b, b_took), asio::detached);
    asio::co_spawn(io, probe(healthy, c, c_took), asio::detached);
    io.restart();
    io.run();
    MESSAGE(std::string(trouble) << " node1: pooled probe gave up after " << ms(a_took) << " ms, fresh probe after "
            << ms(b_took) << " ms (timeout " << timeout.count() << " ms); node2 answered " << ms(c_took)
            << " ms after the start");
    INFO(a.error);
    INFO(b.error);
    CHECK(a.outcome == ProbeOutcome::no_answer);
    CHECK(b.outcome == ProbeOutcome::no_answer);
    CHECK(a.error.find("query on 127.0.0.11:3306: no answer before the deadline") == 0);
    CHECK(b.error.find("connect to 127.0.0.11:3306: no answer before the deadline") == 0);
    // Given up at the deadline, not before (how much after is bench/'s
    // business, not a correctness test's).
    for (auto took : {a_took, b_took}) CHECK(took >= timeout);
    CHECK(c.reachable());
    CHECK(c_took < std::min(a_took, b_took));  // answered while the other probes were still waiting

    // Shutting down while probes wait: the io_context goes, and the waiting
    // coroutines with it, never resumed. Nothing may hang, leak (ASan) or
    // close a descriptor that libmariadb still owns.
    {
      asio::io_context doomed;
      asio::co_spawn(doomed, parked.observe(doomed.get_executor(), 5s), asio::detached);
      asio::co_spawn(doomed, [&]() -> asio::awaitable<void> {
        MariadbProbe inside("node1", endpoint("127.0.0.11"));  // owned by the frame, as in the daemon
        co_await inside.observe(doomed.get_executor(), 5s);
      }, asio::detached);
      doomed.run_for(200ms);
      CHECK_FALSE(doomed.stopped());  // both still waiting
    }
  }
  // Back to normal: the dropped connection is made again.
  auto again = run(io, pooled.observe(io.get_executor(), 5s));
  INFO(again.error);
  CHECK(again.reachable());
  CHECK(pooled.connects() == 2);
}

TEST_CASE("live: a frozen server times out without stalling the other probes" * doctest::skip(!live())) {
  node1_times_out_alone("freeze");
}

TEST_CASE("live: a server cut off by the network times out without stalling the others" * doctest::skip(!live())) {
  node1_times_out_alone("blackhole");
}

TEST_CASE("live: a killed server is unreachable at once" * doctest::skip(!live())) {
  asio::io_context io;
  MariadbProbe pooled("node1", endpoint("127.0.0.11"));
  REQUIRE(run(io, pooled.observe(io.get_executor(), 2s)).reachable());
  REQUIRE(cluster("kill 1"));
  Undo undo{"start 1"};
  MariadbProbe fresh("node1", endpoint("127.0.0.11"));
  for (auto* probe : {&pooled, &fresh}) {
    auto o = run(io, probe->observe(io.get_executor(), 2s));
    INFO(o.error);
    CHECK(o.outcome == ProbeOutcome::no_answer);
    CHECK(o.error.find("deadline") == std::string::npos);  // refused or reset at once, not timed out
  }
}
