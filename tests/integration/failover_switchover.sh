#!/usr/bin/env bash
# A planned switchover under a running writer: the primary goes read-only,
# its client sessions end, the target applies everything, is promoted and
# published, the old primary becomes its replica -- and no acknowledged row
# is lost. A switchover to a frozen target is rolled back: the old primary
# is writable again, nothing promoted. Refusals say why. Maintenance takes
# a replica out of DNS and promotion (kept across a restart); on the
# primary it switches over first.
source "$(dirname "$0")/failover_lib.sh"
scenario_start '"switchover_timeout": "2s"'
ok "node1 is the primary"
api=http://127.0.0.1:8500
app_pass=$(cat "$dir/app.pass")

# The writer resolves the name before every insert, as a client without
# a pool does; a row is acknowledged when its INSERT returned OK.
writer() {
  local i=0 host
  while [ ! -f "$work/stop" ]; do
    i=$((i + 1))
    host=$(ask mysql.service.consul)
    case "$host" in ""|*" "*|"$no_response") sleep 0.01; continue ;; esac
    if mariadb -h "$host" -u app -p"$app_pass" app -N -e "INSERT INTO t (v) VALUES ('w$i')" 2>/dev/null; then
      echo "w$i" >>"$work/acked"
    fi
  done
}
acked_count() { [ -f "$work/acked" ] && wc -l <"$work/acked" || echo 0; }
writer &
writer_pid=$!
cleanup_more() { touch "$work/stop"; wait "$writer_pid" 2>/dev/null; cluster down >/dev/null 2>&1; }
writes_flow() { [ "$(acked_count)" -ge "$1" ] || { echo "$(acked_count) rows acknowledged"; return 1; }; }
poll_until 10000 "the writer writing" writes_flow 20

# --- Refused: the reason, nothing touched.
out=$(curl -sS -X POST "$api/v1/failover/mysql/switchover?to=node9")
[ "$(jq -r '.Outcome + ": " + .error' <<<"$out")" = "refused: node9 is not an instance of mysql" ] || fail "refusal: $out"
[ "$(cluster sql 1 'SELECT @@read_only')" = 0 ] || fail "a refused switchover touched node1"
ok "a switchover to an unknown instance is refused (409) with the reason; node1 untouched"

# --- The switchover, by the command line, under the writer.
before=$(acked_count)
mark
out=$("$daemon" switchover -service mysql -to node2) || fail "failoverdns switchover: exit $?: $out"
took=$(waited_ms)
echo "  $out"
grep -q "^switchover complete: node2 is the primary (epoch 2), node1 was demoted" <<<"$out" || fail "output: $out"
[ "$(ask mysql.service.consul)" = 127.0.0.12 ] || fail "DNS answers $(ask mysql.service.consul) after the switchover"
[ "$(cluster sql 2 'SELECT @@read_only')" = 0 ] || fail "node2 is read-only"
[ "$(jq -r '.primary + " " + (.epoch|tostring)' "$state")" = "node2 2" ] || fail "state: $(cat "$state")"
[ "$(curl -sS "$api/v1/failover/mysql" | jq -r '.Failovers[0] | .Kind + " " + .Outcome + " " + .OldPrimary + "->" + .NewPrimary')" = \
  "switchover complete node1->node2" ] || fail "/v1/failover's history: $(curl -sS "$api/v1/failover/mysql" | jq -c .Failovers)"
ok "switchover to node2 in ${took} ms (command line, exit 0): DNS, node2 writable, state file epoch 2, in /v1/failover's history"
grep -oE 'event=switchover_(started|demoted|caught_up|complete) .*' "$log" | sed -E 's/ (next|old_primary|target|service)=("[^"]*"|[^ ]*)//g; s/^/    /'

poll_until 15000 "node1 a replica of node2" sql_is 1 "SELECT @@read_only" 1
rejoined() { [ "$(replication_of 1)" = "127.0.0.12 Yes Yes" ] || { echo "node1 replication: $(replication_of 1)"; return 1; }; }
poll_until 15000 "node1 replicating from node2" rejoined
poll_until 10000 "the writer writing to node2" writes_flow $((before + 40))
ok "node1 is read-only and replicates from node2; the writer goes on ($(( $(acked_count) - before )) rows since)"

