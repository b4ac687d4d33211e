#!/usr/bin/env bash
# outside_lib.sh's outside world serves what its header promises: the
# forwarding and resolver tests build on these records, TTLs, sizes and the
# query counter, so a change to the zone shows up here first.
source "$(dirname "$0")/outside_lib.sh"
start_outside_world
[ "$OUTSIDE_ADDR:$OUTSIDE_PORT" = 127.0.0.53:53 ] || fail "OUTSIDE_ADDR:OUTSIDE_PORT is $OUTSIDE_ADDR:$OUTSIDE_PORT"

# out ARGS...: dig at the outside world, one try.
out() { dig +time=1 +tries=1 @"$OUTSIDE_ADDR" -p "$OUTSIDE_PORT" "$@" 2>&1 || true; }
# records NAME TYPE: "ttl type rdata" of each answer record, sorted.
records() { out +noall +answer "$@" | awk '{$1=""; $3=""; print}' | tr -s ' ' | sed 's/^ //' | sort | paste -sd'|' -; }

expect() { [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"; ok "$1"; }
expect "www A" "$(records www.example.org A)" "300 A 192.0.2.80"
expect "www AAAA" "$(records www.example.org AAAA)" "300 AAAA 2001:db8::80"
expect "alias: the CNAME and its target" "$(records alias.example.org A)" "300 A 192.0.2.80|300 CNAME www.example.org."
expect "mail MX" "$(records mail.example.org MX)" "300 MX 10 mx.example.org."
expect "mx A (the MX target)" "$(records mx.example.org A)" "300 A 192.0.2.25"
expect "short: TTL 5" "$(records short.example.org A)" "5 A 192.0.2.5"
expect "NS and its address" "$(records example.org NS) $(records ns.example.org A)" "300 NS ns.example.org. 300 A $OUTSIDE_ADDR"
nx=$(out nope.example.org A)
grep -q 'status: NXDOMAIN' <<<"$nx" || fail "nope.example.org is not NXDOMAIN: $nx"
grep -qE '^example\.org\.\s+60\s+IN\s+SOA\s.* 60$' <<<"$nx" || fail "the NXDOMAIN's SOA is not minimum 60 with TTL 60: $nx"
ok "a missing name: NXDOMAIN, SOA minimum 60 (the negative TTL)"
grep -q 'status: REFUSED' <<<"$(out example.com A)" || fail "a name outside example.org is not REFUSED"
ok "outside example.org: REFUSED (authoritative only)"

# flags_answers ARGS...: "flags=<header flags> answers=<count>" of one reply.
flags_answers() {
  out +ignore "$@" | sed -nE 's/^;; flags: ([a-z ]+);.* ANSWER: ([0-9]+),.*/flags=\1 answers=\2/p'
}
expect "medium TXT, 512-byte UDP: truncated" "$(flags_answers +noedns medium.example.org TXT)" "flags=qr aa tc rd answers=0"
expect "medium TXT, EDNS 1232: fits" "$(flags_answers +bufsize=1232 medium.example.org TXT)" "flags=qr aa rd answers=12"
expect "big TXT, EDNS 1232: truncated" "$(flags_answers +bufsize=1232 big.example.org TXT)" "flags=qr aa tc rd answers=0"
expect "big TXT over TCP: all 30" "$(flags_answers +tcp big.example.org TXT)" "flags=qr aa rd answers=30"
txt=$(out +tcp +short big.example.org TXT | head -1)
[ ${#txt} = 62 ] || fail "a big TXT string is ${#txt} bytes with its quotes, expected 62: $txt"
ok "each TXT string is 60 bytes"

before=$(outside_world_queries)
out www.example.org A >/dev/null
out +tcp www.example.org A >/dev/null
after=$(outside_world_queries)
expect "outside_world_queries counts each query, UDP and TCP" "$((after - before))" 2

stop_outside_world
[ "$(out +short www.example.org A)" != 192.0.2.80 ] || fail "NSD still answers after stop_outside_world"
! pgrep -f "nsd -d -c $work/" >/dev/null || fail "an NSD process is left after stop_outside_world: $(pgrep -af "nsd -d -c $work/")"
ok "stop_outside_world stops NSD and its children"
start_outside_world 127.0.0.54
expect "started again on another address" "$(out +short www.example.org A) $(out +short ns.example.org A)" "192.0.2.80 127.0.0.54"
stop_outside_world
start_outside_world
expect "and again on the first: the port was let go" "$OUTSIDE_ADDR $(out +short www.example.org A)" "127.0.0.53 192.0.2.80"
echo "$name: $checks passed, 0 failed"
