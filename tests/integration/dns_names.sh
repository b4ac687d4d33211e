#!/usr/bin/env bash
# Every DNS name form against real dig: services (A, AAAA, ANY, SRV with
# its additional records), tags, the RFC 2782 forms, nodes, addr, the apex
# SOA and NS, the datacenter form, alt_domain; TTLs; NXDOMAIN and NODATA
# with the SOA, REFUSED outside the domain; rotation. The zone: dns_lib.sh.
source "$(dirname "$0")/dns_lib.sh"
serve_zone

echo "# services, tags, datacenter, alt_domain"
expect "A of a service: its IPv4 instances" "$(short web.service.consul)" "127.0.0.21 127.0.0.22"
expect "AAAA of a service: its IPv6 instance" "$(short web.service.consul AAAA)" "::1"
expect "ANY: A and AAAA" "$(short web.service.consul ANY)" "127.0.0.21 127.0.0.22 ::1"
expect "tag filter" "$(short v2.web.service.consul ANY)" "127.0.0.22 ::1"
expect "unknown tag: NXDOMAIN" "$(status v9.web.service.consul)" NXDOMAIN
expect "datacenter form" "$(short web.service.dc1.consul)" "127.0.0.21 127.0.0.22"
expect "datacenter form with a tag" "$(short v1.web.service.dc1.consul)" "127.0.0.21"
expect "unknown datacenter: NXDOMAIN" "$(status web.service.dc9.consul)" NXDOMAIN
expect "alt_domain answers in its own name" "$(q +noall +answer v1.web.service.example.org | awk '{print $1, $5}')" \
  "v1.web.service.example.org. 127.0.0.21"

echo "# SRV"
expect "SRV: priority 1, weight, port, node target" "$(section answer web.service.consul SRV)" \
  "web.service.consul. SRV 1 1 80 web3.node.dc1.consul.|web.service.consul. SRV 1 1 8080 host2.node.dc1.consul.|web.service.consul. SRV 1 3 80 web1.node.dc1.consul."
expect "SRV additional: the targets' A and AAAA" \
  "$(section additional web.service.consul SRV | tr '|' '\n' | awk '{print $1, $2, $3}' | paste -sd'|' -)" \
  "host2.node.dc1.consul. A 127.0.0.22|web1.node.dc1.consul. A 127.0.0.21|web3.node.dc1.consul. AAAA ::1"
expect "SRV additional at the service's TTL (web: 30 s), not node_ttl, as Consul" \
  "$(q +noall +additional web.service.consul SRV | awk '{print $2}' | sort -u | paste -sd' ' -)" 30
expect "SRV in alt_domain: targets in alt_domain too" "$(q +short v1.web.service.example.org SRV)" \
  "1 3 80 web1.node.dc1.example.org."
expect "RFC 2782 _svc._tag" "$(q +short _web._v2.service.consul SRV | sort | paste -sd'|' -)" \
  "1 1 80 web3.node.dc1.consul.|1 1 8080 host2.node.dc1.consul."
expect "RFC 2782 _svc._tcp: no tag filter" "$(q +short _web._tcp.service.consul SRV | wc -l)" 3
expect "RFC 2782 with datacenter" "$(q +short _web._v1.service.dc1.consul SRV)" "1 3 80 web1.node.dc1.consul."
expect "RFC 2782 without the service label, as Consul" "$(q +short _web._tcp.consul SRV | wc -l)" 3
expect "... with a tag and the datacenter" "$(q +short _web._v1.dc1.consul SRV)" "1 3 80 web1.node.dc1.consul."

echo "# nodes, addr"
expect "node name (the instance's node)" "$(short host2.node.consul)" "127.0.0.22"
expect "node name (the instance's id)" "$(short web3.node.dc1.consul AAAA)" "::1"
expect "node without the asked type: NODATA" "$(status host2.node.consul AAAA)" NOERROR
expect "unknown node: NXDOMAIN" "$(status nosuch.node.consul)" NXDOMAIN
expect "addr: 8 hex digits" "$(short 7f000016.addr.consul)" "127.0.0.22"
expect "addr with datacenter" "$(short 7f000016.addr.dc1.consul)" "127.0.0.22"
expect "addr: 32 hex digits, AAAA" "$(short 00000000000000000000000000000001.addr.consul AAAA)" "::1"

echo "# apex"
expect "apex NS" "$(short consul NS)" "ns.consul."
expect "NS glue: the listening address" "$(q +noall +additional consul NS | awk '{print $1, $4, $5}')" "ns.consul. A 127.0.0.1"
expect "apex SOA" "$(q +short consul SOA | awk '{print $1, $2}')" "ns.consul. hostmaster.consul."
serial=$(q +short consul SOA | awk '{print $3}')
[ -n "$serial" ] && [ $(( $(date +%s) - serial )) -ge 0 ] && [ $(( $(date +%s) - serial )) -lt 60 ] ||
  fail "the SOA serial should be the Unix time of the last publication, got '$serial' at $(date +%s)"
ok "SOA serial: the Unix time of the publication"
expect "alt_domain apex SOA" "$(q +short example.org SOA | awk '{print $1}')" "ns.example.org."

echo "# TTLs"
expect "service TTL from service_ttl" "$(q +noall +answer web.service.consul | awk '{print $2}' | sort -u)" 30
expect "other services fall back to \"*\"" "$(q +noall +answer +tcp big.service.consul | awk '{print $2}' | sort -u)" 5
expect "node TTL from node_ttl" "$(q +noall +answer host2.node.consul | awk '{print $2}')" 7

echo "# negative answers"
expect "unknown service: NXDOMAIN" "$(status nosuch.service.consul)" NXDOMAIN
expect "NXDOMAIN: the SOA in authority, TTL soa.min_ttl" "$(q +noall +authority nosuch.service.consul | awk '{print $1, $2, $4}')" \
  "consul. 3 SOA"
expect "NXDOMAIN: nothing in the answer" "$(q +noall +answer nosuch.service.consul)" ""
expect "existing name, no such type: NOERROR" "$(status web.service.consul TXT)" NOERROR
expect "NODATA: empty answer, the SOA in authority" "$(q +noall +answer +authority web.service.consul TXT | awk '{print $1, $4}')" \
  "consul. SOA"
expect "empty non-terminal service.consul: NOERROR" "$(status service.consul)" NOERROR
expect "outside the domain: REFUSED" "$(status example.com)" REFUSED
expect "REFUSED carries no records" "$(q +noall +answer +authority example.com)" ""
expect "a sibling of the domain: REFUSED" "$(status notconsul)" REFUSED

echo "# rotation"
firsts=$(for i in $(seq 8); do q +short web.service.consul | head -1; done | sort -u | wc -l)
[ "$firsts" -ge 2 ] || fail "8 queries all returned the same first record: no rotation"
ok "multi-instance answers rotate: $firsts different first records in 8 queries"

finish
