#!/usr/bin/env bash
# Smoke test of failoverdns-bench, the DNS load generator of bench/: against
# the real daemon over UDP and TCP, closed and open loop, every query is
# answered and checks out; against nothing, or a server answering the wrong
# question, the losses and errors are counted. Never asserts a speed.
source "$(dirname "$0")/daemon_lib.sh"

bench=${FAILOVERDNS_BUILD_DIR:-$(dirname "$daemon")}/failoverdns-bench
[ -x "$bench" ] || fail "no failoverdns-bench at $bench: it is built with the daemon"

cat >"$work/config.json" <<EOF
{"addresses": {"dns": "127.0.0.1"}, "ports": {"dns": $port}, "dns_workers": 1,
 "services": [
  {"id": "db1", "name": "mysql", "address": "127.0.0.11", "port": 3306},
  {"id": "db2", "name": "mysql", "address": "127.0.0.12", "port": 3306},
  {"id": "web1", "name": "web", "tags": ["v1"], "address": "127.0.0.21", "port": 80}]}
EOF
# 5 queries, 1 NXDOMAIN; both comment styles.
cat >"$work/queries.txt" <<'EOF'
; dnsperf-style comment
mysql.service.consul A
mysql.service.consul SRV
# hash comment
v1.web.service.consul A
MySQL.SERVICE.consul A
nosuch.service.consul A
EOF

start_daemon -config-file "$work/config.json"
wait_serving 10

# run NAME ARGS...: the bench's JSON in $work/NAME.json.
run() {
  local out=$work/$1.json
  shift
  "$bench" -s 127.0.0.1 -d "$work/queries.txt" --json "$@" >"$out" 2>"$out.err" ||
    { cat "$out.err" >&2; fail "failoverdns-bench $* exited non-zero"; }
}
# expect NAME PYTHON-ASSERTIONS...: each a Python expression over d (the JSON).
expect() {
  local file=$work/$1.json
  shift
  /usr/bin/python3 - "$file" "$@" <<'PY' || { cat "$file" >&2; fail "unexpected figures in $file"; }
import json, sys
d = json.load(open(sys.argv[1]))
for check in sys.argv[2:]:
    if not eval(check, {"d": d}):
        sys.exit(f"not true: {check}")
PY
}

run udp_max -p "$port" -l 1 --max -q 20
expect udp_max 'd["answered"] > 0' 'd["errors"] == 0' 'd["lost"] == 0' 'd["sent"] == d["answered"]' \
  'abs(5 * d["rcodes"]["NXDOMAIN"] - d["answered"]) <= 5' 'd["rcodes"]["NOERROR"] + d["rcodes"]["NXDOMAIN"] == d["answered"]' \
  '0 < d["latency_us"]["min"] <= d["latency_us"]["p50"] <= d["latency_us"]["p99"] <= d["latency_us"]["max"]'
ok "UDP closed loop: every query answered and checked, 1 in 5 NXDOMAIN as in the file"

run udp_rate -p "$port" -l 1 --rate 1000 -T 2
expect udp_rate 'd["sent"] == 1000' 'd["answered"] == 1000' 'd["errors"] == 0' 'd["lost"] == 0' 'd["unsent"] == 0' \
  'd["send_lag_us"] is not None'
ok "UDP open loop, 2 threads: exactly the scheduled 1000 queries sent and answered"

run tcp_max -p "$port" -l 1 --tcp -c 2 --max -q 10
expect tcp_max 'd["answered"] > 0' 'd["errors"] == 0' 'd["lost"] == 0' 'd["protocol"] == "tcp"'
ok "TCP pipelined on 2 connections: every query answered and checked"

# A TCP server that closes every connection after 10 answers, with the
# pipelined rest unanswered (dnsmasq does so after 100): those count as lost
# at once, and the bench reconnects and goes on. Without reconnecting, 2
# connections could get 20 answers at most.
tport=$(free_port)
/usr/bin/python3 - "$tport" <<'PY' &
import socket, sys, threading
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1])))
srv.listen(64)
srv.settimeout(10)
def serve(c):
    buf, answered = b"", 0
    while answered < 10:
        data = c.recv(65536)
        if not data:
            break
        buf += data
        while len(buf) >= 2 and len(buf) >= 2 + int.from_bytes(buf[:2], "big") and answered < 10:
            n = int.from_bytes(buf[:2], "big")
            r = bytearray(buf[2:2 + n])
            r[2] |= 0x80
            c.sendall(n.to_bytes(2, "big") + bytes(r))
            buf, answered = buf[2 + n:], answered + 1
    c.close()
while True:
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        break
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
PY
closer_pid=$!
cleanup_more() { for p in ${fake_pid:-} ${closer_pid:-}; do kill "$p" 2>/dev/null || true; done; }
poll_until 5000 "the closing TCP server accepting" /usr/bin/python3 -c \
  'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()' "$tport"
echo "mysql.service.consul A" >"$work/one.txt"
"$bench" -s 127.0.0.1 -p "$tport" -d "$work/one.txt" --json -l 0.5 --tcp -c 2 --max -q 20 >"$work/closer.json" ||
  fail "failoverdns-bench against the closing server exited non-zero"
kill $closer_pid; wait $closer_pid 2>/dev/null || true; closer_pid=
expect closer 'd["answered"] > 20' 'd["error_detail"]["io"] >= 2' 'd["lost"] > 0' \
  'd["error_detail"]["mismatched"] == 0' 'd["sent"] == d["answered"] + d["lost"]'
ok "a server closing TCP connections: their queries in flight lost, a new connection goes on"

nobody=$(free_port)
run nobody -p "$nobody" -l 0.5 --rate 200 -t 0.2
expect nobody 'd["answered"] == 0' 'd["lost"] + d["errors"] > 0'
ok "nothing listening: no answers, and the losses are reported"

# A fake server that echoes each query as a response, the question either
# upper-cased (must be accepted: names compare without case) or with one
# letter changed (must count as an error).
fake() {
  /usr/bin/python3 - "$1" "$2" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.settimeout(10)
while True:
    try:
        q, peer = s.recvfrom(512)
    except socket.timeout:
        break
    r = bytearray(q)
    r[2] |= 0x80
    if sys.argv[2] == "upper":
        r[12:] = bytes(r[12:]).upper()
    else:
        r[13] = ord("x") if r[13] != ord("x") else ord("y")
    s.sendto(bytes(r), peer)
PY
  fake_pid=$!
}
for mode in upper wrong; do
  fport=$(free_port)
  fake "$fport" "$mode"
  poll_until 5000 "the fake server answering" /usr/bin/python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.2)
s.sendto(bytes(12) + b"\x05probe\x00\x00\x01\x00\x01", ("127.0.0.1", int(sys.argv[1]))); s.recv(512)' "$fport"
  run "fake_$mode" -p "$fport" -l 0.5 --rate 200
  kill "$fake_pid"; wait "$fake_pid" 2>/dev/null || true; fake_pid=
  if [ $mode = upper ]; then
    expect fake_upper 'd["answered"] == d["sent"] > 0' 'd["errors"] == 0'
    ok "an answer echoing the question in another case is accepted"
  else
    expect fake_wrong 'd["answered"] == 0' 'd["error_detail"]["mismatched"] == d["sent"] > 0'
    ok "an answer to another question is counted as an error"
  fi
done

finish
