#!/usr/bin/env bash
# A former primary that holds a transaction the new primary lacks (written
# on it while failoverdns was not looking) is diverged: it is fenced
# read-only, not rejoined and not published, and the log names the GTIDs.
source "$(dirname "$0")/scenario_lib.sh"
scenario_start
cluster kill 1 >/dev/null
wait_for mysql.service.consul 127.0.0.12 8 >/dev/null
ok "failover to node2"

stop_daemon
cluster start 1 >/dev/null
cluster sql 1 "INSERT INTO app.t (v) VALUES ('only-on-node1')" >/dev/null
extra=$(cluster sql 1 "SELECT @@gtid_binlog_pos")
ok "with failoverdns stopped, node1 came back writable and took a write ($extra)"

start_daemon -config-file "$work/config.json"
poll_sql 1 "SELECT @@read_only" 1 10
ok "node1 is fenced read-only"
log_has "event=diverged" 10
grep -E "event=diverged" "$log" | head -1 | grep -q "gtids_not_on_primary=$extra" || fail "the log does not name the diverging GTIDs"
ok "the log explains the divergence and names the GTIDs"
# Several probe intervals later: still not replicating, not published.
sleep_until=$(( $(now_ms) + 3000 ))
while [ "$(now_ms)" -lt "$sleep_until" ]; do
  [ "$(ask mysql.service.consul)" = 127.0.0.12 ] || fail "the name left node2: '$(ask mysql.service.consul)'"
  [ -z "$(ask replica.mysql.service.consul)" ] || fail "the diverged node is published as a replica"
  sleep 0.2
done
[ -z "$(replication_of 1)" ] || fail "the diverged node was rejoined: $(replication_of 1)"
ok "node1 is neither rejoined nor published; node2 stays the primary"
finish
