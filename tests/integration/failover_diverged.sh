#!/usr/bin/env bash
# A former primary that holds a transaction the new primary lacks (written
# on it while failoverdns was not looking) is diverged: it is fenced
# read-only, not rejoined and not published, and the log names the GTIDs.
# A reset binlog does not make it rejoinable (the row is still there); the
# operator's rebuild and CHANGE MASTER by hand do.
source "$(dirname "$0")/failover_lib.sh"
scenario_start
cluster kill 1 >/dev/null
wait_for mysql.service.consul 127.0.0.12 $(( refused_deadline_ms / 1000 + 1 )) >/dev/null
ok "failover to node2"

stop_daemon
cluster start 1 >/dev/null
cluster sql 1 "INSERT INTO app.t (v) VALUES ('only-on-node1')" >/dev/null
extra=$(cluster sql 1 "SELECT @@gtid_binlog_pos")
[ "$(cluster sql 1 'SELECT @@read_only')" = 0 ] || fail "test set-up: node1 should be writable"
ok "with failoverdns stopped, node1 came back writable and took a write ($extra)"

watch_primary 127.0.0.11
start_daemon -config-file "$work/config.json"
wait_serving 10
poll_sql 1 "SELECT @@read_only" 1 $(( (interval_ms + margin_ms) / 1000 ))
ok "node1 is fenced read-only"
log_has "event=(diverged|rejoin_blocked)" 10
line=$(grep -E "event=(diverged|rejoin_blocked)" "$log" | head -1)
[[ $line == *instance=node1* ]] || fail "the divergence line does not name node1: $line"
[[ $line == *"gtids_not_on_primary=$extra"* ]] || fail "the divergence line does not name the diverging GTIDs ($extra): $line"
ok "the log explains the divergence and names the GTIDs ($extra)"
# Several probe intervals later: still not replicating, not published.
hold mysql.service.consul 127.0.0.12 3000 "node2 is the primary"
[ -z "$(ask replica.mysql.service.consul)" ] || fail "the diverged node is published as a replica: $(ask replica.mysql.service.consul)"
watch_end
[ -z "$(replication_of 1)" ] || fail "the diverged node was rejoined: $(replication_of 1)"
[ "$(cluster sql 1 'SELECT @@read_only')" = 1 ] || fail "node1 was made writable again"
[ "$(cluster sql 1 "SELECT COUNT(*) FROM app.t WHERE v = 'only-on-node1'")" = 1 ] || fail "the diverged row was removed from node1"
[ "$(cluster sql 2 "SELECT COUNT(*) FROM app.t WHERE v = 'only-on-node1'")" = 0 ] || fail "the diverged row reached node2"
ok "node1 is neither rejoined nor published (as primary or replica); its extra row stays on it alone"
[ "$(state_get primary) $(state_get epoch)" = "node2 2" ] || fail "state file: '$(state_get primary) $(state_get epoch)', expected 'node2 2'"
[[ " $(state_get fenced) " == *" node1 "* ]] || fail "the state file no longer fences node1: '$(state_get fenced)'"
ok "the state file keeps node2 the primary and node1 fenced"

# RESET MASTER empties node1's binlog and leaves the row: its position now
# looks contained in node2's. It used to be rejoined at this point.
cluster sql 1 "RESET MASTER" >/dev/null
log_has "event=rejoin_withheld .*instance=node1" $(( (interval_ms + margin_ms) / 1000 ))
hold mysql.service.consul 127.0.0.12 3000 "node2 is the primary"
[ -z "$(replication_of 1)" ] || fail "node1 was rejoined after its binlog was reset: $(replication_of 1)"
[ -z "$(ask replica.mysql.service.consul)" ] || fail "node1 is published as a replica: $(ask replica.mysql.service.consul)"
[ "$(state_get diverged.node1)" = "$extra" ] || fail "the state file forgot why node1 is fenced: '$(state_get diverged.node1)'"
ok "with its binlog reset and its row in place, node1 stays fenced and the log says what to do"

# The operator's repair: node1 made identical to node2 (the row removed),
# then a replica of node2 by hand. failoverdns unfences it once it replicates.
pos=$(cluster sql 2 "SELECT @@gtid_current_pos")
cluster sql 1 "SET SESSION sql_log_bin=0; DELETE FROM app.t WHERE v = 'only-on-node1'; SET GLOBAL gtid_slave_pos='$pos'; \
  CHANGE MASTER TO MASTER_HOST='127.0.0.12', MASTER_PORT=3306, MASTER_USER='slave', \
  MASTER_PASSWORD='$(cat "$dir/repl.pass")', MASTER_USE_GTID=slave_pos; START SLAVE" >/dev/null
log_has "event=rejoined .*instance=node1" $(( (interval_ms + margin_ms) / 1000 ))
wait_for replica.mysql.service.consul 127.0.0.11 $(( (interval_ms + margin_ms) / 1000 )) >/dev/null
[ "$(state_get fenced)" = "" ] || fail "node1 is still fenced in the state file: '$(state_get fenced)'"
[ "$(state_get diverged)" = "{}" ] || fail "the state file still lists a divergence: '$(state_get diverged)'"
cluster sql 2 "INSERT INTO app.t (v) VALUES ('after-rebuild')" >/dev/null
poll_sql 1 "SELECT COUNT(*) FROM app.t WHERE v = 'after-rebuild'" 1 10
ok "rebuilt and pointed at node2 by hand, node1 is unfenced, published as a replica and replicates"
no_action_storm
finish
