#!/usr/bin/env bash
# The replica is behind when the primary dies: its IO thread has received
# rows its SQL thread has not applied yet (MASTER_DELAY holds them). Before
# promoting, failoverdns waits for the relay log to be applied, so every
# row the replica had received exists on the new primary.
source "$(dirname "$0")/scenario_lib.sh"
scenario_start
rows=20
cluster sql 2 "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=4; START SLAVE" >/dev/null
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
ok "node2 received all $rows rows but applied only $applied"

cluster kill 1 >/dev/null
ms=$(wait_for mysql.service.consul 127.0.0.12 20)
ok "the name moved to node2 in ${ms} ms (after the relay log was applied)"
[ "$(cluster sql 2 "SELECT COUNT(*) FROM app.t WHERE v LIKE 'behind-%'")" = $rows ] || fail "rows node2 had received are missing after promotion"
ok "all $rows received rows exist on the new primary"
grep -E "event=relay_log_applied" "$log" >/dev/null || fail "no relay_log_applied line"
grep -E "event=relay_log_applied" "$log" | head -1 | cut -c1-200
wait_ms=$(grep -oE 'event=failover_complete.*' "$log" | head -1)
echo "  $wait_ms" | cut -c1-200
finish
