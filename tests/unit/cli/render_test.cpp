// The commands' tables from known API answers.
#include <doctest/doctest.h>

#include "cli/render.hpp"

using namespace failoverdns::cli;

TEST_CASE("table pads each column to its widest cell") {
  CHECK(table({{"ID", "ROLE"}, {"node10", "primary"}, {"n2", "-"}}) == "ID      ROLE\nnode10  primary\nn2      -\n");
}

TEST_CASE("status: primary, readiness, one row per instance, the last failover") {
  auto s = json::parse(R"({
    "Service": "mysql", "Primary": "node2", "Epoch": 2, "PrimarySince": "2026-12-02T16:24:43.863Z",
    "AutoFailover": true, "Blocked": true, "BlockedReason": "no replica could be promoted: node1: fenced",
    "CooldownUntil": null, "Promotion": "",
    "Instances": [
      {"ID": "node1", "Address": "127.0.0.11", "Port": 3306, "Role": "fenced", "Health": "critical", "Probe": "no_answer",
       "LastError": "connect refused", "LagSeconds": null, "GtidReceived": "", "GtidExecuted": "", "GtidBinlogPos": "0-1-9",
       "ReplicationError": "", "Diverged": "", "Errant": "", "Fenced": true},
      {"ID": "node2", "Address": "127.0.0.12", "Port": 3306, "Role": "primary", "Health": "passing", "Probe": "answered",
       "LastError": "", "LagSeconds": null, "GtidReceived": "", "GtidExecuted": "0-1-9", "GtidBinlogPos": "0-1-12",
       "ReplicationError": "", "Diverged": "", "Errant": "", "Fenced": false}],
    "Failovers": [{"Outcome": "complete", "Ended": "2026-12-02T16:24:43.900Z", "OldPrimary": "node1",
                   "NewPrimary": "node2", "Epoch": 2, "Started": "2026-12-02T16:24:43.400Z"}]})");
  CHECK(render_status(s) ==
        "service mysql: primary node2 (127.0.0.12:3306), epoch 2, since 2026-12-02T16:24:43.863Z\n"
        "  automatic failover: BLOCKED: no replica could be promoted: node1: fenced\n"
        "  ID     ROLE     HEALTH    PROBE      LAG  RECEIVED  EXECUTED  BINLOG  NOTE\n"
        "  node1  fenced   critical  no_answer  -    -         -         0-1-9   LastError: connect refused\n"
        "  node2  primary  passing   answered   -    -         0-1-9     0-1-12\n"
        "  last failover: complete at 2026-12-02T16:24:43.900Z, node1 -> node2 (epoch 2), started "
        "2026-12-02T16:24:43.400Z\n");
  s["Primary"] = "";
  CHECK(render_status(s).starts_with("service mysql: no primary"));
}

TEST_CASE("members: one row per instance with its tags and what is not passing") {
  auto mysql = json::parse(R"([
    {"Node": {"Node": "node1"}, "Service": {"ID": "node1", "Service": "mysql", "Address": "127.0.0.11", "Port": 3306,
     "Tags": ["primary", "master"]}, "Checks": [{"Status": "passing", "Output": ""}, {"Status": "passing", "Output": "role=primary health=passing"}]},
    {"Node": {"Node": "node2"}, "Service": {"ID": "node2", "Service": "mysql", "Address": "127.0.0.12", "Port": 3306,
     "Tags": []}, "Checks": [{"Status": "passing", "Output": ""}, {"Status": "critical", "Output": "role=fenced health=passing"}]}])");
  CHECK(render_members({mysql}) ==
        "NODE   ID     SERVICE  ADDRESS          TAGS            STATUS\n"
        "node1  node1  mysql    127.0.0.11:3306  primary,master  passing\n"
        "node2  node2  mysql    127.0.0.12:3306  -               critical (role=fenced health=passing)\n");
}
