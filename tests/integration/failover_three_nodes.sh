#!/usr/bin/env bash
# Three nodes: the most advanced replica is promoted and the other follows
# it. node2 -- first in the configuration, so a decider that took the first
# healthy replica would pick it -- is the one held back: its IO thread is
# stopped before the last writes, which node3 then receives. Its IO thread
# is started again only after node1 is killed, so it can never receive
# them, yet it is a normal, running replica again when failoverdns decides.
# Hence the expectation: node3 promoted, node2 redirected to it.
nodes=3
source "$(dirname "$0")/failover_lib.sh"
scenario_start
wait_for replica.mysql.service.consul "127.0.0.12 127.0.0.13" 10 >/dev/null
ok "node1 primary, node2 and node3 replicas"

cluster sql 2 "STOP SLAVE IO_THREAD" >/dev/null
for i in 1 2 3; do cluster sql 1 "INSERT INTO app.t (v) VALUES ('three-$i')" >/dev/null; done
poll_sql 3 "SELECT COUNT(*) FROM app.t WHERE v LIKE 'three-%'" 3 10
[ "$(cluster sql 2 "SELECT COUNT(*) FROM app.t WHERE v LIKE 'three-%'")" = 0 ] || fail "test set-up: node2 got the rows"
ok "node3 received 3 rows that node2 did not"

mark
cluster kill 1 >/dev/null
cluster sql 2 "START SLAVE IO_THREAD" >/dev/null
ms=$(wait_since_mark mysql.service.consul 127.0.0.13 $refused_deadline_ms)
ok "the name moved to node3 (the most advanced, not the first configured) in ${ms} ms"
[ "$(cluster sql 3 'SELECT @@read_only')" = 0 ] || fail "node3 is still read-only"
[ "$(cluster sql 2 'SELECT @@read_only')" = 1 ] || fail "node2 was made writable"
ok "node3 writable, node2 still read-only"

deadline=$(( $(now_ms) + 10000 ))
until [ "$(replication_of 2)" = "127.0.0.13 Yes Yes" ]; do
  [ "$(now_ms)" -lt "$deadline" ] || fail "node2 was not redirected to node3: '$(replication_of 2)'"
  sleep 0.2
done
ok "node2 replicates from node3 (IO and SQL running)"
poll_sql 2 "SELECT COUNT(*) FROM app.t WHERE v LIKE 'three-%'" 3 10
ok "node2 caught up with the rows only node3 had"
wait_for replica.mysql.service.consul 127.0.0.12 10 >/dev/null
ok "node2 is listed under replica.mysql"
cluster sql 3 "INSERT INTO app.t (v) VALUES ('after')" >/dev/null
poll_sql 2 "SELECT COUNT(*) FROM app.t WHERE v = 'after'" 1 10
ok "a row written on node3 reaches node2"
no_action_storm
finish
