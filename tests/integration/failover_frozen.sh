#!/usr/bin/env bash
# A hung primary (SIGSTOP: TCP still accepts, nothing answers) is detected
# by failoverdns's own probe timeout, not the replica's slave_net_timeout:
# the name moves within failcount * interval + timeout plus a margin, even
# though the replica may still show its IO thread running; the thawed old
# primary is fenced and never published again.
source "$(dirname "$0")/scenario_lib.sh"
scenario_start
ok "node1 is the primary"

cluster freeze 1 >/dev/null
# 3 * 1s + 1s, plus promotion and a margin for a loaded 2-core machine.
ms=$(wait_for mysql.service.consul 127.0.0.12 8)
ok "node1 frozen: the name moved to node2 in ${ms} ms"
[ "$(cluster sql 2 'SELECT @@read_only')" = 0 ] || fail "node2 is still read-only"
ok "node2 is writable"

cluster thaw 1 >/dev/null
poll_sql 1 "SELECT @@read_only" 1 10
ok "node1 thawed: fenced read-only"
wait_for replica.mysql.service.consul 127.0.0.11 15 >/dev/null
[ "$(ask mysql.service.consul)" = 127.0.0.12 ] || fail "the old primary came back as primary"
ok "node1 rejoined as a replica; node2 stays the primary"
finish
