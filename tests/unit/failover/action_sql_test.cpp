#include <doctest/doctest.h>

#include "failover/action_sql.hpp"

using namespace failoverdns;

TEST_CASE("sql_quote escapes what could end or bend a string literal") {
  struct Case {
    const char* in;
    const char* out;
  };
  for (auto [in, out] : {Case{"plain", "'plain'"}, Case{"it's", "'it\\'s'"}, Case{"a\\b", "'a\\\\b'"},
                         Case{"'; DROP TABLE t; --", "'\\'; DROP TABLE t; --'"}, Case{"", "''"}}) {
    CAPTURE(in);
    CHECK(sql_quote(in) == out);
  }
  CHECK(sql_quote(std::string_view("a\0b", 3)) == "'a\\0b'");
}

TEST_CASE("relay-log wait uses the GTID when there is one, else the binlog position") {
  WaitRelayLog gtid{"node2", "", "0-1-42", "", 0, std::chrono::seconds(30)};
  CHECK(wait_relay_log_sql(gtid) ==
        std::vector<std::string>{"START SLAVE SQL_THREAD", "SELECT MASTER_GTID_WAIT('0-1-42', 30.000)"});
  WaitRelayLog pos{"node2", "east", "", "mysql-bin.000003", 1234, std::chrono::milliseconds(1500)};
  CHECK(wait_relay_log_sql(pos) == std::vector<std::string>{"START SLAVE 'east' SQL_THREAD",
                                                            "SELECT MASTER_POS_WAIT('mysql-bin.000003', 1234, 1.500, 'east')"});
}

TEST_CASE("the relay-log wait's answer: 0 applied, -1 timed out, anything else an error") {
  auto answer = [](std::optional<std::string> v) { return QueryResult{{"w"}, {{std::move(v)}}}; };
  CHECK(relay_log_applied(answer("0")).has_value());
  CHECK(relay_log_applied(answer("-1")).error().message == "the relay log was not applied before relay_log_wait");
  CHECK(relay_log_applied(answer(std::nullopt)).error().message == "the relay-log wait returned NULL");
  CHECK(relay_log_applied(answer("1")).error().message == "the relay-log wait returned 1");
  CHECK_FALSE(relay_log_applied(QueryResult{}).has_value());  // no row at all
}

TEST_CASE("promotion coordinates come from SHOW MASTER STATUS and @@gtid_binlog_pos") {
  QueryResult status{{"File", "Position", "Binlog_Do_DB"}, {{"mysql-bin.000002", "342", ""}}};
  QueryResult gtid{{"@@gtid_binlog_pos"}, {{"0-2-17"}}};
  auto c = promotion_coordinates(status, gtid);
  CHECK(c.binlog_file == "mysql-bin.000002");
  CHECK(c.binlog_pos == 342);
  CHECK(c.gtid_binlog_pos == "0-2-17");
  // A server without binary logging shows no row: empty, not a crash.
  auto none = promotion_coordinates(QueryResult{}, QueryResult{});
  CHECK(none.binlog_file.empty());
  CHECK(none.binlog_pos == 0);
  CHECK(none.gtid_binlog_pos.empty());
}

TEST_CASE("redirect and rejoin point replication at the primary, by GTID") {
  ReplicationCredentials creds{"slave", "pa'ss", std::chrono::milliseconds(1000)};
  auto r = redirect_sql(Redirect{"node3", "", "node2", "127.0.0.12", 3306}, creds);
  REQUIRE(r.size() == 3);
  CHECK(r[0] == "STOP SLAVE");
  CHECK(r[1] ==
        "CHANGE MASTER TO MASTER_HOST='127.0.0.12', MASTER_PORT=3306, MASTER_USER='slave', MASTER_PASSWORD='pa\\'ss', "
        "MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=1.000");
  CHECK(r[2] == "START SLAVE");

  auto named = redirect_sql(Redirect{"node3", "east", "node2", "127.0.0.12", 3307}, creds);
  CHECK(named[0] == "STOP SLAVE 'east'");
  CHECK(named[1].starts_with("CHANGE MASTER 'east' TO MASTER_HOST='127.0.0.12', MASTER_PORT=3307,"));

  auto j = rejoin_sql(Rejoin{"node1", "node2", "127.0.0.12", 3306}, creds);
  REQUIRE(j.size() == 4);
  CHECK(j[0] == "SET GLOBAL read_only=1");  // never writable, even if the rest fails
  CHECK(j[2].find("MASTER_USE_GTID=current_pos") != std::string::npos);
}

TEST_CASE("promotion stops replication before making the server writable") {
  auto p = promote_sql();
  REQUIRE(p.size() == 3);
  CHECK(p.back() == "SET GLOBAL read_only=0");
  CHECK(p[1] == "RESET SLAVE ALL");
  CHECK(fence_sql() == std::vector<std::string>{"SET GLOBAL read_only=1"});
  CHECK(make_writable_sql() == std::vector<std::string>{"SET GLOBAL read_only=0"});
}

TEST_CASE("ending client sessions: list them without replication, system threads or our own account, then KILL each") {
  CHECK(list_client_sessions_sql("fail'dns") ==
        "SELECT ID, USER, HOST FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND USER NOT IN "
        "('system user', 'event_scheduler', 'fail\\'dns') AND COMMAND NOT IN ('Binlog Dump', 'Binlog Dump GTID', "
        "'Daemon') ORDER BY ID");
  QueryResult listed{{"ID", "USER", "HOST"},
                     {{"12", "app", "127.0.0.1:40001"},
                      {"13", "app", std::nullopt},
                      {"x", "bad", "h"},      // no usable id: never KILL something we cannot name
                      {std::nullopt, "n", "h"},
                      {"0", "zero", "h"}}};
  auto sessions = client_sessions(listed);
  CHECK(sessions == std::vector<ClientSession>{{12, "app", "127.0.0.1:40001"}, {13, "app", ""}});
  CHECK(kill_session_sql(12) == "KILL CONNECTION 12");
  CHECK(er_no_such_thread == 1094);
}

TEST_CASE("sessions are described for the log, bounded") {
  std::vector<ClientSession> many;
  for (std::uint64_t id = 1; id <= 12; ++id) many.push_back({id, "app", "h"});
  CHECK(describe_sessions({}) == "");
  CHECK(describe_sessions({{7, "app", "10.0.0.5:5000"}}) == "7:app@10.0.0.5:5000");
  CHECK(describe_sessions(many, 3) == "1:app@h 2:app@h 3:app@h +9 more");
}
