#!/usr/bin/env bash
# Smoke test of bench/compare: Knot, NSD and failoverdns start on one zone,
# agree on every query of the mix, and a table with all three comes out.
# It checks that the benchmark works, never how fast anything is.
source "$(dirname "$0")/daemon_lib.sh"
out=$work/compare.out
"$src/bench/compare" --rounds 1 --duration 1 --daemon "$daemon" --json "$work/compare.json" >"$out" 2>&1 ||
  { cat "$out" >&2; fail "bench/compare exited non-zero"; }
grep -q "checking the servers agree" "$out" || fail "no agreement check in the output"
ok "bench/compare ran: the three servers agree on every query of the mix"
for s in knot nsd failoverdns; do
  grep -qE "^$s +[0-9]+ +[0-9.]+ " "$out" || { cat "$out" >&2; fail "no table row for $s"; }
done
ok "the table has a row for each server"
/usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert set(d) == {"knot", "nsd", "failoverdns"}, d.keys()
assert all(v["qps"] > 0 and v["rounds"][0]["answers"] > 0 for v in d.values()), d
' "$work/compare.json" || fail "compare.json is incomplete"
ok "compare.json holds every server with answered queries"
echo "$name: $checks passed, 0 failed"
