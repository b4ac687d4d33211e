#!/usr/bin/env bash
# A primary that answers with an error is alive (issue 8, defect 1). Full
# (max_connections) or refusing failoverdns's account, with its replica's
# binlog connection gone too: failoverdns must not fail over -- the
# application's open connections keep writing to node1, and a promoted
# node2 beside it would be split brain. It keeps publishing node1, says so,
# and gets in through the connection MariaDB keeps for CONNECTION ADMIN.
source "$(dirname "$0")/failover_lib.sh"
scenario_start
app_pass=$(cat "$dir/app.pass")
app_sql() { mariadb --no-defaults -h 127.0.0.11 -u app -p"$app_pass" --connect-timeout=2 -N -B -e "$1" 2>&1; }
ok "node1 published"

# (1) node1 full. The daemon is stopped meanwhile so it holds no connection
# that could be handed back; its restart must connect to a full server.
stop_daemon
cluster sql 1 "SET GLOBAL max_connections = 6" >/dev/null
sleepers=()
app_connections_at_least() {
  [ "$(cluster sql 1 "SELECT COUNT(*) FROM information_schema.processlist WHERE user = 'app'")" -ge "$1" ]
}
# Opens one more idle application connection (as a pool holds them) and
# waits for the server to count it; true once the server is full.
full_after_one_more() {
  local out
  out=$(app_sql "SELECT 1" 2>&1 || true)
  [[ $out != *"Too many connections"* ]] || return 0
  mariadb --no-defaults -h 127.0.0.11 -u app -p"$app_pass" -e "SELECT SLEEP(600)" >/dev/null 2>&1 &
  sleepers+=($!)
  poll_until 3000 "node1 counting ${#sleepers[@]} app connections" app_connections_at_least ${#sleepers[@]}
  return 1
}
for _ in $(seq 1 300); do full_after_one_more && break; done
[[ $(app_sql "SELECT 1" 2>&1 || true) == *"Too many connections"* ]] || fail "node1 did not fill up after ${#sleepers[@]} connections"
ok "node1 is full: the application gets 'Too many connections' (${#sleepers[@]} idle connections)"
cluster sql 2 "STOP SLAVE" >/dev/null
start_daemon -config-file "$work/config.json"
wait_for mysql.service.consul 127.0.0.11 15 >/dev/null
hold mysql.service.consul 127.0.0.11 $hung_deadline_ms "node1 is full, not dead"
! grep -qE "event=(primary_down|failover_started|promoting)" "$log" || fail "node1 was taken for dead: $(grep -E "event=(primary_down|failover_started)" "$log" | head -1)"
[ "$(cluster sql 2 'SELECT @@read_only')" = 1 ] || fail "node2 was made writable"
ok "a full node1 is still probed (CONNECTION ADMIN) and keeps its name; node2 stays a read-only replica"
cluster sql 1 "SET GLOBAL max_connections = 151" >/dev/null
kill "${sleepers[@]}" 2>/dev/null || true

# (2) node1 refuses failoverdns's account (a password changed on node1
# alone), the replica still stopped: alive, so reported and not failed over.
cluster sql 1 "SET sql_log_bin = 0; ALTER USER failoverdns@'%' IDENTIFIED BY 'changed-by-someone'" >/dev/null
for id in $(cluster sql 1 "SELECT id FROM information_schema.processlist WHERE user = 'failoverdns'"); do
  cluster sql 1 "KILL $id" >/dev/null 2>&1 || true
done
log_has "event=probe_refused .*instance=node1 .*error=.*1045" 10
grep -E "event=probe_refused .*instance=node1" "$log" | head -1 | grep -q "role=primary" || fail "probe_refused does not say node1 is the primary"
hold mysql.service.consul 127.0.0.11 $hung_deadline_ms "node1 refuses failoverdns, it is not dead"
! grep -qE "event=(primary_down|failover_started|promoting)" "$log" || fail "node1 was taken for dead: $(grep -E "event=(primary_down|failover_started)" "$log" | head -1)"
ok "node1 refusing failoverdns's account is reported and keeps its name"

cluster sql 1 "SET sql_log_bin = 0; ALTER USER failoverdns@'%' IDENTIFIED BY '$(cat "$dir/probe.pass")'" >/dev/null
log_has "event=probe_answered_again .*instance=node1" 10
cluster sql 2 "START SLAVE" >/dev/null
wait_for replica.mysql.service.consul 127.0.0.12 10 >/dev/null
ok "account fixed: probes answer again, node2 replicates again"
no_action_storm
finish
