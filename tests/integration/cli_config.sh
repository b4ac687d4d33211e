#!/usr/bin/env bash
# The command line and configuration as a user meets them: --check-config
# (exit 0 with a summary, or 2 with every error named by file and JSON
# path), Consul keys we ignore vs typos of ours, flags, SIGHUP reload (a
# good file changes the answers, a bad one keeps them), a busy port.
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

echo '{"data_dir": "/opt/consul", "server": true}' >"$work/consul.json"
run 0 --check-config -config-file "$src/conf/demo.json" -config-file "$work/consul.json"
[[ $out == *warning*data_dir* ]] || fail "a Consul key we ignore should be a warning: $out"
ok "Consul keys failoverdns does not use are warnings, not errors"

run 2
[[ $out == *"no configuration"* && $out == *Usage* ]] || fail "no config: $out"
run 0 --version
[[ $out == "failoverdns "* ]] || fail "--version: $out"
run 2 -config-file "$work/none.json"
[[ $out == *none.json* ]] || fail "a missing file should be named: $out"
ok "no config: exit 2 with usage; --version; a missing file is named"

cat >"$work/live.json" <<JSON
{"addresses": {"dns": "127.0.0.1"}, "ports": {"dns": $port},
 "services": [{"id": "a", "name": "app", "address": "127.0.0.31", "port": 80}]}
JSON
start_daemon -config-file="$work/live.json" -dev
wait_for app.service.consul 127.0.0.31 10 >/dev/null
ok "-config-file=FILE and -dev are accepted; the daemon serves"

sed -i 's/127.0.0.31/127.0.0.32/' "$work/live.json"
kill -HUP $pid
wait_for app.service.consul 127.0.0.32 5 >/dev/null
ok "SIGHUP reloads: the new address is served"

echo '{"services": [' >"$work/live.json"
kill -HUP $pid
log_has "event=reload_failed" 5
[ "$(ask app.service.consul)" = 127.0.0.32 ] || fail "a failed reload changed the answers"
ok "a reload with a broken file keeps the running answers and logs reload_failed"

run 1 -config-file "$src/conf/demo.json" -config-file <(echo "{\"ports\": {\"dns\": $port}}")
[[ $out == *"address in use"* ]] || fail "busy port: $out"
ok "a busy port: exit 1, \"address in use\" and what to do"

finish  # SIGTERM: exit 0, no sanitizer report
