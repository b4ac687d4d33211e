#!/usr/bin/env bash
# The replica is behind when the primary dies: its IO thread has received
# rows its SQL thread has not applied yet (MASTER_DELAY holds them; unlike a
# stopped SQL thread or a held table lock, the replica looks healthy and
# replicating to the decider). Before promoting, failoverdns waits for the
# relay log to be applied, so every row the replica had received exists on
# the new primary the moment the name moves.
source "$(dirname "$0")/failover_lib.sh"
scenario_start
rows=20 delay_s=4
cluster sql 2 "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=$delay_s; START SLAVE" >/dev/null
for i in $(seq $rows); do echo "INSERT INTO app.t (v) VALUES ('behind-$i');"; done | cluster sql 1 >/dev/null
# Received: node2's Gtid_IO_Pos reached node1's binlog position.
target=$(cluster sql 1 "SELECT @@gtid_binlog_pos")
deadline=$(( $(now_ms) + 10000 ))
until [ "$(mariadb --socket="$dir/node2/mysqld.sock" -u root -e 'SHOW SLAVE STATUS\G' | awk '/Gtid_IO_Pos:/ {print $2}')" = "$target" ]; do
  [ "$(now_ms)" -lt "$deadline" ] || fail "node2 did not receive up to $target"
  sleep 0.1
done
applied=$(cluster sql 2 "SELECT COUNT(*) FROM app.t WHERE v LIKE 'behind-%'")
[ "$applied" -lt $rows ] || fail "test set-up: node2 applied everything already ($applied)"
ok "node2 received all $rows rows (up to $target) but applied only $applied"

mark
cluster kill 1 >/dev/null
deadline_ms=$(( refused_deadline_ms + delay_s * 1000 ))
ms=$(wait_since_mark mysql.service.consul 127.0.0.12 $deadline_ms)
# Counted at once: rows applied after the name moved would be too late.
got=$(cluster sql 2 "SELECT COUNT(*) FROM app.t WHERE v LIKE 'behind-%'")
[ "$got" = $rows ] || fail "only $got of the $rows rows node2 had received exist on it after promotion"
ok "the name moved to node2 in ${ms} ms (deadline ${deadline_ms} ms); all $rows received rows exist on it"
[ "$(cluster sql 2 'SELECT @@read_only')" = 0 ] || fail "node2 is still read-only"
[ -z "$(cluster sql 2 'SHOW ALL SLAVES STATUS')" ] || fail "node2 still has a replication connection (and its MASTER_DELAY)"
ok "node2 is writable, its delayed replication connection gone"
[ "$(state_get promotion.gtid_binlog_pos)" = "$target" ] ||
  fail "the state file records '$(state_get promotion.gtid_binlog_pos)' as the promotion position, expected $target"
ok "the state file records the promotion at $target"
waited=$(log_field failover_complete relay_log_wait)
[ -n "$waited" ] || fail "failover_complete does not report relay_log_wait"
grep -qE "event=relay_log_applied" "$log" || fail "no relay_log_applied line"
ok "relay log wait: $waited (failover_complete: $(grep -oE 'event=failover_complete .*' "$log" | head -1 | grep -oE '(detection|relay_log_wait|promotion|outage)=[^ ]+' | paste -sd' ' -))"
no_action_storm
finish
