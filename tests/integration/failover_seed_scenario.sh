#!/usr/bin/env bash
# The seed's test plan, end to end, against the real daemon and a real
# MariaDB pair from tools/cluster:
#   node1 primary; writes through the name land on it
#   kill -9 node1 -> the name moves to node2 within interval + (failcount-1)
#     * recheck + timeout + margin; node2 writable, no replication left, its
#     coordinates in the state file
#   node1 starts  -> fenced read-only at once, rejoins as a replica of node2,
#     listed under replica.mysql, never the primary meanwhile; a row written
#     on node2 reaches it
#   kill -9 node2 -> the name moves back to node1 (cooldown does not block:
#     the new primary is dead and a healthy candidate exists)
# The seed's mysql.json tags both instances "master": roles must win.
service_extra='"tags": ["master"]'
source "$(dirname "$0")/failover_lib.sh"
scenario_start
ok "node1 is the primary: mysql.service.consul -> 127.0.0.11"
[ "$(ask master.mysql.service.consul)" = 127.0.0.11 ] || fail "master tag should follow the role"
wait_for replica.mysql.service.consul 127.0.0.12 10 >/dev/null
ok "the configured 'master' tag on node2 is ignored: replica.mysql -> 127.0.0.12"

app_pass=$(cat "$dir/app.pass")
write() { mariadb -h "$(ask mysql.service.consul)" -u app -p"$app_pass" --connect-timeout=2 app -N -e "$1"; }
[ "$(write "INSERT INTO t (v) VALUES ('plan-1'); SELECT @@server_id")" = 1 ] || fail "write did not land on node1"
ok "a client write through the name lands on node1"

mark
cluster kill 1 >/dev/null
ms=$(wait_since_mark mysql.service.consul 127.0.0.12 $refused_deadline_ms)
ok "kill -9 node1: the name moved to node2 in ${ms} ms (deadline ${refused_deadline_ms} ms)"
echo "  failover_complete: $(grep -oE 'event=failover_complete .*' "$log" | head -1 | grep -oE '(detection|relay_log_wait|promotion|state_saved|outage)=[^ ]+' | paste -sd' ' -)"
[ "$(cluster sql 2 'SELECT @@read_only')" = 0 ] || fail "node2 is still read-only"
[ -z "$(cluster sql 2 'SHOW ALL SLAVES STATUS')" ] || fail "node2 still has a replication connection"
ok "node2 is writable and no longer a replica"
# Nothing was written to node2 since its promotion: the recorded
# coordinates are its current ones.
[ "$(state_get primary) $(state_get epoch)" = "node2 2" ] ||
  fail "state file: primary and epoch '$(state_get primary) $(state_get epoch)', expected 'node2 2'"
[[ " $(state_get fenced) " == *" node1 "* ]] || fail "the state file does not fence node1: '$(state_get fenced)'"
coords="$(state_get promotion.binlog_file) $(state_get promotion.binlog_pos) $(state_get promotion.gtid_binlog_pos)"
actual="$(cluster sql 2 'SHOW MASTER STATUS' | cut -f1,2 | tr '\t' ' ') $(cluster sql 2 'SELECT @@gtid_binlog_pos')"
[ "$coords" = "$actual" ] || fail "state file coordinates '$coords', but node2 is at '$actual'"
ok "the state file names node2 (epoch 2) at its coordinates ($coords) and fences node1"
[ "$(write "INSERT INTO t (v) VALUES ('plan-2'); SELECT @@server_id")" = 2 ] || fail "write after failover did not land on node2"
ok "writes through the name land on node2"

# node1 comes back writable (its option file says read_only=OFF): from the
# moment it starts until it is a replica it must never be the primary.
watch_primary 127.0.0.11
cluster start 1 >/dev/null
up=$(now_ms)
poll_sql 1 "SELECT @@read_only" 1 $(( (interval_ms + margin_ms) / 1000 ))
ok "node1 is back and fenced read-only $(( $(now_ms) - up )) ms after it answered"
wait_for replica.mysql.service.consul 127.0.0.11 15 >/dev/null
[ "$(replication_of 1)" = "127.0.0.12 Yes Yes" ] || fail "node1 should replicate from node2 with both threads running, got '$(replication_of 1)'"
watch_end
[ "$(ask mysql.service.consul)" = 127.0.0.12 ] || fail "the primary is '$(ask mysql.service.consul)', expected node2"
ok "node1 rejoined as a replica of node2, listed under replica.mysql, never the primary meanwhile"
write "INSERT INTO t (v) VALUES ('plan-3')" >/dev/null
poll_sql 1 "SELECT COUNT(*) FROM app.t WHERE v = 'plan-3'" 1 10
ok "a row written on node2 reaches node1"

mark
cluster kill 2 >/dev/null
ms=$(wait_since_mark mysql.service.consul 127.0.0.11 $refused_deadline_ms)
ok "kill -9 node2: the name moved back to node1 in ${ms} ms (the 60 s cooldown did not block it)"
[ "$(cluster sql 1 'SELECT @@read_only')" = 0 ] || fail "node1 is read-only after the second failover"
[ "$(write "SELECT COUNT(*) FROM t WHERE v LIKE 'plan-%'")" = 3 ] || fail "rows lost across two failovers"
ok "node1 is writable and holds every row"
[ "$(state_get primary) $(state_get epoch)" = "node1 3" ] ||
  fail "state file: primary and epoch '$(state_get primary) $(state_get epoch)', expected 'node1 3'"
ok "the state file names node1, epoch 3"

no_action_storm
finish
