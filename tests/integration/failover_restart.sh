#!/usr/bin/env bash
# A restart of failoverdns between a failover and the rejoin: the state file
# keeps node2 the primary -- node1, back and writable per its own option
# file, is never published, but fenced and then rejoined.
source "$(dirname "$0")/failover_lib.sh"
scenario_start
cluster kill 1 >/dev/null
wait_for mysql.service.consul 127.0.0.12 $(( refused_deadline_ms / 1000 + 1 )) >/dev/null
ok "failover to node2"

stop_daemon
[ "$(state_get primary) $(state_get epoch)" = "node2 2" ] || fail "state file after the failover: '$(state_get primary) $(state_get epoch)'"
cluster start 1 >/dev/null
[ "$(cluster sql 1 'SELECT @@read_only')" = 0 ] || fail "test set-up: node1 should come back writable"
[ -z "$(replication_of 1)" ] || fail "test set-up: node1 should come back without replication"
ok "failoverdns stopped; node1 back, writable and not replicating: it looks like a primary"

start_daemon -config-file "$work/config.json"
# Poll every 100 ms for 5 s: node1 must never appear as the primary.
seen=$(never_primary 127.0.0.11 5000)
[[ " $seen " == *" 127.0.0.12 "* ]] || fail "node2 was not published after the restart (answers seen: $seen)"
ok "after the restart the name gave node2, never node1 (answers seen: $seen)"
grep -qE "event=state_loaded .*primary=node2" "$log" || fail "no state_loaded line naming node2"
ok "the restart read the state file"
poll_sql 1 "SELECT @@read_only" 1 5
wait_for replica.mysql.service.consul 127.0.0.11 15 >/dev/null
[ "$(replication_of 1)" = "127.0.0.12 Yes Yes" ] || fail "node1 does not replicate from node2: $(replication_of 1)"
ok "node1 fenced and rejoined as node2's replica"
cluster sql 2 "INSERT INTO app.t (v) VALUES ('after-restart')" >/dev/null
poll_sql 1 "SELECT COUNT(*) FROM app.t WHERE v = 'after-restart'" 1 10
[ "$(ask mysql.service.consul)" = 127.0.0.12 ] || fail "the primary is '$(ask mysql.service.consul)', expected node2"
[ "$(state_get primary) $(state_get epoch)" = "node2 2" ] || fail "state file: '$(state_get primary) $(state_get epoch)', expected 'node2 2'"
ok "a row written on node2 reaches node1; still node2, epoch 2"
no_action_storm
finish
