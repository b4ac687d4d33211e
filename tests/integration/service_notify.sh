#!/usr/bin/env bash
# Type=notify as systemd would see it, with a listener on $NOTIFY_SOCKET
# standing in for systemd: READY=1 only once the daemon answers and, for a
# service under failover on a tools/cluster pair, once its first probe
# round is in and the primary it found is published (node2 is frozen, so
# that round waits out node2's probe timeout: READY must wait too);
# RELOADING=1 then READY=1 around a reload, with a status saying whether it
# failed; STOPPING=1 on SIGTERM.
source "$(dirname "$0")/scenario_lib.sh"

# listen SOCKET OUT QNAME: every datagram on SOCKET becomes one line of OUT,
# "<ms> <message>" (newlines as blanks). A READY=1 line also records what
# the world looked like at that moment: QNAME's answer and how many lines
# the daemon's log had.
listen() {
  : >"$2"
  /usr/bin/python3 - "$1" "$2" "$log" "$port" "$3" <<'EOF' &
import os, socket, subprocess, sys, time
path, out, log, port, qname = sys.argv[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o777)
with open(out, "a", buffering=1) as f:
    f.write("listening\n")
    while True:
        msg = s.recv(4096).decode()
        line = f"{time.time_ns() // 1000000} {msg.replace(chr(10), ' ')}"
        if "READY=1" in msg:
            dig = subprocess.run(["dig", "+short", "+time=1", "+tries=1", "@127.0.0.1", "-p", port, qname],
                                 capture_output=True, text=True).stdout.split()
            line += f" answer={','.join(dig) or 'none'} log_lines={sum(1 for _ in open(log))}"
        f.write(line + "\n")
EOF
  listener=$!
  poll_until 5000 "the notify listener" grep -q listening "$2"
}
stop_listener() { kill "$listener" 2>/dev/null || true; wait "$listener" 2>/dev/null || true; listener=; }
cleanup_more() {
  [ -z "${listener:-}" ] || stop_listener
  cluster down >/dev/null 2>&1
}
notified() { grep -qE "$2" "$1"; }
# line_of REGEX: the number of the first line matching REGEX in the daemon
# log since line $log_from.
log_from=0
line_of() { tail -n +$(( log_from + 1 )) "$log" | grep -nE "$1" | head -1 | cut -d: -f1; }

# Without failover: ready once the answers are published and served.
echo "{\"ports\": {\"dns\": $port}, \"services\": [{\"name\": \"web\", \"address\": \"127.0.0.21\", \"port\": 80}]}" \
  >"$work/plain.json"
listen "$work/plain.sock" "$work/plain.notify" web.service.consul
start_daemon env NOTIFY_SOCKET="$work/plain.sock" -- -config-file "$work/plain.json"
poll_until 10000 "READY=1" notified "$work/plain.notify" "READY=1"
ready=$(grep "READY=1" "$work/plain.notify")
[[ $ready == *" STATUS=serving answer=127.0.0.21 "* ]] || fail "without failover, at READY=1: $ready"
(( $(line_of "event=listening") < $(line_of "event=ready ") )) || fail "event=ready before event=listening"
stop_daemon
poll_until 5000 "STOPPING=1 after SIGTERM" notified "$work/plain.notify" "STOPPING=1"
ok "no failover: READY=1 once web.service.consul answers; STOPPING=1 on SIGTERM"
stop_listener

# A failover service whose first round takes a while: node2 frozen, and a
# probe timeout of 4 s it must wait out.
cluster up 2 >/dev/null
write_config
sed -i 's/"timeout": "1s"/"timeout": "4s"/' "$work/config.json"
grep -q '"timeout": "4s"' "$work/config.json" || fail "could not set the probe timeout"
cluster freeze 2
listen "$work/notify.sock" "$work/notify" mysql.service.consul
started=$(now_ms)
log_from=$(wc -l <"$log")
start_daemon env NOTIFY_SOCKET="$work/notify.sock" -- -config-file "$work/config.json"
wait_serving 10
served_ms=$(( $(now_ms) - started ))
notified "$work/notify" "READY=1" && fail "READY=1 came while node2's first probe was still waiting (${served_ms} ms)"
ok "the daemon answers after ${served_ms} ms, and READY=1 has not come: node2's first probe is still out"
poll_until 15000 "READY=1" notified "$work/notify" "READY=1"
ready=$(grep "READY=1" "$work/notify")
ready_ms=$(( ${ready%% *} - started ))
[[ $ready == *" answer=127.0.0.11 "* ]] || fail "at READY=1, mysql.service.consul did not answer the primary: $ready"
log_lines=${ready##*log_lines=}
head -n "$log_lines" "$log" | grep -q "event=primary_found service=mysql instance=node1" ||
  fail "READY=1 came before the first round found the primary: $(head -n "$log_lines" "$log" | tail -5)"
(( $(line_of "event=primary_found") < $(line_of "event=ready ") )) || fail "event=ready before event=primary_found"
(( ready_ms >= 3500 )) || fail "READY=1 after $ready_ms ms: before node2's 4 s probe timeout"
ok "READY=1 after $ready_ms ms: node2's probe timed out, node1 found, saved and published (answered at READY)"
cluster thaw 2

kill -HUP "$pid"
poll_until 10000 "READY=1 after the reload" notified "$work/notify" "READY=1 STATUS=serving; configuration reloaded"
grep -A1 "RELOADING=1" "$work/notify" | grep -q "READY=1 STATUS=serving; configuration reloaded" ||
  fail "a reload should be RELOADING=1 then READY=1: $(cat "$work/notify")"
grep -q "RELOADING=1 MONOTONIC_USEC=[0-9]" "$work/notify" || fail "RELOADING=1 without MONOTONIC_USEC: $(cat "$work/notify")"
cp "$work/config.json" "$work/config.good"
echo '{"services": [' >"$work/config.json"
kill -HUP "$pid"
poll_until 10000 "READY=1 after the failed reload" notified "$work/notify" "READY=1 STATUS=serving; the last reload failed"
cp "$work/config.good" "$work/config.json"
[ "$(ask mysql.service.consul)" = 127.0.0.11 ] || fail "the failed reload changed the answers"
ok "SIGHUP: RELOADING=1 (with MONOTONIC_USEC) then READY=1; a failed reload says so in STATUS"

kill "$pid"
status=0
wait "$pid" || status=$?
pid=
[ "$status" = 0 ] && grep -q "event=stopped" "$log" || fail "SIGTERM: exit $status"
poll_until 5000 "STOPPING=1 after SIGTERM" notified "$work/notify" "STOPPING=1"
ok "STOPPING=1 on SIGTERM"
finish
