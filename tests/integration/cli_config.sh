#!/usr/bin/env bash
# The command line and configuration as a user meets them: --check-config
# (exit 0 with a summary, or 2 with every error named by file and JSON
# path), Consul keys we ignore vs typos of ours, what a config dir skips,
# flags, SIGHUP reload (a good file changes the answers, a bad or too deeply
# nested one keeps them), a busy port.
source "$(dirname "$0")/daemon_lib.sh"
# run EXPECTED_STATUS ARGS...: runs the daemon to completion, output in $out.
run() {
  local want=$1 status=0
  shift
  out=$("$daemon" "$@" 2>&1) || status=$?
  [ "$status" = "$want" ] || fail "failoverdns $* exited $status, expected $want: $out"
}

run 0 --check-config -config-file "$src/conf/demo.json"
[[ $out == *"service mysql: 2 instances"* && $out == *"configuration is valid"* ]] || fail "no summary: $out"
ok "--check-config on a good file: exit 0 and a summary"

cat >"$work/bad.json" <<'JSON'
{"services": [{"name": "web", "port": 80}, {"name": "db", "id": "db1", "port": "abc"}],
 "dns_config": {"only_pasing": true}}
JSON
run 2 --check-config -config-file "$work/bad.json"
[[ $out == *"bad.json: services[1].port: expected integer 1-65535, got \"abc\""* ]] || fail "port error not named by file and path: $out"
[[ $out == *"only_pasing"*"did you mean"*"only_passing"* ]] || fail "no suggestion for the typo: $out"
ok "--check-config on a bad file: exit 2, every error with file and JSON path, a suggestion for the typo"

# Nesting beyond 64 levels is refused before parsing: copying the parsed
# value recursed once per level and exhausted the stack (this was exit 139).
{ printf '{"a":%.0s' $(seq 60000); printf 1; printf '}%.0s' $(seq 60000); } >"$work/deep.json"
{ printf '{"x":'; printf '[%.0s' $(seq 100000); printf ']%.0s' $(seq 100000); printf '}'; } >"$work/deep-arrays.json"
run 2 --check-config -config-file "$work/deep.json"
[[ $out == *"deep.json:1:321: nested deeper than 64 levels"* ]] || fail "deep objects: $out"
run 2 --check-config -config-file "$work/deep-arrays.json"
[[ $out == *"deep-arrays.json:1:69: nested deeper than 64 levels"* ]] || fail "deep arrays: $out"
ok "--check-config on 60000 nested objects or 100000 nested arrays: exit 2 naming the file and where, no crash"

# The same errors at start-up go to the log as logfmt: the quotes inside a
# message are escaped, so the value ends where the line ends.
run 2 -config-file "$work/bad.json"
line=$(grep 'event=config_error' <<<"$out" | grep -F 'services[1].port' | head -1)
well_formed='message="([^"\\]|\\.)*"$'
[[ $line =~ $well_formed ]] || fail "config_error is not one well-formed quoted value: $line"
[[ $line == *'got \"abc\"'* ]] || fail "the quotes inside the message should be escaped: $line"
ok "at start-up: exit 2, each error one event=config_error line with its quotes escaped"

echo '{"data_dir": "/opt/consul", "server": true}' >"$work/consul.json"
run 0 --check-config -config-file "$src/conf/demo.json" -config-file "$work/consul.json"
[[ $out == *warning*data_dir* ]] || fail "a Consul key we ignore should be a warning: $out"
ok "Consul keys failoverdns does not use are warnings, not errors"

