# The DNS system tests' zone and dig helpers (sourced, not run; on top of
# daemon_lib.sh). serve_zone starts the daemon on a free loopback port with
# a zone that has every name form in it:
#   web  (web1 v1 127.0.0.21 weight 3, web2 v2 127.0.0.22 on node host2,
#         web3 v2 ::1), TTL 30 s
#   big  (40 instances 127.1.0.1-40), TTL 5 s ("*")
#   alt_domain example.org, node_ttl 7 s, soa.min_ttl 3 s
source "$(dirname "${BASH_SOURCE[0]}")/daemon_lib.sh"

# Every answer as dig prints it; a dig failure is text the checks compare.
q() { dig +time=2 +tries=1 @127.0.0.1 -p "$port" "$@" 2>&1 || true; }
# The sorted short answer on one line.
short() { q +short "$@" | sort | paste -sd' ' -; }
status() { q "$@" | grep -oE 'status: [A-Z]+' | head -1 | cut -d' ' -f2; }
# One section as "owner type rdata...", sorted, records joined by "|".
section() { q +noall "+$1" "${@:2}" | awk '{print $1, $4, $5, $6, $7, $8}' | sort | paste -sd'|' -; }
# expect DESCRIPTION ACTUAL EXPECTED: the first difference ends the test.
expect() { [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"; ok "$1"; }

# serve_zone [JSON]: JSON is a second config file merged over the zone (as
# Consul merges: key by key), e.g. '{"dns_config": {"tcp_max_connections": 4}}'.
serve_zone() {
  local many="" i
  for i in $(seq 40); do many+="${many:+,}{\"id\":\"big$i\",\"name\":\"big\",\"address\":\"127.1.0.$i\",\"port\":80}"; done
  cat >"$work/zone.json" <<JSON
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
  if [ $# -gt 0 ]; then echo "$1"; else echo '{}'; fi >"$work/override.json"
  start_daemon -config-file "$work/zone.json" -config-file "$work/override.json"
  wait_serving 10
}
