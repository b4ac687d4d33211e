#!/usr/bin/env bash
# Issue 11, part 3: DNS cannot move a connection that is already open. A
# pool-like client holds an idle connection to the primary; the primary
# hangs (SIGSTOP) until the name has moved, then comes back: failoverdns
# fences it (read_only=1 first) and ends the held session, so the client's
# next query fails and a pool would reconnect through DNS. A client that
# still connects to the fenced server (it caches DNS) is counted and
# logged. With kill_sessions_on_demote false the held session survives.
source "$(dirname "$0")/failover_lib.sh"

# client_open NAME NODE FD: a mariadb client to NODE as the application, fed
# through a fifo on FD (an idle pooled connection); its output in
# $work/NAME.out, "exit=N" appended when it ends. Batch mode: the first
# error ends it, as a dropped connection ends a pooled one.
client_open() {
  mkfifo "$work/$1.in"
  (
    status=0
    mariadb --batch --unbuffered --skip-reconnect -h "127.0.0.1$2" -P 3306 -u app -papp app \
      <"$work/$1.in" >"$work/$1.out" 2>&1 || status=$?
    echo "exit=$status" >>"$work/$1.out"
  ) &
  eval "exec $3>\"\$work/\$1.in\""
  echo "SELECT CONCAT('connected ', CONNECTION_ID());" >&"$3"
  poll_until 10000 "client $1 connected to node$2" grep -q '^connected ' "$work/$1.out"
}
client_id() { grep -oE '^connected [0-9]+' "$work/$1.out" | cut -d' ' -f2; }
client_said() { grep -qE "$2" "$work/$1.out"; }

# Log lines after log_mark only: the second run appends to the same log.
since_line=0
log_mark() { since_line=$(wc -l <"$log"); }
logged_since() { tail -n +$(( since_line + 1 )) "$log" | grep -qE "$1"; }
wait_logged() { poll_until $(( $2 * 1000 )) "a log line matching '$1'" logged_since "$1"; }
line_since() { tail -n +$(( since_line + 1 )) "$log" | grep -E "$1" | head -1; }

# freeze_and_fail_over: node1 hangs until node2 is published, then thaws.
freeze_and_fail_over() {
  mark
  cluster freeze 1 >/dev/null
  local ms
  ms=$(wait_since_mark mysql.service.consul 127.0.0.12 $hung_deadline_ms)
  ok "node1 frozen: the name moved to node2 in ${ms} ms"
  cluster thaw 1 >/dev/null
}

# auto_rejoin off: node1 stays a fenced former primary, whose sessions are
# what this test watches.
scenario_start '"auto_rejoin": false'
client_open pool 1 7
pool_id=$(client_id pool)
ok "a pooled client holds connection $pool_id to node1, the primary"

log_mark
freeze_and_fail_over
wait_logged 'event=fenced .*instance=node1' 15
fenced=$(line_since 'event=fenced .*instance=node1')
[ "$(cluster sql 1 'SELECT @@read_only')" = 1 ] || fail "node1 is not read-only after: $fenced"
killed=$(grep -oE 'sessions_killed=[0-9]+' <<<"$fenced" | cut -d= -f2 || true)
[ "${killed:-0}" -ge 1 ] || fail "no session was ended: $fenced"
[[ "$fenced" == *"$pool_id:app@"* ]] || fail "the pool's connection $pool_id is not among those ended: $fenced"
ok "node1 fenced, its client sessions ended in the same event: sessions_killed=$killed"

echo "SELECT 'after the fence';" >&7
poll_until 10000 "the pooled connection failing" client_said pool '^exit='
client_said pool 'Lost connection|gone away' || fail "the client did not lose its connection: $(cat "$work/pool.out")"
! client_said pool '^after the fence$' || fail "the held connection still answered after the fence"
ok "the held connection is gone: $(grep -oE 'ERROR [0-9]+' "$work/pool.out" | head -1) ($(grep -oE 'Lost connection[^.]*|gone away' "$work/pool.out" | head -1))"
exec 7>&-

# A client that caches DNS comes back to node1: it is counted, and said
# once when the number changes (not at every probe).
wait_logged 'event=fenced_client_sessions .*instance=node1 client_sessions=0' 10
log_mark
client_open cached 1 8
wait_logged 'event=fenced_client_sessions .*instance=node1 client_sessions=1 ' 10
api_sessions() {
  local n
  n=$(curl -sS http://127.0.0.1:8500/v1/failover/mysql | jq -r '.Instances[] | select(.ID == "node1") | .ClientSessions')
  [ "$n" = 1 ] || { echo "ClientSessions of node1: $n"; return 1; }
}
poll_until 3000 "/v1/failover/mysql showing the session" api_sessions
ok "a client still connected to the fenced node1 is reported (log and /v1/failover ClientSessions): $(line_since 'event=fenced_client_sessions' | grep -oE 'client_sessions=[0-9]+ primary=[^ ]+')"
echo "INSERT INTO t (v) VALUES ('written to a fenced primary');" >&8
poll_until 10000 "the write on node1 failing" client_said cached '^exit='
client_said cached 'read-only' || fail "a write to the fenced node1 did not fail as read-only: $(cat "$work/cached.out")"
ok "and it cannot write there: $(grep -oE 'ERROR [0-9]+' "$work/cached.out" | head -1) (read-only)"
exec 8>&-
wait_logged 'event=fenced_client_sessions .*instance=node1 client_sessions=0' 10
[ "$(tail -n +$(( since_line + 1 )) "$log" | grep -c 'event=fenced_client_sessions')" -le 3 ] ||
  fail "the session count was logged at every probe: $(tail -n +$(( since_line + 1 )) "$log" | grep -c 'event=fenced_client_sessions') lines"
ok "its leaving is reported too, once"
no_action_storm

# Second run, kill_sessions_on_demote false: the held session survives the
# fence (read-only, so it can only read).
stop_daemon
cluster down >/dev/null
rm -f "$state"
cluster up 2 >/dev/null
write_config '"auto_rejoin": false, "kill_sessions_on_demote": false'
log_mark
start_daemon -config-file "$work/config.json"
wait_for mysql.service.consul 127.0.0.11 15 >/dev/null
client_open kept 1 9
freeze_and_fail_over
wait_logged 'event=fenced .*instance=node1' 15
fenced=$(line_since 'event=fenced .*instance=node1')
[[ "$fenced" == *'sessions="kept (kill_sessions_on_demote is false)"'* ]] || fail "the fence does not say the sessions were kept: $fenced"
echo "SELECT 'still here';" >&9
poll_until 10000 "the kept connection answering" client_said kept '^still here'
ok "kill_sessions_on_demote false: node1 fenced, the held connection $(client_id kept) still answers"
exec 9>&-
finish
