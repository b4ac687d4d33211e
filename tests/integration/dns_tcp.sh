#!/usr/bin/env bash
# DNS over TCP (RFC 7766) against real clients: dig and kdig, and a Python
# client for what they cannot do: several queries written at once on one
# connection, a bad length, a response sent as a query, an idle client, too
# many clients, too many from one address. Limits come from the config
# (tcp_idle_timeout 800ms, tcp_max_connections 4, 3 per client), so this
# also checks they reach the listener.
source "$(dirname "$0")/dns_lib.sh"
serve_zone '{"dns_config": {"tcp_idle_timeout": "800ms", "tcp_max_connections": 4,
                            "tcp_max_connections_per_client": 3}}'

cat >"$work/dnsclient.py" <<'PY'
import select, socket, struct, sys, time
port = int(sys.argv[1])
def query(ident, name="web.service.consul", flags=0x0100):
    labels = b"".join(bytes([len(l)]) + l.encode() for l in name.split("."))
    return struct.pack(">HHHHHH", ident, flags, 1, 0, 0, 0) + labels + b"\x00" + struct.pack(">HH", 1, 1)
def framed(m): return struct.pack(">H", len(m)) + m
def connect(timeout=3.0, source="127.0.0.1"):
    """A client from `source`: any 127.x.y.z is a separate client on loopback."""
    return socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(source, 0))
def read_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk: raise EOFError("the server closed the connection")
        data += chunk
    return data
def read_message(s): return read_exact(s, struct.unpack(">H", read_exact(s, 2))[0])
def ident(m): return struct.unpack(">H", m[:2])[0]
def rcode(m): return m[3] & 0xF
def ask(s, i, name="web.service.consul"):
    s.sendall(framed(query(i, name)))
    m = read_message(s)
    assert ident(m) == i, f"asked id {i}, answer has id {ident(m)}"
    return m
def closed(s):
    """True when the server closed (EOF or reset) before s's timeout."""
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False
PY
py() { PYTHONPATH="$work" /usr/bin/python3 - "$port"; }

echo "# dig and kdig"
expect "a query over TCP" "$(short +tcp web.service.consul)" "127.0.0.21 127.0.0.22"
expect "TCP carries every record of a big answer (40 SRV)" "$(q +tcp +short big.service.consul SRV | wc -l)" 40
expect "TCP without EDNS: no udp_answer_limit either" "$(q +tcp +noedns +short big.service.consul | wc -l)" 40
both=$(kdig +tcp +keepopen +short @127.0.0.1 -p "$port" v1.web.service.consul host2.node.consul 2>&1 | sort | paste -sd' ' -)
expect "kdig +keepopen: two queries on one connection" "$both" "127.0.0.21 127.0.0.22"

echo "# pipelining"
py <<'PY' || fail "pipelined queries (see above)"
from dnsclient import *
s = connect()
s.sendall(framed(query(1)) + framed(query(2, "nosuch.service.consul")) + framed(query(3, "host2.node.consul")))
answers = [read_message(s) for _ in range(3)]
assert [ident(m) for m in answers] == [1, 2, 3], f"answers out of order or missing: {[ident(m) for m in answers]}"
assert [rcode(m) for m in answers] == [0, 3, 0], f"rcodes {[rcode(m) for m in answers]}, expected NOERROR NXDOMAIN NOERROR"
# And a query split across writes, byte by byte.
for b in framed(query(4)):
    s.sendall(bytes([b]))
assert ident(read_message(s)) == 4
PY
ok "three queries written at once on one connection: three answers, in order; a query sent byte by byte"

echo "# a misbehaving client is cut off, others are not"
py <<'PY' || fail "misbehaving TCP clients (see above)"
from dnsclient import *
good = connect()
ask(good, 10)
cases = {
    "a length too short for a header": b"\x00\x03abc",
    "a response (QR=1) sent as a query": framed(query(11, flags=0x8100)),
    "twelve bytes of 0xff": framed(b"\xff" * 12),
}
for what, data in cases.items():
    bad = connect()
    bad.sendall(data)
    assert closed(bad), f"{what}: the connection stayed open"
    ask(good, 12)  # the other connection is still served
    print(f"  disconnected: {what}")
