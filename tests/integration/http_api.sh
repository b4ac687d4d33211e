#!/usr/bin/env bash
# The HTTP API against the real daemon and a real cluster: Consul's read
# endpoints with the fields a consul-template or jq script reads, checked
# against what dig and MariaDB show; /v1/failover; a blocking query that
# returns the moment a failover is published; writes refused outside
# http_acl and without the token; limits and bad requests answered with a
# JSON error.
source "$(dirname "$0")/failover_lib.sh"
api=http://127.0.0.1:8500  # Consul's default, and ours
config_extra='"http_acl": ["127.0.0.2/32"], "limits": {"http_max_conns_per_client": 3}'
scenario_start
ok "node1 is the primary"

get() { curl -sS --max-time 5 "$api$1"; }
# status METHOD PATH [curl args...]: the HTTP status code only.
status() { local m=$1 p=$2; shift 2; curl -sS -o /dev/null -w '%{http_code}' --max-time 5 -X "$m" "$@" "$api$p"; }

# --- Consul's endpoints, against dig.
master=$(get '/v1/health/service/mysql?passing&tag=master')
[ "$(jq -r 'length' <<<"$master")" = 1 ] || fail "health ?passing&tag=master: $master"
[ "$(jq -r '.[0].Service.Address' <<<"$master")" = "$(ask master.mysql.service.consul)" ] ||
  fail "health says $(jq -r '.[0].Service.Address' <<<"$master"), dig says $(ask master.mysql.service.consul)"
[ "$(jq -r '.[0].Node.Node + " " + .[0].Service.ID + " " + (.[0].Service.Port|tostring)' <<<"$master")" = "node1 node1 3306" ] ||
  fail "health entry: $master"
[ "$(jq -r '[.[0].Checks[].Status] | join(",")' <<<"$master")" = "passing,passing" ] || fail "checks: $master"
replica=$(get '/v1/health/service/mysql?passing&tag=replica')
[ "$(jq -r '.[0].Service.Address' <<<"$replica")" = "$(ask replica.mysql.service.consul)" ] || fail "replica: $replica"
ok "/v1/health/service/mysql?passing&tag=master|replica: the addresses dig gives, with Node, Service and Checks"

[ "$(get /v1/catalog/services | jq -c .mysql)" = '["master","primary","replica","slave"]' ] ||
  fail "catalog/services: $(get /v1/catalog/services)"
[ "$(get /v1/catalog/service/mysql | jq -r '[.[].ServiceAddress] | join(" ")')" = "127.0.0.11 127.0.0.12" ] ||
  fail "catalog/service/mysql: $(get /v1/catalog/service/mysql)"
[ "$(get /v1/catalog/nodes | jq -r '[.[].Node] | join(" ")')" = "node1 node2" ] || fail "catalog/nodes"
[ "$(get /v1/agent/services | jq -r '.node2.Tags | join(",")')" = "replica,slave" ] || fail "agent/services"
[ "$(get /v1/agent/self | jq -r .Config.NodeName)" = test ] || fail "agent/self: $(get /v1/agent/self)"
get /v1/agent/self | grep -qi password && fail "agent/self shows a password"
[ "$(get /v1/status/leader)" = '"127.0.0.1:8300"' ] || fail "status/leader: $(get /v1/status/leader)"
ok "catalog services/service/nodes, agent services/self (no secrets), status/leader"

# --- Ours: /v1/failover/mysql, against MariaDB and the state file.
cluster sql 1 "CREATE DATABASE IF NOT EXISTS t; CREATE TABLE IF NOT EXISTS t.r (id INT PRIMARY KEY); INSERT INTO t.r VALUES (1)" >/dev/null
failover_matches_mariadb() {
  local s want1 want2
  s=$(get /v1/failover/mysql)
  want1=$(cluster sql 1 'SELECT @@gtid_binlog_pos')
  want2=$(cluster sql 2 'SELECT @@gtid_slave_pos')
  [ "$(jq -r '.Instances[0].GtidBinlogPos' <<<"$s")" = "$want1" ] || { echo "node1 binlog $want1: $s"; return 1; }
  [ "$(jq -r '.Instances[1].GtidExecuted' <<<"$s")" = "$want2" ] || { echo "node2 executed $want2: $s"; return 1; }
  [ "$(jq -r '.Instances[1].GtidReceived' <<<"$s")" = "$want1" ] || { echo "node2 received $want1: $s"; return 1; }
}
poll_until 5000 "/v1/failover/mysql shows the GTIDs MariaDB shows" failover_matches_mariadb
s=$(get /v1/failover/mysql)
[ "$(jq -r '.Primary + " " + (.Epoch|tostring) + " " + (.Blocked|tostring)' <<<"$s")" = \
  "node1 $(jq -r .epoch "$state") false" ] || fail "failover status: $s (state: $(cat "$state"))"
[ "$(jq -r '[.Instances[] | .ID + "=" + .Role + "/" + .Health + "/" + .Probe] | join(" ")' <<<"$s")" = \
  "node1=primary/passing/answered node2=replica/passing/answered" ] || fail "instances: $s"
