#!/usr/bin/env bash
# First start (no state file): the primary is the single writable,
# non-replicating instance and the state file records it. With two such
# instances nothing is published, nothing is recorded, and an error names
# both (split brain).
source "$(dirname "$0")/failover_lib.sh"
scenario_start
[ "$(state_get primary) $(state_get epoch)" = "node1 1" ] || fail "the first start did not record node1, epoch 1"
ok "first start: node1 published and recorded in the state file (epoch 1)"
wait_for replica.mysql.service.consul 127.0.0.12 10 >/dev/null
ok "node2 published as the replica"

stop_daemon
rm -f "$state"
cluster sql 2 "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only=0" >/dev/null
ok "node2 made a second writable, non-replicating server; state file removed"
start_daemon -config-file "$work/config.json"
wait_serving 10
log_has "event=split_brain" 10
line=$(grep -E "event=split_brain" "$log" | head -1)
[[ $line == *node1* && $line == *node2* ]] || fail "the split-brain error does not name both: $line"
ok "split brain reported, naming node1 and node2"
hold mysql.service.consul "" 3000 "nothing may be published during a split brain"
[ "$(rcode mysql.service.consul)" = NXDOMAIN ] || fail "expected NXDOMAIN, got '$(rcode mysql.service.consul)'"
[ "$(rcode master.mysql.service.consul)" = NXDOMAIN ] || fail "master.mysql: expected NXDOMAIN, got '$(rcode master.mysql.service.consul)'"
ok "nothing published: mysql.service.consul and master.mysql are NXDOMAIN"
[ ! -e "$state" ] || fail "a state file was written during a split brain: $(cat "$state")"
[ "$(cluster sql 1 'SELECT @@read_only') $(cluster sql 2 'SELECT @@read_only')" = "0 0" ] || fail "failoverdns changed read_only on an instance it could not judge"
ok "no state file written, neither instance touched"
finish
