#!/usr/bin/env bash
# The seed's test plan, end to end, against the real daemon and a real
# MariaDB pair from tools/cluster:
#   node1 primary; writes through the name land on it
#   kill -9 node1 -> the name moves to node2 in time; node2 writable, no
#     replication left, its coordinates in the state file
#   node1 starts  -> fenced read-only at once, rejoins as a replica of node2,
#     listed under replica.mysql; a row written on node2 reaches it
#   kill -9 node2 -> the name moves back to node1 (cooldown does not block:
#     the new primary is dead and a healthy candidate exists)
# The seed's mysql.json tags both instances "master": roles must win.
service_extra='"tags": ["master"]'
source "$(dirname "$0")/scenario_lib.sh"
scenario_start
ok "node1 is the primary: mysql.service.consul -> 127.0.0.11"
[ "$(ask master.mysql.service.consul)" = 127.0.0.11 ] || fail "master tag should follow the role"
wait_for replica.mysql.service.consul 127.0.0.12 10 >/dev/null
ok "the configured 'master' tag on node2 is ignored: replica.mysql -> 127.0.0.12"

app_pass=$(cat "$dir/app.pass")
write() { mariadb -h "$(ask mysql.service.consul)" -u app -p"$app_pass" --connect-timeout=2 app -N -e "$1"; }
[ "$(write "INSERT INTO t (v) VALUES ('plan-1'); SELECT @@server_id")" = 1 ] || fail "write did not land on node1"
ok "a client write through the name lands on node1"

cluster kill 1 >/dev/null
ms=$(wait_for mysql.service.consul 127.0.0.12 8)
# interval + (failcount-1) * recheck + timeout, plus promotion and margin.
ok "kill -9 node1: the name moved to node2 in ${ms} ms"
[ "$(cluster sql 2 'SELECT @@read_only')" = 0 ] || fail "node2 is still read-only"
[ -z "$(cluster sql 2 'SHOW ALL SLAVES STATUS')" ] || fail "node2 still has a replication connection"
ok "node2 is writable and no longer a replica"
/usr/bin/python3 - "$work/mysql.state" <<'EOF' || fail "state file does not record node2's promotion"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["primary"] == "node2", s
assert s["epoch"] >= 2, s
p = s["promotion"]
assert p["binlog_file"] and p["binlog_pos"] > 0 and p["gtid_binlog_pos"], s
assert "node1" in s["fenced"], s
EOF
ok "the state file names node2 with its binlog coordinates and fences node1"
[ "$(write "INSERT INTO t (v) VALUES ('plan-2'); SELECT @@server_id")" = 2 ] || fail "write after failover did not land on node2"
grep -q "event=failover_complete" "$log" || fail "no failover_complete line"
ok "writes through the name land on node2; failover_complete logged"

cluster start 1 >/dev/null
poll_sql 1 "SELECT @@read_only" 1 10
ok "node1 is back and fenced read-only"
wait_for replica.mysql.service.consul 127.0.0.11 15 >/dev/null
[ "$(replication_of 1)" = "127.0.0.12 Yes Yes" ] || fail "node1 should replicate from node2 with both threads running, got '$(replication_of 1)'"
[ "$(ask mysql.service.consul)" = 127.0.0.12 ] || fail "node1 must never be published as primary again"
ok "node1 rejoined as a replica of node2 and is listed under replica.mysql"
write "INSERT INTO t (v) VALUES ('plan-3')" >/dev/null
poll_sql 1 "SELECT COUNT(*) FROM app.t WHERE v = 'plan-3'" 1 10
ok "a row written on node2 reaches node1"

cluster kill 2 >/dev/null
ms=$(wait_for mysql.service.consul 127.0.0.11 10)
ok "kill -9 node2: the name moved back to node1 in ${ms} ms (cooldown did not block it)"
[ "$(cluster sql 1 'SELECT @@read_only')" = 0 ] || fail "node1 is read-only after the second failover"
[ "$(write "SELECT COUNT(*) FROM t WHERE v LIKE 'plan-%'")" = 3 ] || fail "rows lost across two failovers"
ok "node1 is writable and holds every row"

finish