[ "$(jq -r '.Instances[1].ReplicatingFrom + " " + (.Instances[1].LagSeconds|tostring) + " " + (.Instances[0].ReadOnly|tostring)' <<<"$s")" = \
  "node1 0 false" ] || fail "replication: $s"
ok "/v1/failover/mysql: primary and epoch as the state file, roles, GTIDs as MariaDB shows them, lag"

# --- Blocking queries, as consul-template makes them: each returns when
# the index moves (any change of the catalog), and the watcher asks again
# with the new index until the master it renders changed.
header_index() { tr -d '\r' <"$1" | awk -F': ' 'tolower($1) == "x-consul-index" {print $2}'; }
curl -sS -D "$work/h0" -o /dev/null "$api/v1/health/service/mysql?passing&tag=master"
index=$(header_index "$work/h0")
[ -n "$index" ] || fail "no X-Consul-Index header"
watch_master() {
  local idx=$1 n=0 next
  while :; do
    n=$((n + 1))
    curl -sS -D "$work/h$n" -o "$work/b$n" --max-time 90 \
      "$api/v1/health/service/mysql?passing&tag=master&index=$idx&wait=60s" || return 1
    next=$(header_index "$work/h$n")
    [ "$next" -gt "$idx" ] || { echo "index $idx -> $next: did not grow" >"$work/watch.out"; return 1; }
    idx=$next
    if [ "$(jq -r '.[0].Service.ID' "$work/b$n")" = node2 ]; then echo "$n $idx" >"$work/watch.out"; return 0; fi
  done
}
watch_master "$index" &
watcher=$!
fast=$(curl -sS -o /dev/null -w '%{time_total}' "$api/v1/health/service/mysql?index=$index&wait=200ms")
awk -v t="$fast" 'BEGIN {exit !(t >= 0.2)}' || fail "?wait=200ms returned after ${fast}s, before the wait"
kill -0 $watcher 2>/dev/null || fail "the blocking query returned before anything changed: $(cat "$work/watch.out" 2>/dev/null)"
mark
cluster kill 1 >/dev/null
wait_since_mark mysql.service.consul 127.0.0.12 $refused_deadline_ms >/dev/null
dns_ms=$(waited_ms)
wait $watcher || fail "the watcher failed: $(cat "$work/watch.out" 2>/dev/null)"
api_ms=$(waited_ms)
read -r queries _ <"$work/watch.out"
ok "blocking queries (?index=&wait=60s) followed the failover: DNS switched ${dns_ms} ms after the kill, the watcher had node2 as master at ${api_ms} ms, after $queries blocking queries"

s=$(get /v1/failover/mysql)
[ "$(jq -r '.Primary + " " + .Failovers[0].Outcome + " " + .Failovers[0].OldPrimary + "->" + .Failovers[0].NewPrimary' <<<"$s")" = \
  "node2 complete node1->node2" ] || fail "after the failover: $s"
[ "$(jq -r '.Epoch' <<<"$s")" = "$(jq -r .epoch "$state")" ] || fail "epoch $(jq -r .Epoch <<<"$s") vs state $(cat "$state")"
[ "$(jq -r '[.Failovers[0].Timeline[].Event] | join(" ")' <<<"$s")" = "primary_down failover_started relay_log_applied promoting promoted failover_complete" ] ||
  fail "timeline: $(jq -c '[.Failovers[0].Timeline[].Event]' <<<"$s")"
[ "$(jq -r '.Instances[0].Probe' <<<"$s")" = no_answer ] || fail "node1 probe: $s"
[ "$(jq -r '.BlockedReason' <<<"$s")" = "no replica could be promoted: node1: fenced" ] || fail "blocked: $s"
ok "/v1/failover/mysql tells the failover as a timeline, and why another one could not happen now"