mkdir -p "$work/odd.d/x.json"
ln -s /nowhere "$work/odd.d/y.json"
ln -s z.json "$work/odd.d/z.json"
echo '{"services": [{"name": "web", "port": 80}]}' >"$work/odd.d/web.json"
run 0 --check-config -config-dir "$work/odd.d"
[[ $out == *"warning: $work/odd.d/x.json: a directory, skipped"* ]] || fail "a directory named *.json: $out"
[[ $out == *"warning: $work/odd.d/y.json: dangling symlink to /nowhere, skipped"* ]] || fail "a dangling symlink: $out"
[[ $out == *"warning: $work/odd.d/z.json: symlink loop, skipped"* ]] || fail "a symlink loop: $out"
[[ $out == *"service web: 1 instance"* ]] || fail "the readable file should still be read: $out"
ok "--check-config warns about each *.json in a config dir it skips: a directory, a dangling symlink, a loop"

run 2
[[ $out == *"no configuration"* && $out == *Usage* ]] || fail "no config: $out"
run 0 --version
[[ $out == "failoverdns "* ]] || fail "--version: $out"
run 2 -config-file "$work/none.json"
[[ $out == *none.json* ]] || fail "a missing file should be named: $out"
ok "no config: exit 2 with usage; --version; a missing file is named"

run 0 --help
[[ $out == *Usage* && $out == *-config-dir* && $out == *--check-config* ]] || fail "--help: $out"
run 2 -log-level loud -config-file "$src/conf/demo.json"
[[ $out == *"-log-level"*loud* ]] || fail "a bad log level should be named: $out"
run 2 -config-file "$src/conf/demo.json" --no-such-flag
[[ $out == *"unknown argument \"--no-such-flag\""* && $out == *Usage* ]] || fail "unknown flag: $out"
run 2 -config-dir
[[ $out == *"needs a value"* ]] || fail "a flag without its value: $out"
ok "--help: exit 0; a bad log level, an unknown flag, a missing value: exit 2 saying which"

# Sources merge in command-line order, whatever the spelling: later scalars
# win, services accumulate, files in a dir in name order.
mkdir "$work/d1" "$work/d2"
echo '{"datacenter": "east", "services": [{"id": "a1", "name": "alpha", "address": "127.0.0.51", "port": 80}]}' >"$work/d1/10-base.json"
echo '{"datacenter": "west"}' >"$work/d1/20-dc.json"
echo '{"services": [{"id": "b1", "name": "beta", "address": "127.0.0.52", "port": 80}]}' >"$work/d2/b.json"
echo '{"datacenter": "north"}' >"$work/last.json"
run 0 --check-config --config-dir "$work/d1" -config-dir="$work/d2" --config-file="$work/last.json"
[[ $out == *"datacenter north"* && $out == *"service alpha: 1 instance"* && $out == *"service beta: 1 instance"* ]] ||
  fail "two dirs and a file: $out"
run 0 --check-config -config-file "$work/last.json" --config-dir="$work/d1"
[[ $out == *"datacenter west"* ]] || fail "the last source should win, and 20-dc.json after 10-base.json: $out"
run 0 agent -dev --check-config -config-dir="$work/d1"
ok "-config-dir/-config-file repeated, single or double dash, = or a space: merged in order; \"agent -dev\" accepted"

# ports.dns -1: no DNS server, said in the log; the daemon still runs and stops cleanly.
echo '{"ports": {"dns": -1}, "services": [{"name": "web", "port": 80}]}' >"$work/nodns.json"
cleanup_more() { [ -z "${nodns:-}" ] || kill "$nodns" 2>/dev/null; }
"$daemon" -config-file "$work/nodns.json" >"$work/nodns.log" 2>&1 &
nodns=$!
nodns_logged() {
  grep -q "event=dns_disabled" "$work/nodns.log" && return 0
  kill -0 "$nodns" 2>/dev/null || { cat "$work/nodns.log"; return 2; }  # exited
  return 1
}
poll_until 10000 "ports.dns -1: event=dns_disabled in the log" nodns_logged
grep -q "event=listening" "$work/nodns.log" && fail "ports.dns -1 still listens: $(cat "$work/nodns.log")"
kill $nodns
status=0
wait $nodns || status=$?
nodns=
[ "$status" = 0 ] || fail "ports.dns -1: exit $status on SIGTERM: $(cat "$work/nodns.log")"
grep -qE "Sanitizer|runtime error:" "$work/nodns.log" && fail "sanitizer report: $(cat "$work/nodns.log")"
ok "ports.dns -1: no DNS server, the log says so, SIGTERM exits 0"