# --- A frozen target: the old primary is made writable again, nothing promoted.
cluster freeze 1 >/dev/null
code=0
out=$("$daemon" switchover -service mysql -to node1 2>&1) || code=$?
cluster thaw 1 >/dev/null
[ $code = 1 ] || fail "switchover to a frozen target: exit $code, $out"
grep -q "rolled back, nothing promoted: node1 did not apply" <<<"$out" || fail "rollback message: $out"
[ "$(cluster sql 2 'SELECT @@read_only')" = 0 ] || fail "node2 was left read-only"
[ "$(jq -r '.primary + " " + (.epoch|tostring)' "$state")" = "node2 2" ] || fail "state after the rollback: $(cat "$state")"
poll_until 5000 "DNS on node2" answer_is mysql.service.consul 127.0.0.12
grep -q "event=switchover_rolled_back" "$log" || fail "no switchover_rolled_back in the log"
ok "a switchover to a frozen node1 rolled back (exit 1, the reason): node2 writable again, epoch 2, DNS on node2"
poll_until 10000 "the writer writing after the rollback" writes_flow $(( $(acked_count) + 20 ))

# --- Maintenance: a replica out of DNS and promotion, across a restart.
poll_until 15000 "node1 a replica again" answer_is replica.mysql.service.consul 127.0.0.11
out=$("$daemon" maint -enable -service-id node1 -reason "disk swap") || fail "maint -enable: exit $?: $out"
[ "$out" = "node1: maintenance enabled" ] || fail "maint output: $out"
poll_until 3000 "node1 out of replica.mysql" answer_is replica.mysql.service.consul ""
[ "$(curl -sS "$api/v1/failover/mysql" | jq -r '.Instances[0] | (.Maintenance|tostring) + " " + .MaintenanceReason')" = "true disk swap" ] ||
  fail "status: $(curl -sS "$api/v1/failover/mysql")"
[ "$(jq -r '.maintenance.node1' "$state")" = "disk swap" ] || fail "state file: $(cat "$state")"
stop_daemon
start_daemon -config-file "$work/config.json"
wait_for mysql.service.consul 127.0.0.12 15 >/dev/null
hold replica.mysql.service.consul "" 2000
out=$(curl -sS -X POST "$api/v1/failover/mysql/switchover")
[ "$(jq -r .error <<<"$out")" = "no replica could take over: node1: in maintenance (disk swap)" ] || fail "switchover with node1 in maintenance: $out"
ok "maintenance on replica node1: out of replica.mysql, kept across a restart, never a switchover target"

[ "$(curl -sS -o /dev/null -w '%{http_code}' -X PUT "$api/v1/agent/service/maintenance/node1?enable=false")" = 200 ] ||
  fail "maintenance off"
poll_until 5000 "node1 back in replica.mysql" answer_is replica.mysql.service.consul 127.0.0.11
before=$(acked_count)
out=$(curl -sS -X PUT "$api/v1/agent/service/maintenance/node2?enable=true&reason=kernel+upgrade")
[ "$(jq -r '.ID + " " + (.Maintenance|tostring) + " " + .Reason' <<<"$out")" = "node2 true kernel upgrade" ] || fail "maintenance on the primary: $out"
[ "$(ask mysql.service.consul)" = 127.0.0.11 ] || fail "the primary is $(ask mysql.service.consul) after maintenance on node2"
poll_until 15000 "node2 read-only" sql_is 2 "SELECT @@read_only" 1
hold replica.mysql.service.consul "" 1500
poll_until 10000 "the writer writing to node1" writes_flow $((before + 20))
ok "maintenance on the primary node2: switched over to node1 first, then node2 out of DNS; writes go on"

# --- Not one acknowledged row lost.
touch "$work/stop"
wait "$writer_pid"
total=$(acked_count)
on_primary=$(cluster sql 1 "SELECT v FROM app.t WHERE v LIKE 'w%'" | sort)
lost=$(sort "$work/acked" | comm -23 - <(echo "$on_primary") | wc -l)
[ "$lost" = 0 ] || fail "$lost of $total acknowledged rows are not on node1: $(sort "$work/acked" | comm -23 - <(echo "$on_primary") | head -5 | paste -sd' ')"
ok "$total acknowledged rows over two switchovers and a rollback, 0 lost (all on the primary node1)"
finish
