#!/usr/bin/env bash
# The setup users keep: dnsmasq forwards the consul domain to failoverdns,
# exactly as it forwarded it to Consul. The server= line comes from
# conf/dnsmasq-failoverdns.conf, with the test's port put in. Also the seed's
# mysql.json, unchanged, served through dnsmasq.
source "$(dirname "$0")/daemon_lib.sh"
dnsmasq_pid=
cleanup_more() { [ -z "$dnsmasq_pid" ] || kill "$dnsmasq_pid" 2>/dev/null; }
ours=$port
front=$(free_port)

echo "{\"ports\": {\"dns\": $ours}}" >"$work/port.json"
start_daemon -config-file "$src/conf/consul-seed.json" -config-file "$work/port.json"

server_line=$(grep -E '^server=/consul/' "$src/conf/dnsmasq-failoverdns.conf")
[ "$server_line" = "server=/consul/127.0.0.1#8600" ] || fail "conf/dnsmasq-failoverdns.conf changed: $server_line"
sed "s/#8600/#$ours/" <<<"$server_line" >"$work/dnsmasq.conf"
/usr/sbin/dnsmasq --keep-in-foreground --conf-file="$work/dnsmasq.conf" --no-resolv --no-hosts \
  --listen-address=127.0.0.1 --bind-interfaces --port="$front" --user=root --pid-file="$work/dnsmasq.pid" \
  --log-facility="$work/dnsmasq.log" &
dnsmasq_pid=$!

answers_through_dnsmasq() { a=$(ask_at "$front" mysql.service.consul); [ -n "$a" ] && [ "$a" != "$no_response" ]; }
poll_until 10000 "an answer through dnsmasq" answers_through_dnsmasq
[ "$(ask_at "$front" mysql.service.consul)" = "172.25.0.11 172.25.0.12" ] || fail "through dnsmasq: '$(ask_at "$front" mysql.service.consul)'"
ok "dnsmasq (server=/consul/...) resolves mysql.service.consul through failoverdns: both seed addresses"
[ "$(ask_at "$front" master.mysql.service.consul)" = "172.25.0.11 172.25.0.12" ] || fail "tag through dnsmasq"
ok "the seed's master tag resolves through dnsmasq"
srv=$(dig +time=1 +tries=1 @127.0.0.1 -p "$ours" +noall +answer +additional mysql.service.consul SRV | awk '{print $4, $NF}' | LC_ALL=C sort | paste -sd' ' -)
[ "$srv" = "A 172.25.0.11 A 172.25.0.12 SRV mysqlnode1.node.dc1.consul. SRV mysqlnode2.node.dc1.consul." ] || fail "seed SRV: $srv"
ok "the seed's SRV answer: targets mysqlnode1/2.node.dc1.consul with their A records"
grep -qE "event=config_warning .*consul-seed\.json: services\[0\]\.checks\[0\]: this script check will not run" "$log" ||
  fail "no warning about the seed's script check"
ok "the seed's script check is not run without enable_script_checks, and the log says so"
finish
