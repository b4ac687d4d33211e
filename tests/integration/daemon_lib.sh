# What every test of the daemon needs (sourced, not run): where the daemon
# and the sources are, a temp dir removed on exit (KEEP_WORK=1 keeps it for
# a post-mortem), a daemon started in the background and stopped on exit,
# and a failure report with the daemon's log. ok/fail and polling come from
# check_lib.sh. A sourcing script may define `cleanup_more` to stop what
# else it started; a sourced lib appends its stop function to
# `cleanup_hooks` instead, so it never replaces the script's cleanup_more.
[ -z "${daemon_lib_sourced:-}" ] || return 0
daemon_lib_sourced=1
source "$(dirname "${BASH_SOURCE[0]}")/check_lib.sh"
name=$(basename "${BASH_SOURCE[-1]}" .sh)
here=$(cd "$(dirname "${BASH_SOURCE[-1]}")" && pwd)
src=${FAILOVERDNS_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
daemon=${FAILOVERDNS:-$src/build-asan/failoverdns}
work=$(mktemp -d "/tmp/fdns-$name.XXXXXX")
chmod 755 "$work"
log=$work/failoverdns.log
touch "$log"
pid=
cleanup_hooks=()

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
  local hook
  for hook in "${cleanup_hooks[@]}"; do "$hook" || true; done
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"
}
trap daemon_lib_cleanup EXIT

on_failure() {
  echo "--- failoverdns log (tail) ---"
  tail -40 "$log"
}
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

# wait_serving SECONDS: until the daemon answers at all (the apex SOA).
daemon_answers() {
  [ -z "$pid" ] || kill -0 "$pid" 2>/dev/null || { echo "the daemon died"; return 2; }
  local a
  a=$(ask consul SOA)
  [ -n "$a" ] && [ "$a" != "$no_response" ]
}
wait_serving() { poll_until $(( $1 * 1000 )) "the daemon answering" daemon_answers; }
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
