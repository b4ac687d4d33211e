#!/usr/bin/env bash
# A restart of failoverdns between a failover and the rejoin: the state file
# keeps node2 the primary — node1, back and writable per its own option
# file, is never published, but fenced and then rejoined.
source "$(dirname "$0")/scenario_lib.sh"
scenario_start
cluster kill 1 >/dev/null
wait_for mysql.service.consul 127.0.0.12 8 >/dev/null
ok "failover to node2"

stop_daemon
cluster start 1 >/dev/null
[ "$(cluster sql 1 'SELECT @@read_only')" = 0 ] || fail "test set-up: node1 should come back writable"
ok "failoverdns stopped; node1 back and writable (its option file says read_only=OFF)"

start_daemon -config-file "$work/config.json"
# Poll every 100 ms for 5 s: node1 must never appear as the primary.
deadline=$(( $(now_ms) + 5000 ))
seen_node2=0
while [ "$(now_ms)" -lt "$deadline" ]; do
  a=$(ask mysql.service.consul)
  [ "$a" = 127.0.0.11 ] && fail "after the restart node1 was published as primary"
  [ "$a" = 127.0.0.12 ] && seen_node2=1
  sleep 0.1
done
[ $seen_node2 = 1 ] || fail "node2 was not published after the restart"
ok "after the restart the name gives node2, never node1"
poll_sql 1 "SELECT @@read_only" 1 10
wait_for replica.mysql.service.consul 127.0.0.11 15 >/dev/null
[ "$(replication_of 1)" = "127.0.0.12 Yes Yes" ] || fail "node1 does not replicate from node2: $(replication_of 1)"
ok "node1 fenced and rejoined as node2's replica"
grep -q "event=state_loaded service=mysql primary=node2" "$log" || fail "no state_loaded line naming node2"
ok "the restart read the state file"
finish
