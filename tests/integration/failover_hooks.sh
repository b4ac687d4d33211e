#!/usr/bin/env bash
# Issue 11, part 4: failover hooks. After a kill -9 failover the
# failover_complete hook has run with the event in its environment (service,
# new and old primary, epoch), its output and exit status logged. A
# failover_started hook that sleeps past hook_timeout is killed and logged,
# and the failover did not wait for it: failover_complete is logged before
# the hook's timeout (log order, not wall-clock bounds).
source "$(dirname "$0")/failover_lib.sh"

cat >"$work/hook.sh" <<SH
#!/bin/sh
env | grep '^FAILOVERDNS_' | sort >"$work/hook.\$FAILOVERDNS_EVENT.tmp"
mv "$work/hook.\$FAILOVERDNS_EVENT.tmp" "$work/hook.\$FAILOVERDNS_EVENT.env"
echo "hook saw \$FAILOVERDNS_EVENT"
echo "second line" >&2
SH
chmod +x "$work/hook.sh"
# hook_timeout leaves the promotion plenty of room: the check is that the
# decision did not wait, not how fast it was.
scenario_start "\"hook_timeout\": \"5s\", \"hooks\": {
    \"failover_started\": \"echo started >$work/started.out; exec sleep 600\",
    \"failover_complete\": [\"$work/hook.sh\"],
    \"failover_failed\": [\"$work/hook.sh\"]}"

mark
cluster kill 1 >/dev/null
ms=$(wait_since_mark mysql.service.consul 127.0.0.12 $refused_deadline_ms)
ok "node1 killed: the name moved to node2 in ${ms} ms"

poll_until 10000 "the failover_complete hook's environment file" test -s "$work/hook.failover_complete.env"
env_of() { grep -E "^FAILOVERDNS_$1=" "$work/hook.failover_complete.env" | cut -d= -f2-; }
epoch=$(state_get epoch)
got="$(env_of EVENT) $(env_of SERVICE) $(env_of PRIMARY) $(env_of OLD_PRIMARY) $(env_of EPOCH)"
[ "$got" = "failover_complete mysql node2 node1 $epoch" ] ||
  fail "the hook's environment: '$got', expected 'failover_complete mysql node2 node1 $epoch':
$(cat "$work/hook.failover_complete.env")"
ok "failover_complete hook ran with EVENT SERVICE PRIMARY OLD_PRIMARY EPOCH = $got"
log_has 'event=hook_done service=mysql hook=failover_complete exit=0 .*output="hook saw failover_complete\\nsecond line' 10
ok "its output and exit status are logged: $(grep -oE 'event=hook_done .*hook=failover_complete exit=0' "$log" | head -1)"
[ ! -e "$work/hook.failover_failed.env" ] || fail "failover_failed ran for a failover that succeeded"

# The slow failover_started hook: started (it wrote its file), killed at
# hook_timeout, and failover_complete came before that.
test -s "$work/started.out" || fail "the failover_started hook did not run"
log_has 'event=hook_timed_out service=mysql hook=failover_started timeout=5s killed=yes' 15
line_of() { grep -nE "$1" "$log" | head -1 | cut -d: -f1; }
complete=$(line_of 'event=failover_complete ')
timed_out=$(line_of 'event=hook_timed_out .*hook=failover_started')
started=$(line_of 'event=hook_started .*hook=failover_started')
[ -n "$started" ] && [ "$started" -lt "$complete" ] && [ "$complete" -lt "$timed_out" ] ||
  fail "expected hook started < failover_complete < hook killed, got lines $started, $complete, $timed_out:
$(grep -E 'event=(failover_started|failover_complete|hook_)' "$log")"
ok "the sleeping failover_started hook was killed at its timeout, after failover_complete was logged:
$(grep -E 'event=(failover_started|failover_complete|hook_started|hook_timed_out)' "$log" | cut -c1-110 | sed 's/^/    /')"
! pgrep -f "sleep 600" >/dev/null || fail "the hook's sleep outlived its timeout"
ok "nothing of the killed hook is left running"
finish
