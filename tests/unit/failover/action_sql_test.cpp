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
  CHECK(wait_relay_log_sql(gtid) == "SELECT MASTER_GTID_WAIT('0-1-42', 30.000)");
  WaitRelayLog pos{"node2", "east", "", "mysql-bin.000003", 1234, std::chrono::milliseconds(1500)};
  CHECK(wait_relay_log_sql(pos) == "SELECT MASTER_POS_WAIT('mysql-bin.000003', 1234, 1.500, 'east')");
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
}
