#!/usr/bin/env bash
# failoverdns as a host's nameserver: names outside its domain are forwarded
# to `recursors` (here NSD, the "outside world" of outside_lib.sh), relayed
# faithfully, cached, and refused to clients outside recursor_acl -- while
# its own names keep being answered at once, whatever the upstream does.
source "$(dirname "$0")/outside_lib.sh"

start_outside_world 127.0.0.53
# A client address that is not loopback: a veth pair inside this test's
# network namespace (nothing leaves it).
ip link add fdns-a type veth peer name fdns-b
ip addr add 10.53.0.1/24 dev fdns-a
ip addr add 10.53.0.2/24 dev fdns-b
ip link set fdns-a up
ip link set fdns-b up
cleanup_more() { ip link del fdns-a 2>/dev/null; }

# 127.0.0.54: nothing listens there, so the first recursor fails at once
# (ICMP port unreachable) and the second answers.
write_zone() {
  cat >"$work/zone.json" <<JSON
{
  "addresses": {"dns": "127.0.0.1 10.53.0.1"}, "ports": {"dns": $port}, "dns_workers": 2,
  "recursors": [$1],
  "dns_config": {"recursor_timeout": "${2:-1s}"},
  "services": [{"id": "db1", "name": "mysql", "address": "127.0.0.11", "port": 3306}]
}
JSON
}
write_zone '"127.0.0.54", "127.0.0.53:53"'
start_daemon -config-file "$work/zone.json"
wait_serving 10

