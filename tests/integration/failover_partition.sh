#!/usr/bin/env bash
# failoverdns loses the primary while the replicas do not: the daemon runs
# as `nobody` and nftables drops only that user's packets to node1. The
# replica keeps receiving events and heartbeats, so it vouches that the
# primary lives: failoverdns logs that it is the one cut off, promotes
# nobody (no split brain), and keeps answering node1 -- clients that can
# reach node1 keep working, and NXDOMAIN would only turn a partition of the
# DNS server into an outage. Healed, the daemon watches as before; cut off
# again and then the primary really dies: the veto ends, it fails over.
source "$(dirname "$0")/failover_lib.sh"
cluster up 2 >/dev/null
# The daemon's own files, readable and writable by nobody only.
install -d -o nobody -m 700 "$work/daemon"
install -o nobody -m 600 "$dir/probe.pass" "$work/daemon/probe.pass"
install -o nobody -m 600 "$dir/repl.pass" "$work/daemon/repl.pass"
state=$work/daemon/mysql.state
write_config
sed -i "s#$dir/probe.pass#$work/daemon/probe.pass#; s#$dir/repl.pass#$work/daemon/repl.pass#" "$work/config.json"
chmod 644 "$work/config.json"
start_daemon setpriv --reuid=nobody --regid=nogroup --clear-groups -- -config-file "$work/config.json"
wait_for mysql.service.consul 127.0.0.11 15 >/dev/null
[ "$(state_get primary)" = node1 ] || fail "the daemon (as nobody) did not write its state file"
ok "failoverdns, running as nobody, publishes node1 and keeps its state file"

mark
cluster blackhole 1 --uid nobody >/dev/null
cluster sql 1 "INSERT INTO app.t (v) VALUES ('during-partition')" >/dev/null
poll_sql 2 "SELECT COUNT(*) FROM app.t WHERE v = 'during-partition'" 1 5
ok "node1 cut off from failoverdns only: replication still flows"

# Until failoverdns has given up on node1 and been vetoed, then 3 s more
# (three further probe rounds) and at least 8 s in all: node1 all along.
hold_until mysql.service.consul 127.0.0.11 "event=(failover_vetoed|replicas_still_receiving)" $hung_deadline_ms
grep -qE "event=primary_down .*instance=node1" "$log" || fail "no primary_down line for node1"
veto_ms=$(waited_ms)
hold mysql.service.consul 127.0.0.11 $(( veto_ms + 3000 > 8000 ? 3000 : 8000 - veto_ms )) "failoverdns alone lost node1"
ok "node1 down for failoverdns, vetoed by the replica after ${veto_ms} ms; the name kept node1 for $(waited_ms) ms"
grep -E "event=(failover_vetoed|replicas_still_receiving)" "$log" | head -1 | grep -q node2 || fail "the veto line does not name the vouching replica node2"
! grep -qE "event=(failover_started|promoting|promoted)" "$log" || fail "a failover was started: $(grep -E "event=(failover_started|promoting)" "$log" | head -1)"
[ "$(cluster sql 2 'SELECT @@read_only')" = 1 ] || fail "node2 was made writable"
[ "$(replication_of 2)" = "127.0.0.11 Yes Yes" ] || fail "node2 stopped replicating: $(replication_of 2)"
[ "$(state_get primary) $(state_get epoch)" = "node1 1" ] || fail "the state file changed: '$(state_get primary) $(state_get epoch)'"
ok "no promotion: node2 is still a read-only replica of node1, state file unchanged"

cluster unblackhole 1 >/dev/null
log_has "event=primary_recovered .*instance=node1" 5
cluster sql 1 "INSERT INTO app.t (v) VALUES ('after-partition')" >/dev/null
poll_sql 2 "SELECT COUNT(*) FROM app.t WHERE v = 'after-partition'" 1 5
[ "$(ask mysql.service.consul)" = 127.0.0.11 ] || fail "after the partition the name is '$(ask mysql.service.consul)'"
wait_for replica.mysql.service.consul 127.0.0.12 5 >/dev/null
ok "partition healed: node1 recovered for failoverdns, node2 its replica"

# Cut off again, then node1 really dies: the replica loses it too, so the
# veto must not outlive that.
vetoes=$(grep -cE "event=(failover_vetoed|replicas_still_receiving)" "$log" || true)
cluster blackhole 1 --uid nobody >/dev/null
more_vetoes_than() { [ "$(grep -cE "event=(failover_vetoed|replicas_still_receiving)" "$log" || true)" -gt "$1" ]; }
poll_until "$hung_deadline_ms" "cut off a second time, failoverdns detecting and vetoing again" more_vetoes_than "$vetoes"
ok "cut off a second time: detected and vetoed again"
mark
cluster kill 1 >/dev/null
ms=$(wait_since_mark mysql.service.consul 127.0.0.12 $refused_deadline_ms)
[ "$(cluster sql 2 'SELECT @@read_only')" = 0 ] || fail "node2 is still read-only"
ok "then node1 really died: the replica lost it too, node2 primary in ${ms} ms"
no_action_storm
finish