PY
ok "a client sending a bad length, a response or garbage is disconnected; another connection is still answered"

echo "# idle timeout (800ms)"
py <<'PY' || fail "idle timeout (see above)"
from dnsclient import *
idle = connect()
active = connect()
for i in range(10):  # 1.5 s of queries, 150 ms apart: the deadline moves with each
    ask(active, 20 + i)
    time.sleep(0.15)
    if i == 1:  # ~0.3 s in
        ready, _, _ = select.select([idle], [], [], 0)
        assert not ready, "an idle connection was closed before tcp_idle_timeout (800ms)"
assert closed(idle), "an idle connection is still open after 3 s"
ask(active, 30)
half = connect()
half.sendall(framed(query(31))[:10])  # half a query, then silence
t = time.monotonic()
assert closed(half), "a connection with half a query is still open after 3 s"
assert time.monotonic() - t < 2.5
PY
ok "an idle connection (and one stuck half way through a query) is closed after ~800ms; an active one stays open"
py <<'PY' || fail "slowloris (see above)"
from dnsclient import *
slow = connect(timeout=0.2)
t = time.monotonic()
for b in framed(query(32)):  # ~8 s of trickle at a byte every 200 ms
    try:
        slow.sendall(bytes([b]))
    except (BrokenPipeError, ConnectionResetError):
        break
    if closed(slow):
        break
took = time.monotonic() - t
assert took < 1.8, f"a client trickling a byte every 200 ms kept its connection for {took:.1f} s"
PY
ok "a client trickling a query a byte every 200 ms is closed after ~800ms, however steadily it sends"

echo "# connection limit (4)"
py <<'PY' || fail "connection limit (see above)"
from dnsclient import *
clients = [connect() for _ in range(3)] + [connect(source="127.0.0.2")]  # 3 per client
for i, c in enumerate(clients):
    ask(c, 40 + i)  # each one accepted and counted
extra = connect(source="127.0.0.3")
try:
    extra.sendall(framed(query(45)))
except (BrokenPipeError, ConnectionResetError):
    pass
assert closed(extra), "a fifth connection over tcp_max_connections=4 was kept open"
clients.pop().close()
# The server sees the close, then takes a new connection.
deadline = time.monotonic() + 5
while True:
    c = connect(timeout=0.5, source="127.0.0.3")
    try:
        ask(c, 46)
        break
    except (EOFError, ConnectionResetError, socket.timeout):
        assert time.monotonic() < deadline, "no new connection accepted after one closed"
        time.sleep(0.05)
for i, c in enumerate(clients):
    ask(c, 50 + i)  # the others were never disturbed
PY
ok "over tcp_max_connections a connection is closed at once; after one closes, a new one is served"
log_has "warn.*event=tcp_refused reason=connection_limit peer=127.0.0.3 limit=4 refused=1 " 5

echo "# per-client limit (3)"
py <<'PY' || fail "per-client limit (see above)"
from dnsclient import *
mine = [connect() for _ in range(3)]
for i, c in enumerate(mine):
    ask(c, 60 + i)
for i in range(5):  # a slot is free, but not for 127.0.0.1
    extra = connect()
    try:
        extra.sendall(framed(query(63)))
    except (BrokenPipeError, ConnectionResetError):
        pass
    assert closed(extra), "a fourth connection from 127.0.0.1 over tcp_max_connections_per_client=3 was kept open"
other = connect(source="127.0.0.2")
ask(other, 64)
ask(mine[0], 65)
PY
ok "over tcp_max_connections_per_client that address is refused at once; another address is served"
log_has "warn.*event=tcp_refused reason=per_client_limit peer=127.0.0.1 limit=3 refused=1 " 5
refusals=$(grep -c "reason=per_client_limit" "$log")
[ "$refusals" = 1 ] || fail "5 refused connections logged $refusals lines, expected 1 (at most one per 10 s)"
ok "the refusals are logged once (a warning naming the address), not once per connection"

finish
