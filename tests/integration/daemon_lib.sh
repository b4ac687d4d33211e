# What every system test needs (sourced, not run): where the daemon and the
# sources are, a temp dir removed on exit (KEEP_WORK=1 keeps it for a
# post-mortem), a daemon started in the background and stopped on exit,
# polling with deadlines, and a failure report with the daemon's log.
# A sourcing script may define `cleanup_more` to stop what else it started.
set -euo pipefail
export LC_ALL=C  # sort order of expected answers
name=$(basename "${BASH_SOURCE[-1]}" .sh)
here=$(cd "$(dirname "${BASH_SOURCE[-1]}")" && pwd)
src=${FAILOVERDNS_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
daemon=${FAILOVERDNS:-$src/build-asan/failoverdns}
work=$(mktemp -d "/tmp/fdns-$name.XXXXXX")
chmod 755 "$work"
log=$work/failoverdns.log
touch "$log"
pid=
checks=0

stop_daemon() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=
  fi
}
daemon_lib_cleanup() {
  stop_daemon
  if declare -F cleanup_more >/dev/null; then cleanup_more || true; fi
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"
}
trap daemon_lib_cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  echo "--- failoverdns log (tail) ---" >&2
  tail -40 "$log" >&2 || true
  exit 1
}
ok() { checks=$((checks + 1)); echo "ok: $*"; }
# Ends a test: the daemon must stop cleanly on SIGTERM (exit 0) with no
# sanitizer report in its log — every system test is also a leak and UB check.
finish() {
  if [ -n "$pid" ]; then
    local status=0
    kill "$pid"
    wait "$pid" || status=$?
    pid=
    [ "$status" = 0 ] || fail "the daemon exited with $status on SIGTERM"
    grep -q "event=stopped" "$log" || fail "the daemon did not log event=stopped"
  fi
  if grep -qE "Sanitizer|runtime error:" "$log"; then fail "sanitizer report in the daemon log"; fi
  ok "the daemon stopped cleanly, no sanitizer report"
  echo "$name: $checks passed, 0 failed"
}

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# The sorted answer on one line; empty when there is none, or no server
# answered (dig prints its ";; ..." complaints on stdout).
ask_at() { { dig +short +time=1 +tries=1 @127.0.0.1 -p "$1" "${@:2}" 2>/dev/null || true; } | { grep -v '^;' || true; } | sort | paste -sd' ' -; }
ask() { ask_at "$port" "$@"; }

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
# wait_serving SECONDS: until the daemon answers at all (the apex SOA).
wait_serving() {
  local deadline=$(( $(now_ms) + $1 * 1000 ))
  until [ -n "$(ask consul SOA)" ]; do
    [ "$(now_ms)" -lt "$deadline" ] || fail "the daemon does not answer within $1 s"
    [ -z "$pid" ] || kill -0 "$pid" 2>/dev/null || fail "the daemon died"
    sleep 0.05
  done
}
# log_has REGEX SECONDS: poll the daemon log for a line.
log_has() {
  local deadline=$(( $(now_ms) + $2 * 1000 ))
  until grep -qE "$1" "$log"; do
    [ "$(now_ms)" -lt "$deadline" ] || fail "the log has no line matching '$1' within $2 s"
    sleep 0.1
  done
}
# start_daemon [prefix command...] -- ARGS...: the daemon in the background,
# its output appended to $log. Without "--", everything is daemon arguments.
start_daemon() {
  local prefix=()
  if [[ " $* " == *" -- "* ]]; then
    while [ "$1" != -- ]; do prefix+=("$1"); shift; done
    shift
  fi
  "${prefix[@]}" "$daemon" "$@" >>"$log" 2>&1 &
  pid=$!
}
