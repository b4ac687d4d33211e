#!/usr/bin/env bash
# failoverdns loses the primary while the replicas do not: the daemon runs
# as `nobody` and nftables drops only that user's packets to node1. The
# replica keeps receiving events and heartbeats, so it vouches that the
# primary lives: failoverdns logs that it is the one cut off, promotes
# nobody (no split brain), and keeps answering node1.
source "$(dirname "$0")/scenario_lib.sh"
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
ok "failoverdns, running as nobody, publishes node1"

cluster blackhole 1 --uid nobody >/dev/null
cluster sql 1 "INSERT INTO app.t (v) VALUES ('during-partition')" >/dev/null
poll_sql 2 "SELECT COUNT(*) FROM app.t WHERE v = 'during-partition'" 1 10
ok "node1 cut off from failoverdns only: replication still flows"

log_has "event=primary_down" 10
log_has "event=(failover_vetoed|replicas_still_receiving)" 10
ok "failoverdns saw node1 down, and that the replica still receives from it"
# Well past detection (4 s): the name stays, nobody is promoted.
deadline=$(( $(now_ms) + 6000 ))
while [ "$(now_ms)" -lt "$deadline" ]; do
  a=$(ask mysql.service.consul)
  [ "$a" = 127.0.0.12 ] && fail "node2 was published during a partition only failoverdns saw"
  sleep 0.2
done
[ "$(ask mysql.service.consul)" = 127.0.0.11 ] || fail "the name should keep node1, it is '$(ask mysql.service.consul)'"
[ "$(cluster sql 2 'SELECT @@read_only')" = 1 ] || fail "node2 was made writable"
[ "$(replication_of 2)" = "127.0.0.11 Yes Yes" ] || fail "node2 stopped replicating: $(replication_of 2)"
ok "no promotion: the name keeps node1, node2 is still a read-only replica"

cluster unblackhole 1 >/dev/null
wait_for replica.mysql.service.consul 127.0.0.12 15 >/dev/null
[ "$(ask mysql.service.consul)" = 127.0.0.11 ] || fail "after the partition the name is '$(ask mysql.service.consul)'"
ok "partition healed: node1 primary, node2 replica"
finish
