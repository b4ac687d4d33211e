# What the failover scenarios check beyond scenario_lib.sh, which it
# sources (sourced, not run): deadlines derived from the configured timings,
# fault-to-DNS times, answers that must never appear for a whole window, the
# state file, and the log's action lines.
source "$(dirname "${BASH_SOURCE[0]}")/scenario_lib.sh"

# The timings write_config puts in the failover section, in ms.
interval_ms=1000 timeout_ms=1000 recheck_ms=200 failcount=3
# Slack for promotion, the DNS poll and a loaded 2-core machine.
margin_ms=3000
# A dead primary (connections refused at once): one interval until the next
# probe, failcount-1 rechecks, and a probe may have just started and time out.
refused_deadline_ms=$(( interval_ms + (failcount - 1) * recheck_ms + timeout_ms + margin_ms ))
# A hung primary: every probe waits out its timeout.
hung_deadline_ms=$(( failcount * interval_ms + timeout_ms + margin_ms ))

# mark: the fault happens now; waited_ms reports the time since.
mark() { fault_ms=$(now_ms); }
waited_ms() { echo $(( $(now_ms) - fault_ms )); }

# wait_since_mark NAME EXPECTED DEADLINE_MS: poll until NAME answers
# EXPECTED, at most DEADLINE_MS after the mark; prints the ms since the mark.
wait_since_mark() {
  poll_until $(( $3 - $(waited_ms) )) "$1 -> '$2' within $3 ms of the fault" answer_is "$1" "$2"
  waited_ms
}

# hold_until NAME EXPECTED REGEX DEADLINE_MS: like hold, until the log has a
# line matching REGEX; fails if that takes more than DEADLINE_MS.
logged_while_answer_holds() {
  grep -qE "$3" "$log" && return 0
  answer_is "$1" "$2" || return 2  # a wrong answer will not turn right in retrospect
  return 1
}
hold_until() {
  poll_until "$4" "a log line matching '$3' while $1 stays '$2'" logged_while_answer_holds "$1" "$2" "$3"
}

# never_primary ADDRESS MS: for MS ms (polled every 100 ms) the primary
# names never give ADDRESS. Prints what they gave, distinct, in order seen.
never_primary() {
  local deadline=$(( $(now_ms) + $2 )) a seen=""
  while [ "$(now_ms)" -lt "$deadline" ]; do
    a=$(ask mysql.service.consul)
    [[ " $a " != *" $1 "* ]] || fail "$1 was published as the primary: mysql.service.consul -> '$a'"
    [[ " $seen " == *" ${a:-none} "* ]] || seen+="${seen:+ }${a:-none}"
    sleep 0.1
  done
  echo "$seen"
}

# watch_primary ADDRESS: in the background, until watch_end, the primary
# names must never give ADDRESS (for faults run in the foreground, e.g. a
# node starting). The watcher also ends with this shell or after 60 s.
watch_primary() {
  watch_file=$work/watch.$(now_ms)
  : >"$watch_file"
  local parent=$$ addr=$1 until=$(( $(now_ms) + 60000 ))
  (
    while kill -0 "$parent" 2>/dev/null && [ "$(now_ms)" -lt "$until" ]; do
      a=$(ask mysql.service.consul)
      [[ " $a " != *" $addr "* ]] || echo "$(now_ms) $a" >>"$watch_file"
      sleep 0.1
    done
  ) &
  watch_pid=$!
  watch_addr=$addr
}
watch_end() {
  kill "$watch_pid" 2>/dev/null || true
  wait "$watch_pid" 2>/dev/null || true
  [ ! -s "$watch_file" ] || fail "$watch_addr was published as the primary ($(wc -l <"$watch_file") polls, first: $(head -1 "$watch_file"))"
}

# rcode NAME: the response code (NOERROR, NXDOMAIN, ...), empty without one.
rcode() { dig +time=1 +tries=1 @127.0.0.1 -p "$port" "$1" 2>/dev/null | grep -oE 'status: [A-Z]+' | cut -d' ' -f2 || true; }

# state_get PATH: a field of the state file ("primary", "promotion.binlog_pos");
# lists come out space-separated.
state_get() {
  /usr/bin/python3 - "$state" "$1" <<'EOF'
import json, sys
v = json.load(open(sys.argv[1]))
for key in sys.argv[2].split("."):
    v = v[key]
print(" ".join(map(str, v)) if isinstance(v, list) else v)
EOF
}

# log_field EVENT KEY: KEY's value in the first EVENT line of the log.
log_field() { grep -E "event=$1( |$)" "$log" | head -1 | grep -oE "(^| )$2=[^ ]*" | head -1 | cut -d= -f2- || true; }

# no_action_storm: each action on an instance (fence, rejoin, redirect,
# promote) is issued once and then waits for a fresh probe; a decider that
# re-reads its own stale observation would issue it in a loop. A handful per
# instance is the most any scenario here needs.
no_action_storm() {
  local storm
  storm=$(grep -oE "event=(fencing|rejoining|redirecting|promoting) service=[^ ]+ (instance|candidate)=[^ ]+" "$log" |
            sort | uniq -c | awk '$1 > 4' || true)
  [ -z "$storm" ] || fail "an action was issued again and again (count, line):
$storm
first of them: $(grep -E "$(echo "$storm" | head -1 | sed -E 's/^ *[0-9]+ //')" "$log" | head -3)"
  ok "no action was repeated in a loop"
}