# dig at ADDR, from the default source unless FROM is set.
q() { dig +time=3 +tries=1 ${from:+-b $from} @"${at:-127.0.0.1}" -p "$port" "$@" 2>&1 || true; }
flags() { q "$@" | grep -oE 'flags: [a-z ]+;' | head -1; }
status() { q "$@" | grep -oE 'status: [A-Z]+' | head -1 | cut -d' ' -f2; }
short() { q +short "$@" | sort | paste -sd' ' -; }
expect() { [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"; ok "$1"; }

expect "www.example.org is forwarded: the outside world's address" "$(short www.example.org)" "192.0.2.80"
expect "AAAA forwarded too" "$(short www.example.org AAAA)" "2001:db8::80"
expect "a CNAME comes with its target" "$(short alias.example.org)" "192.0.2.80 www.example.org."
expect "forwarded answers offer recursion and are not authoritative" "$(flags www.example.org)" "flags: qr rd ra;"
expect "our own names stay authoritative, now with RA" "$(flags mysql.service.consul)" "flags: qr aa rd ra;"
expect "our own names still answer" "$(short mysql.service.consul)" "127.0.0.11"

# The client's ID and its 0x20 case come back; dig checks the ID itself.
question=$(q +noall +question WwW.ExAmPlE.oRg | awk '{print $1}' | tr -d ';')
expect "the question comes back in the client's case" "$question" "WwW.ExAmPlE.oRg."

# Cached: asked again from many source ports (so both workers), the outside
# world hears nothing more.
before=$(outside_world_queries)
for _ in $(seq 10); do [ "$(short www.example.org)" = 192.0.2.80 ] || fail "www.example.org changed"; done
expect "10 more asks, both workers: answered from the caches, none reached the upstream" \
  "$(( $(outside_world_queries) - before ))" "0"

# TTLs count down in the cache, and an expired answer is fetched again.
ttl_of() { q +noall +answer "$1" | awk '{print $2}' | head -1; }
first=$(ttl_of short.example.org)
[ "$first" -le 5 ] && [ "$first" -ge 4 ] || fail "short.example.org first TTL $first, expected 4-5"
ttl_below() { local t; t=$(ttl_of short.example.org); [ "$t" -lt "$1" ] || { echo "TTL $t"; return 1; }; }
poll_until 3000 "the cached TTL counting down" ttl_below "$first"
ok "a cached TTL counts down (first $first, now $(ttl_of short.example.org))"
before=$(outside_world_queries)
fetched_again() { short short.example.org >/dev/null; [ "$(outside_world_queries)" -gt "$before" ]; }
poll_until 8000 "short.example.org (TTL 5) fetched again once expired" fetched_again
ok "an expired answer is asked for again"

# Negative answers: NXDOMAIN with the SOA, cached for the SOA minimum (60 s).
expect "a name that does not exist: NXDOMAIN" "$(status nope.example.org)" "NXDOMAIN"
soa_ttl=$(q +noall +authority nope.example.org | awk '$4 == "SOA" {print $2}')
[ -n "$soa_ttl" ] && [ "$soa_ttl" -le 60 ] && [ "$soa_ttl" -ge 58 ] || fail "negative SOA TTL '$soa_ttl', expected 58-60"
ok "the NXDOMAIN carries the SOA with the negative TTL (min of its TTL and MINIMUM): $soa_ttl"
before=$(outside_world_queries)
expect "asked again: still NXDOMAIN" "$(status nope.example.org)" "NXDOMAIN"
expect "the NXDOMAIN was cached (RFC 2308)" "$(( $(outside_world_queries) - before ))" "0"

# Sizes: a client's limit is respected with TC, never cut silently.
expect "medium TXT (880 bytes) with EDNS fits: 12 records" "$(q +short medium.example.org TXT | wc -l)" "12"
expect "medium TXT without EDNS (512 bytes): TC, no records" "$(flags +noedns +ignore medium.example.org TXT)" \
  "flags: qr tc rd ra;"
expect "big TXT (2200 bytes) over UDP with EDNS 1232: TC" "$(flags +ignore big.example.org TXT)" "flags: qr tc rd ra;"
expect "big TXT over TCP: all 30 records (fetched from the upstream over TCP)" \
  "$(q +tcp +short big.example.org TXT | wc -l)" "30"
expect "a TCP client gets forwarded answers" "$(short +tcp mail.example.org MX)" "10 mx.example.org."

# Reverse lookups: our instance addresses are ours, other reverse names are
# forwarded (NSD is not authoritative for them: REFUSED, so SERVFAIL here).
expect "dig -x 127.0.0.11: the node's name, as Consul answers" "$(short -x 127.0.0.11)" "db1.node.dc1.consul."
expect "dig -x 127.0.0.11 is authoritative" "$(flags -x 127.0.0.11)" "flags: qr aa rd ra;"
expect "dig -x 192.0.2.80: not ours, forwarded (the outside world refuses it)" "$(status -x 192.0.2.80)" "SERVFAIL"
log_has 'event=forward_failed question="80.2.0.192.in-addr.arpa. type12" tried="127.0.0.54:53 nothing listens there \(ICMP port unreachable\); 127.0.0.53:53 answered rcode 5"' 5
ok "the failure is logged with what each recursor did"

# No open resolver: from a non-loopback address, outside names are REFUSED,
# our own names answered.
expect "from 10.53.0.2 (outside recursor_acl): www.example.org REFUSED" \
  "$(at=10.53.0.1 from=10.53.0.2 status www.example.org)" "REFUSED"
expect "from 10.53.0.2 over TCP: REFUSED too" "$(at=10.53.0.1 from=10.53.0.2 status +tcp www.example.org)" "REFUSED"
expect "from 10.53.0.2: mysql.service.consul still answered" \
  "$(at=10.53.0.1 from=10.53.0.2 short mysql.service.consul)" "127.0.0.11"
# A reload widens the ACL.
write_zone '"127.0.0.53"'
sed -i 's/"recursor_timeout": "1s"}/"recursor_timeout": "1s", "recursor_acl": ["127.0.0.0\/8", "10.53.0.0\/24"]}/' "$work/zone.json"
kill -HUP "$pid"
log_has "event=reload_complete" 10
allowed() { [ "$(at=10.53.0.1 from=10.53.0.2 short www.example.org)" = 192.0.2.80 ]; }
poll_until 5000 "10.53.0.2 allowed to recurse after the reload" allowed
ok "after a reload with recursor_acl 10.53.0.0/24, 10.53.0.2 may recurse"

# A black-holed upstream: forwarded questions wait out the timeout, our own
# names do not wait at all.
nft add table inet fdns_test
nft add chain inet fdns_test out '{ type filter hook output priority 0; }'
nft add rule inet fdns_test out ip daddr 127.0.0.53 udp dport 53 drop
nft add rule inet fdns_test out ip daddr 127.0.0.53 tcp dport 53 drop
stuck=()
for i in $(seq 20); do
  q +short "blackholed$i.example.org" >/dev/null &
  stuck+=($!)
done
answered_now=$(dig +time=1 +tries=1 @127.0.0.1 -p "$port" +short mysql.service.consul 2>&1 || true)
expect "with 20 forwarded questions stuck on a black-holed upstream, our name answers within 1 s" \
  "$answered_now" "127.0.0.11"
expect "every recursor failing: SERVFAIL" "$(status stuck.example.org)" "SERVFAIL"
wait "${stuck[@]}"
nft delete table inet fdns_test
recovered() { [ "$(short fresh.example.org)" = "" ] && [ "$(status fresh.example.org)" = NXDOMAIN ]; }
poll_until 5000 "forwarding working again after the black hole" recovered
ok "forwarding recovers when the upstream does"
finish