cat >"$work/live.json" <<JSON
{"addresses": {"dns": "127.0.0.1"}, "ports": {"dns": $port},
 "services": [{"id": "a", "name": "app", "address": "127.0.0.31", "port": 80}]}
JSON
start_daemon -config-file="$work/live.json" -dev -log-level debug
wait_for app.service.consul 127.0.0.31 10 >/dev/null
ok "-config-file=FILE and -dev are accepted; the daemon serves"
grep -qE "event=listening.*$port.*workers=[0-9]+" "$log" || fail "no event=listening line with the port and workers"
ok "one event=listening line with the port and the number of workers"
dig +tcp +time=2 +tries=1 @127.0.0.1 -p "$port" app.service.consul >/dev/null || true
log_has " debug event=tcp_closed" 5
ok "-log-level debug: debug events are logged"

sed -i 's/127.0.0.31/127.0.0.32/' "$work/live.json"
kill -HUP $pid
wait_for app.service.consul 127.0.0.32 5 >/dev/null
ok "SIGHUP reloads: the new address is served"

echo '{"services": [' >"$work/live.json"
kill -HUP $pid
log_has "event=reload_failed" 5
[ "$(ask app.service.consul)" = 127.0.0.32 ] || fail "a failed reload changed the answers"
ok "a reload with a broken file keeps the running answers and logs reload_failed"

cp "$work/deep.json" "$work/live.json"
kill -HUP $pid
log_has "event=config_error.*live.json:1:321: nested deeper than 64 levels" 5
kill -0 $pid 2>/dev/null || fail "the daemon died on reloading a deeply nested file"
[ "$(ask app.service.consul)" = 127.0.0.32 ] || fail "a deeply nested file changed the answers"
ok "a reload with a deeply nested file: the daemon lives on, keeps its answers, and logs why"

other=$(free_port)
cat >"$work/live.json" <<JSON
{"addresses": {"dns": "127.0.0.1"}, "ports": {"dns": $other},
 "services": [{"id": "a", "name": "app", "address": "127.0.0.33", "port": 80}]}
JSON
kill -HUP $pid
wait_for app.service.consul 127.0.0.33 5 >/dev/null
grep -q "event=reload_needs_restart settings=ports.dns " "$log" || fail "a reload changing ports.dns should warn that it needs a restart"
[ "$(ask_at "$other" app.service.consul)" = "$no_response" ] || fail "a reload moved the listener to port $other"
ok "a reload that changes ports.dns: new answers on the old port, a warning that the port needs a restart"

cat >"$work/live.json" <<JSON
{"addresses": {"dns": "127.0.0.1"}, "ports": {"dns": $other},
 "dns_config": {"tcp_idle_timeout": "3s", "tcp_max_connections": 10},
 "services": [{"id": "a", "name": "app", "address": "127.0.0.34", "port": 80}]}
JSON
kill -HUP $pid
wait_for app.service.consul 127.0.0.34 5 >/dev/null
line=$(grep "event=reload_needs_restart" "$log" | tail -1)
[[ $line == *" settings=ports.dns,dns_config.tcp_idle_timeout,dns_config.tcp_max_connections,dns_config.tcp_max_connections_per_client "* ]] ||
  fail "a reload changing TCP limits should name each setting that needs a restart: $line"
ok "a reload that changes the TCP limits names them as needing a restart (ports.dns still, as it never applied)"

run 1 -config-file "$src/conf/demo.json" -config-file <(echo "{\"ports\": {\"dns\": $port}}")
[[ $out == *"address in use"* ]] || fail "busy port: $out"
ok "a busy port: exit 1, \"address in use\" and what to do"

finish  # SIGTERM: exit 0, no sanitizer report
