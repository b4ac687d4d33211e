#!/usr/bin/env bash
# Consul-style checks drive DNS for services not under failover: a script
# check (exit 0 passing, 2 critical; 1 would be warning, still visible)
# toggled by a flag file, with
# failures_before_critical hysteresis, and a tcp check against a port that
# starts and stops listening. Script checks run only with
# enable_script_checks, as in Consul.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${FAILOVERDNS_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
daemon=${FAILOVERDNS:-$src/build-asan/failoverdns}
work=$(mktemp -d /tmp/fdns-health.XXXXXX)
log=$work/failoverdns.log
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -20 "$log" >&2; exit 1; }
checks=0
ok() { checks=$((checks + 1)); echo "ok: $*"; }
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
tcp_port=$(free_port)
ask() { { dig +short +time=1 +tries=1 @127.0.0.1 -p "$port" "$@" 2>/dev/null || true; } | { grep -v '^;' || true; } | sort | paste -sd' ' -; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
wait_for() {
  local deadline=$(( $(now_ms) + $3 * 1000 ))
  while [ "$(ask "$1")" != "$2" ]; do
    [ "$(now_ms)" -lt "$deadline" ] || fail "$1 answered '$(ask "$1")', expected '$2' within $3 s"
    sleep 0.05
  done
}

write_config() {
  cat >"$work/config.json" <<JSON
{
  "enable_script_checks": $1,
  "addresses": {"dns": "127.0.0.1"}, "ports": {"dns": $port},
  "services": [
    {"id": "web1", "name": "web", "address": "127.0.0.21", "port": 80,
     "check": {"script": "test -e $work/web1.up || exit 2", "interval": "200ms", "timeout": "2s",
               "failures_before_critical": 2}},
    {"id": "web2", "name": "web", "address": "127.0.0.22", "port": 80,
     "check": {"tcp": "127.0.0.1:$tcp_port", "interval": "200ms", "timeout": "1s"}}
  ]
}
JSON
}

# Without enable_script_checks the script check is not run: it cannot hide web1.
write_config false
"$daemon" -config-file "$work/config.json" >"$log" 2>&1 &
pids+=($!)
wait_for web.service.consul 127.0.0.21 10
grep -q "event=script_check_disabled service=web instance=web1" "$log" || fail "no script_check_disabled warning"
ok "scripts disabled (Consul's default): web1 stays visible, the start-up warning says what to set"
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true

write_config true
"$daemon" -config-file "$work/config.json" >"$log" 2>&1 &
pids+=($!)
deadline=$(( $(now_ms) + 10000 ))
until [ -n "$(ask consul SOA)" ]; do
  [ "$(now_ms)" -lt "$deadline" ] && kill -0 "${pids[-1]}" || fail "the restarted daemon does not answer"
  sleep 0.05
done
wait_for web.service.consul "" 10
# No flag file and nothing on the tcp port: both critical, the name is gone.
status=$(dig +time=1 +tries=1 @127.0.0.1 -p "$port" web.service.consul | grep -oE 'status: [A-Z]+')
[ "$status" = "status: NXDOMAIN" ] || fail "with both checks critical expected NXDOMAIN, got $status"
ok "both checks critical: web.service.consul is NXDOMAIN"

touch "$work/web1.up"
wait_for web.service.consul 127.0.0.21 5
ok "the script check passes: web1 appears"

/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
s.settimeout(0.2)
while True:
    try: s.accept()[0].close()
    except socket.timeout: pass
' "$tcp_port" &
listener=$!
pids+=($listener)
wait_for web.service.consul "127.0.0.21 127.0.0.22" 5
ok "the tcp port listens: web2 appears"
kill $listener; wait $listener 2>/dev/null || true
wait_for web.service.consul 127.0.0.21 5
ok "the tcp port closes: web2 disappears"

rm "$work/web1.up"
wait_for web.service.consul "" 5
grep -qE "event=check service=web instance=web1 .*result=critical status=passing" "$log" ||
  fail "the first failure should not have changed the status (failures_before_critical 2)"
grep -qE "event=check service=web instance=web1 .*result=critical status=critical" "$log" || fail "no critical status logged"
ok "web1 goes critical after 2 consecutive failures, not 1"
echo "health_checks: $checks passed, 0 failed"
