#!/usr/bin/env bash
# Reloads never drop the primary's name (issue 8, defect 5): every SIGHUP
# used to build a fresh failover controller that published before it had
# probed anything, so a healthy primary was NXDOMAIN for a moment at each
# reload. 200 reloads with an unchanged configuration and one that changes
# the failover settings, under a steady stream of queries: every answer
# must be node1.
source "$(dirname "$0")/failover_lib.sh"
scenario_start
ok "node1 published"

# Queries all along, in the background: anything but node1 is written down.
wrong=$work/wrong-answers
asked=$work/asked
: >"$wrong"
(
  n=0
  while [ ! -e "$work/stop-asking" ]; do
    a=$(ask mysql.service.consul)
    n=$((n + 1))
    [ "$a" = 127.0.0.11 ] || echo "$(now_ms) '$a'" >>"$wrong"
    echo "$n" >"$asked"
  done
) &
asker=$!

reloads() { grep -c "event=reload_complete" "$log" || true; }
more_reloads_than() { [ "$(reloads)" -gt "$1" ]; }
hup_and_wait() { # one SIGHUP, then until it is done
  local before
  before=$(reloads)
  kill -HUP "$pid"
  poll_until 10000 "reload $((before + 1)) complete" more_reloads_than "$before"
}
for i in $(seq 1 200); do hup_and_wait; done
grep -q "event=failover_kept service=mysql" "$log" || fail "the unchanged failover service was not kept across reloads"
ok "200 reloads with an unchanged configuration"

# Changed failover settings: the state is handed over, not rebuilt.
sed -i 's/"failcount": 3/"failcount": 4/' "$work/config.json"
hup_and_wait
log_has "event=failover_settings_changed service=mysql" 5
for i in $(seq 1 20); do hup_and_wait; done
ok "a reload that changes the failover settings, and 20 more"

touch "$work/stop-asking"
wait "$asker"
[ ! -s "$wrong" ] || fail "$(wc -l <"$wrong") of $(cat "$asked") answers were not node1 during reloads; first: $(head -3 "$wrong")"
[ "$(cat "$asked")" -ge 50 ] || fail "only $(cat "$asked") queries were asked during the reloads"
ok "$(cat "$asked") answers during 221 reloads, every one node1"
! grep -qE "event=(primary_down|failover_started|role_changed service=mysql instance=node1 from=primary)" "$log" ||
  fail "a reload disturbed the primary: $(grep -E "event=(primary_down|failover_started|role_changed service=mysql instance=node1 from=primary)" "$log" | head -1)"

# And it still fails over as configured (failcount 4 now).
mark
cluster kill 1 >/dev/null
ms=$(wait_since_mark mysql.service.consul 127.0.0.12 $(( refused_deadline_ms + recheck_ms )))
ok "after the reloads node1's death still moves the name, in ${ms} ms"
finish
