# The one ok/fail of the system tests, and polling with deadlines (sourced,
# not run; every other *_lib.sh sources it). A script may define
# `on_failure` to print what explains a failure: daemon_lib.sh prints the
# daemon's log, the bench smoke tests their tool's output.
[ -z "${check_lib_sourced:-}" ] || return 0
check_lib_sourced=1
set -euo pipefail
export LC_ALL=C  # sort order of expected answers

checks=0
fail() {
  echo "FAIL: $*" >&2
  if declare -F on_failure >/dev/null; then on_failure >&2 || true; fi
  exit 1
}
ok() { checks=$((checks + 1)); echo "ok $checks - $*"; }

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# poll_until MS WHAT COMMAND...: runs COMMAND every 50 ms until it exits
# 0; fails after MS ms with WHAT and COMMAND's last output. An exit status
# above 1 means "this will not get better" (the daemon died, grep's file is
# gone): it fails at once. A deadline is a limit, never a sleep standing in
# for readiness.
poll_until() {
  local ms=$1 what=$2 out deadline status
  deadline=$(( $(now_ms) + ms ))
  shift 2
  while :; do
    status=0
    out=$("$@" 2>&1) || status=$?
    [ "$status" != 0 ] || return 0
    [ "$status" = 1 ] || fail "$what: gave up (exit $status)${out:+: ${out:0:300}}"
    [ "$(now_ms)" -lt "$deadline" ] || fail "$what: not within $ms ms${out:+ (last: ${out:0:300})}"
    sleep 0.05
  done
}

# A dig that got no response prints this instead of an answer, so a dead or
# stuck server never reads as an empty (NXDOMAIN or NODATA) answer.
no_response="(no response)"

# ask_at PORT NAME [TYPE]: the sorted short answer on one line; empty for
# NXDOMAIN/NODATA; $no_response when no server answered within 1 s.
ask_at() {
  local out
  out=$(dig +short +time=1 +tries=1 @127.0.0.1 -p "$1" "${@:2}" 2>&1 || true)
  if grep -qE '^;; (connection timed out|communications error|no servers could be reached)' <<<"$out"; then
    echo "$no_response"
    return
  fi
  { grep -v '^;' <<<"$out" || true; } | sort | paste -sd' ' -
}
ask() { ask_at "$port" "$@"; }

# answer_is NAME EXPECTED: true when NAME answers EXPECTED now; else says
# what it answered (for poll_until's message).
answer_is() {
  local a
  a=$(ask "$1")
  [ "$a" = "$2" ] || { echo "$1 answered '$a', expected '$2'"; return 1; }
}

# wait_for NAME EXPECTED SECONDS: until NAME answers EXPECTED; prints the ms
# it took.
wait_for() {
  local start
  start=$(now_ms)
  poll_until $(( $3 * 1000 )) "$1 -> '$2'" answer_is "$1" "$2"
  echo $(( $(now_ms) - start ))
}

# hold NAME EXPECTED MS [WHY]: every answer for MS ms (polled every 100 ms)
# must be EXPECTED; a single other answer (or no response) fails.
hold() {
  local deadline=$(( $(now_ms) + $3 )) a polls=0
  while [ "$(now_ms)" -lt "$deadline" ]; do
    a=$(ask "$1")
    [ "$a" = "$2" ] || fail "$1 answered '$a' after $polls polls; it must stay '$2'${4:+ ($4)}"
    polls=$((polls + 1))
    sleep 0.1
  done
}

# log_has REGEX SECONDS: until the daemon log ($log) has a matching line.
log_has() { poll_until $(( $2 * 1000 )) "a log line matching '$1'" grep -qE "$1" "$log"; }
