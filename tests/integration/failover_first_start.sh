#!/usr/bin/env bash
# First start (no state file): the primary is the single writable,
# non-replicating instance and the state file records it. With two such
# instances nothing is published and an error names both (split brain).
source "$(dirname "$0")/scenario_lib.sh"
scenario_start
/usr/bin/python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["primary"]=="node1" and s["epoch"]==1, s' "$state" ||
  fail "the first start did not record node1 as the primary"
ok "first start: node1 published and recorded in the state file (epoch 1)"

stop_daemon
rm -f "$state"
cluster sql 2 "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only=0" >/dev/null
ok "node2 made a second writable, non-replicating server; state file removed"
start_daemon -config-file "$work/config.json"
log_has "event=split_brain" 10
line=$(grep -E "event=split_brain" "$log" | head -1)
[[ $line == *node1* && $line == *node2* ]] || fail "the split-brain error does not name both: $line"
ok "split brain reported, naming node1 and node2"
deadline=$(( $(now_ms) + 3000 ))
while [ "$(now_ms)" -lt "$deadline" ]; do
  [ -z "$(ask mysql.service.consul)" ] || fail "a primary was published during a split brain: $(ask mysql.service.consul)"
  sleep 0.2
done
status=$(dig +time=1 +tries=1 @127.0.0.1 -p "$port" mysql.service.consul | grep -oE 'status: [A-Z]+')
[ "$status" = "status: NXDOMAIN" ] || fail "expected NXDOMAIN, got $status"
ok "nothing published: mysql.service.consul is NXDOMAIN"
finish
