#!/usr/bin/env bash
# The DNS server against real clients (dig, kdig): every name form, negative
# answers with their SOA, REFUSED outside the domain, TCP with pipelined
# queries, TC then the full set over TCP, EDNS and BADVERS, 0x20 case,
# NOTIMP, and garbage that must not stop it from answering.
source "$(dirname "$0")/daemon_lib.sh"
q() { dig +time=2 +tries=1 @127.0.0.1 -p "$port" "$@" 2>&1 || true; }
short() { q +short "$@" | sort | paste -sd' ' -; }
# expect DESCRIPTION ACTUAL EXPECTED
expect() { [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"; ok "$1"; }
status() { q "$@" | grep -oE 'status: [A-Z]+' | head -1 | cut -d' ' -f2; }
section() { q +noall "+$1" "${@:2}" | awk '{print $1, $4, $5, $6, $7, $8}' | sort | paste -sd'|' -; }

many=""
for i in $(seq 40); do many+="${many:+,}{\"id\":\"big$i\",\"name\":\"big\",\"address\":\"127.1.0.$i\",\"port\":80}"; done
cat >"$work/config.json" <<JSON
{
  "datacenter": "dc1", "alt_domain": "example.org",
  "addresses": {"dns": "127.0.0.1"}, "ports": {"dns": $port},
  "dns_config": {"service_ttl": {"web": "30s", "*": "5s"}, "node_ttl": "7s", "soa": {"min_ttl": 3}},
  "services": [
    {"id": "web1", "name": "web", "tags": ["v1"], "address": "127.0.0.21", "port": 80, "weights": {"passing": 3}},
    {"id": "web2", "name": "web", "tags": ["v2"], "address": "127.0.0.22", "port": 8080, "node": "host2"},
    {"id": "web3", "name": "web", "tags": ["v2"], "address": "::1", "port": 80},
    $many
  ]
}
JSON
start_daemon -config-file "$work/config.json"
wait_serving 10

# Names.
expect "A of a service: its IPv4 instances" "$(short web.service.consul)" "127.0.0.21 127.0.0.22"
expect "AAAA of a service: its IPv6 instance" "$(short web.service.consul AAAA)" "::1"
expect "ANY: A and AAAA" "$(short web.service.consul ANY)" "127.0.0.21 127.0.0.22 ::1"
expect "tag filter" "$(short v2.web.service.consul)" "127.0.0.22"
expect "datacenter form" "$(short web.service.dc1.consul)" "127.0.0.21 127.0.0.22"
expect "alt_domain answers in its own name" "$(q +noall +answer v1.web.service.example.org | awk '{print $1, $5}')" "v1.web.service.example.org. 127.0.0.21"
expect "unknown datacenter: NXDOMAIN" "$(status web.service.dc9.consul)" NXDOMAIN
expect "SRV: priority 1, weight, port, node target" "$(section answer web.service.consul SRV)" \
  "web.service.consul. SRV 1 1 80 web3.node.dc1.consul.|web.service.consul. SRV 1 1 8080 host2.node.dc1.consul.|web.service.consul. SRV 1 3 80 web1.node.dc1.consul."
expect "SRV additional: the targets' addresses" "$(section additional web.service.consul SRV | tr '|' '\n' | awk '{print $1, $3}' | paste -sd'|' -)" \
  "host2.node.dc1.consul. 127.0.0.22|web1.node.dc1.consul. 127.0.0.21|web3.node.dc1.consul. ::1"
expect "RFC 2782 with tag" "$(q +short _web._v2.service.consul SRV | sort | paste -sd"|" -)" "1 1 80 web3.node.dc1.consul.|1 1 8080 host2.node.dc1.consul."
expect "RFC 2782 _tcp: no tag filter" "$(q +short _web._tcp.service.consul SRV | wc -l)" 3
expect "node name" "$(short host2.node.consul)" "127.0.0.22"
expect "addr name" "$(short 7f000016.addr.consul)" "127.0.0.22"
expect "apex NS" "$(short consul NS)" "ns.consul."
expect "NS glue" "$(q +noall +additional consul NS | awk '{print $1, $5}')" "ns.consul. 127.0.0.1"
expect "apex SOA" "$(q +short consul SOA | awk '{print $1, $2}')" "ns.consul. hostmaster.consul."
expect "service TTL from service_ttl" "$(q +noall +answer web.service.consul | awk '{print $2}' | sort -u)" 30
expect "other services fall back to \"*\"" "$(q +noall +answer big.service.consul +tcp | awk '{print $2}' | sort -u)" 5
expect "node TTL from node_ttl" "$(q +noall +answer host2.node.consul | awk '{print $2}')" 7

# Negative answers.
expect "unknown service: NXDOMAIN" "$(status nosuch.service.consul)" NXDOMAIN
expect "NXDOMAIN carries the SOA, TTL soa.min_ttl" "$(q +noall +authority nosuch.service.consul | awk '{print $2, $4}')" "3 SOA"
expect "existing name, no such type: NOERROR" "$(status web.service.consul TXT)" NOERROR
expect "NODATA: empty answer, SOA in authority" "$(q +noall +answer +authority web.service.consul TXT | awk '{print $4}')" SOA
expect "empty non-terminal service.consul: NOERROR" "$(status service.consul)" NOERROR
expect "outside the domain: REFUSED" "$(status example.com)" REFUSED

# 0x20: the question comes back byte for byte.
expect "mixed case echoed in question and answer" \
  "$(q +noall +question +answer WeB.SeRvIcE.CoNsUl | awk '{print $1}' | sed 's/^;//' | sort -u | paste -sd' ' -)" "WeB.SeRvIcE.CoNsUl."

# EDNS.
expect "EDNS: our payload size 1232" "$(q +edns=0 web.service.consul | grep -oE 'udp: [0-9]+')" "udp: 1232"
expect "EDNS version 1: BADVERS" "$(q +edns=1 +noednsneg web.service.consul | grep -oE 'status: [A-Z]+')" "status: BADVERS"
q +dnssec web.service.consul | grep -E '^; EDNS' | grep -q ' do;' && fail "the DO bit is set in an answer"
ok "the DO bit is never set"

# Size limits: 40 instances.
expect "UDP without EDNS: udp_answer_limit (3) records" "$(q +noedns +short big.service.consul | wc -l)" 3
expect "TCP: all 40" "$(q +tcp +short big.service.consul | wc -l)" 40
tc=$(q +edns=0 +bufsize=4096 +ignore big.service.consul SRV | grep -E '^;; flags:')
[[ $tc == *" tc"* ]] || fail "40 SRV records exceed our 1232-byte EDNS payload and should set TC: $tc"
ok "EDNS answer bigger than our payload (1232): TC set"
expect "the same over TCP: every record" "$(q +tcp +short big.service.consul SRV | wc -l)" 40

# TCP: two queries pipelined on one connection.
both=$(kdig +tcp +keepopen +short @127.0.0.1 -p "$port" v1.web.service.consul host2.node.consul 2>&1 | sort | paste -sd' ' -)
expect "TCP, two pipelined queries on one connection" "$both" "127.0.0.21 127.0.0.22"

# Opcode, garbage.
expect "NOTIFY: NOTIMP" "$(q +opcode=notify web.service.consul | grep -oE 'status: [A-Z]+')" "status: NOTIMP"
/usr/bin/python3 - "$port" <<'PY'
import os, socket, struct, sys
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1.0)
query = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + b"\x03web\x07service\x06consul\x00" + struct.pack(">HH", 1, 1)
for junk in [os.urandom(n) for n in (1, 5, 11, 12, 40, 300, 1400)] + [struct.pack(">HHHHHH", 1, 0x8000, 1, 0, 0, 0)]:
    s.sendto(junk, ("127.0.0.1", port))
two = struct.pack(">HHHHHH", 0x4321, 0x0100, 2, 0, 0, 0) + query[12:] * 2
s.sendto(two, ("127.0.0.1", port))
# Skip whatever the junk earned (FORMERR or nothing) until our two answers.
seen = {}
while len(seen) < 2:
    data, _ = s.recvfrom(4096)
    ident, flags = struct.unpack(">HH", data[:4])
    if ident in (0x1234, 0x4321): seen[ident] = flags & 0xF
    if len(seen) == 1 and 0x4321 in seen: s.sendto(query, ("127.0.0.1", port))
assert seen[0x4321] == 1, f"QDCOUNT=2 should get FORMERR, got rcode {seen[0x4321]}"
assert seen[0x1234] == 0, f"a normal query after garbage should get NOERROR, got {seen[0x1234]}"
PY
ok "garbage UDP is survived; QDCOUNT=2 gets FORMERR; the next query is answered"
/usr/bin/python3 - "$port" <<'PY'
import socket, struct, sys, time
port = int(sys.argv[1])
bad = socket.create_connection(("127.0.0.1", port), timeout=3)
good = socket.create_connection(("127.0.0.1", port), timeout=3)
bad.sendall(b"\x00\x03abc")  # a length too short for a DNS header
try:
    # Closed with our bytes unread, the server's side may answer with a reset.
    assert bad.recv(10) == b"", "a client sending a bad length should be disconnected"
except ConnectionResetError:
    pass
q = struct.pack(">HHHHHH", 7, 0x0100, 1, 0, 0, 0) + b"\x03web\x07service\x06consul\x00" + struct.pack(">HH", 1, 1)
good.sendall(struct.pack(">H", len(q)) + q)
n = struct.unpack(">H", good.recv(2))[0]
assert struct.unpack(">H", good.recv(n)[:2])[0] == 7
PY
ok "a TCP client sending a bad length is cut off; another connection is still answered"

# Rotation: the first record changes across queries.
firsts=$(for i in $(seq 8); do q +short web.service.consul | head -1; done | sort -u | wc -l)
[ "$firsts" -ge 2 ] || fail "8 queries all returned the same first record: no rotation"
ok "multi-instance answers rotate"

finish
