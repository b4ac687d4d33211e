#!/usr/bin/env bash
# Consul-style checks drive DNS for services not under failover: a script
# check (exit 0 passing, 2 critical; 1 would be warning, still visible)
# toggled by a flag file, with
# failures_before_critical hysteresis, and a tcp check against a port that
# starts and stops listening. Script checks run only with
# enable_script_checks, as in Consul.
source "$(dirname "$0")/daemon_lib.sh"
tcp_port=$(free_port)
listener=
cleanup_more() { [ -z "$listener" ] || kill "$listener" 2>/dev/null; }

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
start_daemon -config-file "$work/config.json"
wait_for web.service.consul 127.0.0.21 10 >/dev/null
grep -qE "event=config_warning .*services\[0\]\.check: this script check will not run: set enable_script_checks" "$log" ||
  fail "no config_warning naming the script check that will not run"
ok "scripts disabled (Consul's default): web1 stays visible, the start-up warning says what to set"
stop_daemon

write_config true
start_daemon -config-file "$work/config.json"
wait_serving 10
wait_for web.service.consul "" 10 >/dev/null
# No flag file and nothing on the tcp port: both critical, the name is gone.
status=$(dig +time=1 +tries=1 @127.0.0.1 -p "$port" web.service.consul | grep -oE 'status: [A-Z]+')
[ "$status" = "status: NXDOMAIN" ] || fail "with both checks critical expected NXDOMAIN, got $status"
ok "both checks critical: web.service.consul is NXDOMAIN"

touch "$work/web1.up"
wait_for web.service.consul 127.0.0.21 5 >/dev/null
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
wait_for web.service.consul "127.0.0.21 127.0.0.22" 5 >/dev/null
ok "the tcp port listens: web2 appears"
kill $listener; wait $listener 2>/dev/null || true
listener=
wait_for web.service.consul 127.0.0.21 5 >/dev/null
ok "the tcp port closes: web2 disappears"

rm "$work/web1.up"
wait_for web.service.consul "" 5 >/dev/null
grep -qE "event=check service=web instance=web1 .*result=critical status=passing" "$log" ||
  fail "the first failure should not have changed the status (failures_before_critical 2)"
grep -qE "event=check service=web instance=web1 .*result=critical status=critical" "$log" || fail "no critical status logged"
ok "web1 goes critical after 2 consecutive failures, not 1"
finish
