# Shared plumbing of the failover scenarios (sourced, not run): a cluster in
# a temp dir, a daemon on a free port with a failover config, polling with
# deadlines, and a failure report that shows the daemon's log.
# KEEP_WORK=1 keeps the temp dir (config, log, state file) for a post-mortem.
# A sourcing script may set `nodes` (default 2) and `service_extra` (JSON
# keys added to every instance) before scenario_start.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
src=${FAILOVERDNS_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
daemon=${FAILOVERDNS:-$src/build-asan/failoverdns}
work=$(mktemp -d /tmp/fdns-scenario.XXXXXX)
chmod 755 "$work"
dir=$work/cluster
log=$work/failoverdns.log
state=$work/mysql.state
pid=
checks=0
name=$(basename "${BASH_SOURCE[1]}" .sh)

cluster() { "$src/tools/cluster" "$@" --dir "$dir"; }
stop_daemon() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=
  fi
}
scenario_cleanup() {
  stop_daemon
  cluster down >/dev/null 2>&1 || true
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"
}
trap scenario_cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  echo "--- failoverdns log (tail) ---" >&2
  tail -40 "$log" >&2 || true
  exit 1
}
ok() { checks=$((checks + 1)); echo "ok: $*"; }
# Ends a scenario: the daemon must stop cleanly on SIGTERM (exit 0) with no
# sanitizer report in its log — every scenario is also a leak and UB check.
finish() {
  if [ -n "$pid" ]; then
    local status=0
    kill "$pid"
    wait "$pid" || status=$?
    pid=
    [ "$status" = 0 ] || fail "the daemon exited with $status on SIGTERM"
  fi
  if grep -qE "Sanitizer|runtime error:" "$log"; then fail "sanitizer report in the daemon log"; fi
  ok "the daemon stopped cleanly, no sanitizer report"
  echo "$name: $checks passed, 0 failed"
}

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# The sorted answer on one line; empty when there is none, or no server
# answered (dig prints its ";; ..." complaints on stdout).
ask() { { dig +short +time=1 +tries=1 @127.0.0.1 -p "$port" "$@" 2>/dev/null || true; } | { grep -v '^;' || true; } | sort | paste -sd' ' -; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# wait_for NAME EXPECTED SECONDS: poll until the answer is EXPECTED; prints ms taken.
wait_for() {
  local start deadline
  start=$(now_ms)
  deadline=$((start + $3 * 1000))
  while [ "$(ask "$1")" != "$2" ]; do
    [ "$(now_ms)" -lt "$deadline" ] || fail "$1 answered '$(ask "$1")', expected '$2' within $3 s"
    sleep 0.05
  done
  echo $(($(now_ms) - start))
}
# poll_sql NODE SQL EXPECTED SECONDS
poll_sql() {
  local deadline=$(( $(now_ms) + $4 * 1000 )) got
  while got=$(cluster sql "$1" "$2" 2>/dev/null | paste -sd' ' -); [ "$got" != "$3" ]; do
    [ "$(now_ms)" -lt "$deadline" ] || fail "node$1: '$2' gave '$got', expected '$3' within $4 s"
    sleep 0.1
  done
}
# "host io sql" of node N's default replication connection, "" if none.
replication_of() {
  mariadb --socket="$dir/node$1/mysqld.sock" -u root -e 'SHOW SLAVE STATUS\G' |
    awk '/^ *(Master_Host|Slave_IO_Running|Slave_SQL_Running):/ {print $2}' | paste -sd' ' -
}
# log_has REGEX SECONDS: poll the daemon log for a line.
log_has() {
  local deadline=$(( $(now_ms) + $2 * 1000 ))
  until grep -qE "$1" "$log"; do
    [ "$(now_ms)" -lt "$deadline" ] || fail "the log has no line matching '$1' within $2 s"
    sleep 0.1
  done
}

# write_config [extra failover keys, e.g. '"auto_rejoin": false']
write_config() {
  local services="" i extra=${1:+, $1}
  for i in $(seq 1 "${nodes:-2}"); do
    services+="${services:+, }{\"id\": \"node$i\", \"name\": \"mysql\", \"address\": \"127.0.0.1$i\", \"port\": 3306${service_extra:+, $service_extra}}"
  done
  cat >"$work/config.json" <<JSON
{
  "datacenter": "dc1", "node_name": "test",
  "addresses": {"dns": "127.0.0.1"}, "ports": {"dns": $port},
  "services": [$services],
  "failover": {"mysql": {
    "user": "failoverdns", "password_file": "$dir/probe.pass",
    "replication_user": "slave", "replication_password_file": "$dir/repl.pass",
    "interval": "1s", "timeout": "1s", "failcount": 3, "recheck_interval": "200ms",
    "cooldown": "60s", "state_file": "$state"$extra
  }}
}
JSON
}
# start_daemon [command prefix, e.g. setpriv --reuid=...]
start_daemon() {
  "$@" "$daemon" -config-file "$work/config.json" >>"$log" 2>&1 &
  pid=$!
}
# scenario_start [extra failover keys]: cluster up, daemon up, node1 published.
scenario_start() {
  cluster up "${nodes:-2}" >/dev/null
  write_config "${1:-}"
  start_daemon
  wait_for mysql.service.consul 127.0.0.11 15 >/dev/null
}
