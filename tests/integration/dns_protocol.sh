#!/usr/bin/env bash
# The DNS protocol over UDP against real dig: 0x20 mixed case echoed, EDNS
# (our OPT, payload 1232, BADVERS, never DO), sizes (udp_answer_limit without
# EDNS, TC when over the payload, and dig's own retry over TCP getting every
# record), NOTIMP for other opcodes, REFUSED for other classes, FORMERR, and
# garbage datagrams that must not stop the next query being answered.
source "$(dirname "$0")/dns_lib.sh"
serve_zone '{"services": [{"id": "db1", "name": "mysql", "address": "127.0.0.41", "port": 3306}]}'

echo "# 0x20: the question comes back byte for byte"
expect "mixed case echoed in the question and answer sections" \
  "$(q +noall +question +answer MySQL.Service.CONSUL | awk '{print $1}' | sed 's/^;//' | sort -u | paste -sd' ' -)" \
  "MySQL.Service.CONSUL."
expect "mixed case: the answer itself" "$(short MySQL.Service.CONSUL)" "127.0.0.41"
expect "mixed case in a negative answer: the question echoed" \
  "$(q +noall +question NoSuch.Service.CONSUL | sed 's/^;//' | awk '{print $1}')" "NoSuch.Service.CONSUL."

echo "# EDNS"
expect "a query with EDNS gets an OPT with our payload size 1232" \
  "$(q +edns=0 web.service.consul | grep -oE '^; EDNS: version: 0, flags:.*udp: [0-9]+' | grep -oE 'udp: [0-9]+')" "udp: 1232"
expect "a query without EDNS gets no OPT" "$(q +noedns web.service.consul | grep -c 'OPT PSEUDOSECTION' || true)" 0
expect "EDNS version 1: BADVERS" "$(q +edns=1 +noednsneg web.service.consul | grep -oE 'status: [A-Z]+')" "status: BADVERS"
expect "BADVERS answers with version 0" "$(q +edns=1 +noednsneg web.service.consul | grep -oE '^; EDNS: version: [0-9]+')" \
  "; EDNS: version: 0"
q +dnssec web.service.consul | grep -E '^; EDNS' | grep -q ' do;' && fail "the DO bit is set in an answer"
ok "the DO bit is never set (no DNSSEC)"
expect "unknown EDNS options (cookie, NSID) are ignored" "$(q +cookie +nsid web.service.consul | grep -oE 'status: [A-Z]+')" \
  "status: NOERROR"

echo "# sizes: 40 instances of big"
expect "UDP without EDNS: udp_answer_limit (3) records" "$(q +noedns +ignore +short big.service.consul | wc -l)" 3
flags=$(q +noedns +ignore big.service.consul | grep -E '^;; flags:')
[[ $flags == *" tc"* ]] || fail "an answer cut to udp_answer_limit should carry TC, as Consul's does: $flags"
ok "... with TC set (enable_truncate), as Consul: the client knows there is more"
expect "dig without +ignore retries over TCP and gets all 40" "$(q +noedns +short big.service.consul | wc -l)" 40
out=$(q +noedns +ignore big.service.consul SRV)
[ "$(grep -oE 'MSG SIZE +rcvd: [0-9]+' <<<"$out" | grep -oE '[0-9]+$')" -le 512 ] || fail "an answer without EDNS over 512 bytes: $out"
ok "UDP without EDNS: at most 512 bytes"
flags=$(q +edns=0 +bufsize=4096 +ignore big.service.consul SRV | grep -E '^;; flags:')
[[ $flags == *" tc"* ]] || fail "40 SRV records exceed our 1232-byte EDNS payload and should set TC: $flags"
ok "EDNS answer bigger than our payload (1232): TC set"
size=$(q +edns=0 +bufsize=4096 +ignore big.service.consul SRV | grep -oE 'MSG SIZE +rcvd: [0-9]+' | grep -oE '[0-9]+$')
[ "$size" -le 1232 ] || fail "a truncated answer of $size bytes, over our payload of 1232"
ok "the truncated answer fits our payload ($size bytes)"
out=$(q big.service.consul SRV)
[[ $out == *"Truncated, retrying in TCP mode"* ]] || fail "dig did not see TC for 40 SRV records: $out"
expect "dig retries over TCP after TC and gets every record" "$(grep -cE '^big\.service\.consul\..*SRV' <<<"$out")" 40
expect "... with every target's address in the additional section" \
  "$(grep -cE '^big[0-9]+\.node\.dc1\.consul\..*[[:space:]]A[[:space:]]' <<<"$out")" 40

echo "# opcodes, classes, malformed"
expect "NOTIFY: NOTIMP" "$(q +opcode=notify web.service.consul | grep -oE 'status: [A-Z]+')" "status: NOTIMP"
expect "NOTIMP to a query with EDNS carries our OPT" \
  "$(q +edns=0 +opcode=notify consul SOA | grep -oE '^; EDNS: version: 0, flags:.*udp: [0-9]+' | grep -oE 'udp: [0-9]+')" "udp: 1232"
expect "REFUSED to a query with EDNS carries our OPT" \
  "$(q +edns=0 example.com | grep -oE '^; EDNS: version: 0, flags:.*udp: [0-9]+' | grep -oE 'udp: [0-9]+')" "udp: 1232"
expect "UPDATE: NOTIMP" "$(q +opcode=update web.service.consul | grep -oE 'status: [A-Z]+')" "status: NOTIMP"
expect "class CH: REFUSED" "$(status web.service.consul CH TXT)" REFUSED
expect "class ANY: answered like IN" "$(short -c ANY web.service.consul A)" "127.0.0.21 127.0.0.22"

/usr/bin/python3 - "$port" <<'PY' || fail "garbage datagrams (see above)"
import os, socket, struct, sys
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2.0)
question = b"\x03web\x07service\x06consul\x00" + struct.pack(">HH", 1, 1)
def message(ident, flags, qdcount):
    return struct.pack(">HHHHHH", ident, flags, qdcount, 0, 0, 0) + question * qdcount
# Random bytes of every awkward size (ids forced away from the ones checked
# below), then a response (QR=1), which must never be answered.
junk = [os.urandom(n) for n in (1, 2, 5, 11)] + [b"\xee\xee" + os.urandom(n) for n in (10, 40, 300, 1400)]
for j in junk + [message(0x5151, 0x8100, 1)]:
    s.sendto(j, ("127.0.0.1", port))
s.sendto(message(0x4321, 0x0100, 2), ("127.0.0.1", port))
s.sendto(message(0x1234, 0x0100, 1), ("127.0.0.1", port))
seen = {}
while len(seen) < 2 or 0x4321 not in seen or 0x1234 not in seen:
    try:
        data, _ = s.recvfrom(4096)
    except socket.timeout:
        sys.exit(f"no answer to a normal query after garbage (saw {sorted(map(hex, seen))})")
    ident, flags = struct.unpack(">HH", data[:4])
    seen[ident] = flags & 0xF
if 0x5151 in seen:
    sys.exit("a response (QR=1) was answered")
if seen[0x4321] != 1:
    sys.exit(f"QDCOUNT=2 should get FORMERR, got rcode {seen[0x4321]}")
if seen[0x1234] != 0:
    sys.exit(f"a normal query after garbage should get NOERROR, got rcode {seen[0x1234]}")
PY
ok "garbage datagrams and a response (QR=1) get no answer; QDCOUNT=2 gets FORMERR; the next query is answered"
expect "still answering dig after the garbage" "$(short web.service.consul)" "127.0.0.21 127.0.0.22"

finish