# --- /metrics: promtool accepts it, and the counters move with traffic.
curl -sS "$api/metrics" >"$work/metrics.txt"
promtool check metrics <"$work/metrics.txt" >"$work/promtool.out" 2>&1 || fail "promtool: $(head -5 "$work/promtool.out")"
metric() { curl -sS "$api/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
q='failoverdns_dns_queries_total{transport="udp",qtype="SRV",rcode="NOERROR"}'
n0=$(metric "$q"); n0=${n0:-0}
for _ in $(seq 1 25); do dig +short +time=1 +tries=1 @127.0.0.1 -p "$port" _mysql._tcp.service.consul SRV >/dev/null; done
n1=$(metric "$q")
[ "$(awk -v a="$n0" -v b="$n1" 'BEGIN {print b - a}')" = 25 ] || fail "$q moved from $n0 to $n1 after 25 SRV queries"
[ "$(metric 'failoverdns_instance_role{service="mysql",instance="node2",role="primary"}')" = 1 ] || fail "node2's role gauge"
[ "$(metric 'failoverdns_failovers_total{service="mysql",outcome="complete"}')" = 1 ] || fail "failovers_total: $(grep failovers_total "$work/metrics.txt")"
[ "$(metric 'failoverdns_failover_epoch{service="mysql"}')" = "$(jq -r .epoch "$state")" ] || fail "epoch gauge"
[ "$(metric 'failoverdns_probe_results_total{service="mysql",instance="node1",result="no_answer"}')" -ge 3 ] || fail "node1's failed probes"
ok "/metrics: promtool accepts it; 25 SRV queries moved the counter by 25; role, epoch, failovers and probe results as they happened"

# --- The command line over the API.
out=$("$daemon" status -service mysql) || fail "failoverdns status: exit $?: $out"
echo "$out" | sed 's/^/  | /'
grep -q "^service mysql: primary node2 (127.0.0.12:3306), epoch $(jq -r .epoch "$state")" <<<"$out" || fail "status: $out"
grep -qE "^  node1 +fenced +critical +no_answer" <<<"$out" || fail "status row of node1: $out"
grep -q "last failover: complete" <<<"$out" || fail "status: no last failover: $out"
out=$("$daemon" members) || fail "failoverdns members: exit $?"
grep -qE "^node2 +node2 +mysql +127.0.0.12:3306 +primary,master +passing" <<<"$out" || fail "members: $out"
code=0; "$daemon" status -service nosuch >/dev/null 2>"$work/err" || code=$?
[ $code = 1 ] && grep -q "not under failover" "$work/err" || fail "status of an unknown service: exit $code, $(cat "$work/err")"
code=0; "$daemon" status -http-addr 127.0.0.1:1 >/dev/null 2>"$work/err" || code=$?
[ $code = 3 ] && grep -q "cannot reach failoverdns's HTTP API at 127.0.0.1:1" "$work/err" || fail "unreachable API: exit $code, $(cat "$work/err")"
code=0; "$daemon" switchover >/dev/null 2>&1 || code=$?
[ $code = 2 ] || fail "switchover without -service: exit $code"
ok "failoverdns status/members print the tables (exit 0); unknown service exit 1, no API exit 3, bad arguments exit 2"

# --- Writes: http_acl, then the token.
[ "$(status PUT /v1/agent/service/maintenance/node2 --interface 127.0.0.1)" = 403 ] || fail "a write from outside http_acl was not refused"
curl -sS -X PUT --interface 127.0.0.1 "$api/v1/agent/service/maintenance/node2" | jq -r .error | grep -q "not in it" ||
  fail "the 403 does not say why"
[ "$(status PUT /v1/agent/service/maintenance/node2 --interface 127.0.0.2)" != 403 ] || fail "a write from http_acl was refused"
printf 's3cret\n' >"$work/api.token"
chmod 600 "$work/api.token"
config_extra='"http_acl": ["127.0.0.2/32"], "http_token_file": "'$work/api.token'"'
write_config
kill -HUP "$pid"
wait_for_log() { grep -q "event=reload_complete" "$log"; }
poll_until 5000 "the reload" wait_for_log
[ "$(status POST /v1/failover/mysql/switchover --interface 127.0.0.2)" = 403 ] || fail "a write without the token was not refused"
[ "$(status POST /v1/failover/mysql/switchover --interface 127.0.0.2 -H 'X-Consul-Token: wrong')" = 403 ] || fail "a wrong token was accepted"
[ "$(status POST /v1/failover/mysql/switchover --interface 127.0.0.2 -H 'X-Consul-Token: s3cret')" != 403 ] || fail "the token was refused"
[ "$(status POST /v1/failover/mysql/switchover --interface 127.0.0.2 -H 'Authorization: Bearer s3cret')" != 403 ] || fail "the bearer token was refused"
ok "writes: 403 outside http_acl, 403 without or with a wrong token (after a reload), let through with X-Consul-Token or Bearer"

# --- Bad requests and limits.
[ "$(status GET /v1/nosuch)" = 404 ] && get /v1/nosuch | jq -e .error >/dev/null || fail "unknown endpoint"
[ "$(status GET '/v1/health/service/mysql?index=x')" = 400 ] || fail "bad index"
[ "$(status GET /v1/agent/self -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' a)")" = 413 ] || fail "huge header"
exec 5<>/dev/tcp/127.0.0.1/8500 6<>/dev/tcp/127.0.0.1/8500 7<>/dev/tcp/127.0.0.1/8500
[ "$(status GET /v1/agent/self)" = 429 ] || fail "a 4th connection from one client was not refused (limit 3)"
[ "$(ask mysql.service.consul)" = 127.0.0.12 ] || fail "DNS does not answer while HTTP connections sit idle"
exec 5>&- 6>&- 7>&-
poll_until 2000 "HTTP answers again after the idle connections closed" sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' $api/v1/agent/self)\" = 200 ]"
grep -q "event=http_refused" "$log" || fail "the refusal was not logged"
ok "bad requests get a JSON error (404, 400, 413); a client over its connection limit gets 429 while DNS answers"
finish
