#!/usr/bin/env bash
# Three nodes: the most advanced replica is promoted and the other follows
# it. node3 is held back by stopping its IO thread before the last writes
# (so it has received less than node2), then restarted after the kill: it
# can then receive nothing more from the dead primary.
nodes=3
source "$(dirname "$0")/scenario_lib.sh"
scenario_start
wait_for replica.mysql.service.consul "127.0.0.12 127.0.0.13" 10 >/dev/null
ok "node1 primary, node2 and node3 replicas"

cluster sql 3 "STOP SLAVE IO_THREAD" >/dev/null
for i in 1 2 3; do cluster sql 1 "INSERT INTO app.t (v) VALUES ('three-$i')" >/dev/null; done
poll_sql 2 "SELECT COUNT(*) FROM app.t WHERE v LIKE 'three-%'" 3 10
ok "node2 received 3 rows that node3 did not"

cluster kill 1 >/dev/null
cluster sql 3 "START SLAVE IO_THREAD" >/dev/null
ms=$(wait_for mysql.service.consul 127.0.0.12 10)
ok "the name moved to node2 (the most advanced) in ${ms} ms"

deadline=$(( $(now_ms) + 15000 ))
until [ "$(replication_of 3)" = "127.0.0.12 Yes Yes" ]; do
  [ "$(now_ms)" -lt "$deadline" ] || fail "node3 was not redirected to node2: $(replication_of 3)"
  sleep 0.2
done
ok "node3 replicates from node2"
poll_sql 3 "SELECT COUNT(*) FROM app.t WHERE v LIKE 'three-%'" 3 10
ok "node3 caught up with the rows only node2 had"
wait_for replica.mysql.service.consul 127.0.0.13 10 >/dev/null
ok "node3 is listed under replica.mysql"
cluster sql 2 "INSERT INTO app.t (v) VALUES ('after')" >/dev/null
poll_sql 3 "SELECT COUNT(*) FROM app.t WHERE v = 'after'" 1 10
ok "a row written on node2 reaches node3"
finish
