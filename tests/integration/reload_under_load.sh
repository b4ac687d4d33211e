#!/usr/bin/env bash
# SIGHUP under load: failoverdns-bench offers a fixed rate of our own names
# and of forwarded names (cached, and fetched again as they expire) while
# failoverdns reloads its configuration 50 times. The generator counts
# every query: none may go unanswered, none may come back wrong or as
# anything but NOERROR -- a reload swaps the answer table and the resolver's
# settings under the DNS threads, it never pauses them.
source "$(dirname "$0")/outside_lib.sh"

bench=${FAILOVERDNS_BUILD_DIR:-$(dirname "$daemon")}/failoverdns-bench
[ -x "$bench" ] || fail "no failoverdns-bench at $bench: it is built with the daemon"
start_outside_world 127.0.0.53

write_config() {
  cat >"$work/config.json" <<JSON
{
  "addresses": {"dns": "127.0.0.1"}, "ports": {"dns": $port}, "dns_workers": 2,
  "recursors": ["127.0.0.53"],
  "dns_config": {"service_ttl": {"*": "$1s"}},
  "services": [
    {"id": "db1", "name": "mysql", "address": "127.0.0.11", "port": 3306},
    {"id": "db2", "name": "mysql", "address": "127.0.0.12", "port": 3306, "tags": ["replica"]}
  ]
}
JSON
}
write_config 0
start_daemon -config-file "$work/config.json"
wait_serving 10

# Our names, and forwarded ones: TTL 300 (cached throughout) and TTL 5
# (expires, so some are fetched from the upstream during the run).
cat >"$work/queries.txt" <<'EOF'
mysql.service.consul A
replica.mysql.service.consul A
mysql.service.consul SRV
www.example.org A
alias.example.org A
mail.example.org MX
short.example.org A
EOF
for name in www.example.org alias.example.org short.example.org; do
  [ -n "$(dig +short +time=2 +tries=1 @127.0.0.1 -p "$port" "$name")" ] || fail "warming the cache: $name"
done
ok "forwarded names answered and cached before the load"

"$bench" -s 127.0.0.1 -p "$port" -d "$work/queries.txt" --rate 2000 -l 20 -t 2 --json >"$work/load.json" \
  2>"$work/load.err" &
load=$!

reloads() { grep -c "event=reload_complete" "$log" || true; }
for i in $(seq 50); do
  before=$(reloads)
  write_config $(( i % 2 ))  # a real change each time: the answer table is recompiled
  kill -HUP "$pid"
  grown() { [ "$(reloads)" -gt "$before" ]; }
  poll_until 5000 "reload $i completing" grown
  kill -0 "$load" 2>/dev/null || fail "the load ended before reload $i: $(cat "$work/load.err")"
done
ok "50 reloads completed while the load ran"
wait "$load" || fail "failoverdns-bench failed: $(cat "$work/load.err")"

/usr/bin/python3 - "$work/load.json" <<'PY' || { cat "$work/load.json"; fail "queries went unanswered or wrong"; }
import json, sys
d = json.load(open(sys.argv[1]))
print(f"sent {d['sent']}, answered {d['answered']}, lost {d['lost']}, errors {d['errors']}, rcodes {d['rcodes']}")
assert d["sent"] > 30000, "the load was too short to cover the reloads"
assert d["lost"] == 0 and d["unsent"] == 0, "unanswered queries"
assert d["errors"] == 0, "wrong answers"
assert d["rcodes"] == {"NOERROR": d["answered"]}, "answers other than NOERROR"
PY
ok "every query of the load answered, NOERROR, checked by the generator, across 50 reloads"
grep -q "event=reload_failed" "$log" && fail "a reload failed"
finish
