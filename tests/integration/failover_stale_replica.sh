#!/usr/bin/env bash
# A replica whose IO thread is broken must not be promoted (issue 8, defect
# 2): node2's replication password is wrong, so it sits in "Connecting"
# with error 1045 while node1 takes writes. failoverdns says so
# (replication_broken, with the server's error); when node1 then dies it
# refuses to promote the stale node2 (failover_refused, with the missing
# GTID range) instead of silently dropping every row since the break. When
# node1 comes back nothing was lost and it is published again.
source "$(dirname "$0")/failover_lib.sh"
scenario_start
ok "node1 published"

cluster sql 2 "STOP SLAVE; CHANGE MASTER TO MASTER_PASSWORD = 'wrong-password'; START SLAVE" >/dev/null
for i in $(seq 1 20); do cluster sql 1 "INSERT INTO app.t (v) VALUES ('after-break-$i')" >/dev/null; done
log_has "event=replication_broken service=mysql instance=node2 .*io_error=\"?1045" $(( (hung_deadline_ms + margin_ms) / 1000 ))
[ -z "$(ask replica.mysql.service.consul)" ] || fail "node2 is still offered as a replica: $(ask replica.mysql.service.consul)"
ok "node2's broken replication is reported with the server's error, and it leaves replica.mysql"

mark
cluster kill 1 >/dev/null
log_has "event=failover_refused service=mysql instance=node1 candidate=node2" $(( (refused_deadline_ms + margin_ms) / 1000 ))
line=$(grep -E "event=failover_refused" "$log" | head -1)
[[ $line == *"not receiving from node1"* ]] || fail "failover_refused does not say why: $line"
[[ $line == *accept_data_loss* ]] || fail "failover_refused does not say how to accept the loss: $line"
hold mysql.service.consul "" 3000 "no primary may be published: node2 lacks node1's last writes"
[ "$(cluster sql 2 'SELECT @@read_only')" = 1 ] || fail "node2 was made writable"
! grep -qE "event=(failover_started|promoting|promoted)" "$log" || fail "a promotion was started: $(grep -E "event=(failover_started|promoting)" "$log" | head -1)"
ok "node1 dead: the stale node2 is not promoted, the refusal names the reason and the override"

cluster start 1 >/dev/null
wait_for mysql.service.consul 127.0.0.11 20 >/dev/null
[ "$(cluster sql 1 "SELECT COUNT(*) FROM app.t WHERE v LIKE 'after-break-%'")" = 20 ] || fail "rows written after the break are missing on node1"
ok "node1 back: published again, with every row"
finish
