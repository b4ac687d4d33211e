#!/usr/bin/env bash
# failoverdns as the only nameserver in resolv.conf, reached through the C
# library as every program reaches DNS: getent resolves our names and the
# outside world's (forwarded to NSD), and the mariadb client connects to
# mysql.service.consul -- the primary, and the new primary after a
# failover. conf/failoverdns-nameserver.json and conf/resolv.conf as
# shipped, only the recursor's address changed. The resolv.conf goes where
# `ip netns exec` finds it: /etc/netns/<name>/resolv.conf.
source "$(dirname "$0")/outside_lib.sh"
source "$(dirname "$0")/scenario_lib.sh"
port=53  # resolv.conf has no port: port 53 of this test's namespace
ns=fdns-$$
cleanup_nameserver() {
  ip netns delete "$ns" 2>/dev/null
  rm -rf "/etc/netns/$ns"
}
cleanup_hooks+=(cleanup_nameserver)

start_outside_world 127.0.0.53
shipped=$(grep -o '"recursors": \[[^]]*\]' "$src/conf/failoverdns-nameserver.json")
[ "$shipped" = '"recursors": ["192.0.2.53"]' ] || fail "conf/failoverdns-nameserver.json changed: $shipped"
sed 's/"192.0.2.53"/"127.0.0.53"/' "$src/conf/failoverdns-nameserver.json" >"$work/nameserver.json"

cluster up 2 >/dev/null
write_config
start_daemon -config-file "$work/config.json" -config-file "$work/nameserver.json"
wait_for mysql.service.consul 127.0.0.11 15 >/dev/null
ok "failoverdns on 127.0.0.1:53 with the shipped nameserver config"

# getaddrinfo (AI_ADDRCONFIG) asks DNS only on a host with an address other
# than loopback, as every real host has: give this namespace one, on a
# veth pair inside the namespace (no packet can leave through it).
ip link add fdns-a type veth peer name fdns-b
ip addr add 10.53.1.1/24 dev fdns-a
ip addr add fd53::1/64 dev fdns-a nodad
ip link set fdns-a up
ip link set fdns-b up
# Name this namespace, and give it the shipped resolv.conf.
ip netns attach "$ns" $$
mkdir -p "/etc/netns/$ns"
cp "$src/conf/resolv.conf" "/etc/netns/$ns/resolv.conf"
in_ns() { ip netns exec "$ns" "$@"; }
[ "$(in_ns grep -c '^nameserver' /etc/resolv.conf)" = 1 ] || fail "ip netns exec did not put our resolv.conf in place"

v4() { in_ns getent ahostsv4 "$1" | awk 'NR == 1 {print $1}'; }
expect_eq() { [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"; ok "$1"; }
expect_eq "getent ahostsv4 mysql.service.consul: the primary" "$(v4 mysql.service.consul)" "127.0.0.11"
expect_eq "getent ahostsv4 www.example.org: forwarded to the outside world" "$(v4 www.example.org)" "192.0.2.80"
expect_eq "getent hosts www.example.org (AAAA first): forwarded too" \
  "$(in_ns getent hosts www.example.org | awk '{print $1}')" "2001:db8::80"
in_ns getent hosts nope.example.org >/dev/null && fail "getent resolved a name that does not exist"
ok "a name that does not exist does not resolve"

server_of_name() {
  in_ns mariadb -h mysql.service.consul -u app -papp --connect-timeout=2 -N -e 'SELECT @@server_id' 2>&1
}
id1=$(cluster sql 1 'SELECT @@server_id')
id2=$(cluster sql 2 'SELECT @@server_id')
expect_eq "mariadb -h mysql.service.consul reaches node1" "$(server_of_name)" "$id1"

cluster kill 1 >/dev/null
wait_for mysql.service.consul 127.0.0.12 20 >/dev/null
reaches_node2() { local s; s=$(server_of_name); [ "$s" = "$id2" ] || { echo "server_id '$s'"; return 1; }; }
poll_until 5000 "mariadb -h mysql.service.consul reaching node2 after the failover" reaches_node2
ok "after the failover, mariadb -h mysql.service.consul reaches node2"
expect_eq "outside names still resolve after the failover" "$(v4 www.example.org)" "192.0.2.80"
finish
