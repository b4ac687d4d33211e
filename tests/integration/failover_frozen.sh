#!/usr/bin/env bash
# A hung primary (SIGSTOP: TCP still accepts, nothing answers) is detected
# by failoverdns's own probe timeout, not the replica's slave_net_timeout:
# the name moves within failcount * interval + timeout plus a margin, even
# though the replica may still show its IO thread running; the thawed old
# primary is fenced and never published again.
source "$(dirname "$0")/failover_lib.sh"
scenario_start
ok "node1 is the primary"

mark
cluster freeze 1 >/dev/null
ms=$(wait_since_mark mysql.service.consul 127.0.0.12 $hung_deadline_ms)
ok "node1 frozen: the name moved to node2 in ${ms} ms (deadline ${hung_deadline_ms} ms)"
echo "  failover_complete: $(grep -oE 'event=failover_complete .*' "$log" | head -1 | grep -oE '(detection|relay_log_wait|promotion|outage)=[^ ]+' | paste -sd' ' -)"
[ "$(cluster sql 2 'SELECT @@read_only')" = 0 ] || fail "node2 is still read-only"
[ -z "$(cluster sql 2 'SHOW ALL SLAVES STATUS')" ] || fail "node2 still has a replication connection"
ok "node2 is writable and no longer a replica"

# Thawed, node1 still believes it is a writable primary: it must be fenced
# without ever being published again.
watch_primary 127.0.0.11
up=$(now_ms)
cluster thaw 1 >/dev/null
poll_sql 1 "SELECT @@read_only" 1 $(( (interval_ms + margin_ms) / 1000 ))
ok "node1 thawed: fenced read-only after $(( $(now_ms) - up )) ms"
wait_for replica.mysql.service.consul 127.0.0.11 15 >/dev/null
[ "$(replication_of 1)" = "127.0.0.12 Yes Yes" ] || fail "node1 does not replicate from node2: '$(replication_of 1)'"
watch_end
[ "$(ask mysql.service.consul)" = 127.0.0.12 ] || fail "the primary is '$(ask mysql.service.consul)', expected node2"
ok "node1 rejoined as a replica, never the primary again; node2 stays the primary"
no_action_storm
finish
