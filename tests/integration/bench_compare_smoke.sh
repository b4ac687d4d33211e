#!/usr/bin/env bash
# Smoke test of bench/compare: failoverdns, Knot, NSD and dnsmasq start on one
# zone, agree on every query of the mix, and a table with all four comes out.
# It checks that the benchmark works, never how fast anything is.
source "$(dirname "$0")/daemon_lib.sh"
out=$work/compare.out
"$src/bench/compare" --quick --daemon "$daemon" --json "$work/compare.json" >"$out" 2>&1 ||
  { cat "$out" >&2; fail "bench/compare exited non-zero"; }
grep -q "checking the servers agree" "$out" || fail "no agreement check in the output"
ok "bench/compare ran: the four servers agree on every query of the mix"
grep -qE "^median of 1 round.* +failoverdns +knot +nsd +dnsmasq$" "$out" || { cat "$out" >&2; fail "no table header"; }
grep -qE "^max QPS, dnsperf( +[0-9,]+ \([0-9.]+\)){4}$" "$out" || { cat "$out" >&2; fail "no QPS row for every server"; }
ok "the table has a column for each server"
/usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
m = d["median"]
assert set(m) == {"failoverdns", "knot", "nsd", "dnsmasq"}, m.keys()
assert all(v["dnsperf"]["qps"] > 0 and v["bench_max"]["answered"] > 0 for v in m.values()), m
assert all(r["errors"] == 0 for s in d["runs"].values() for r in s["bench_max"]), d["runs"]
' "$work/compare.json" || fail "compare.json is incomplete"
ok "compare.json holds every server with answered queries"
# --instructions runs the servers under callgrind, which cannot run an
# ASan binary: it takes the optimised build that tools/test makes first.
plain=$src/build/failoverdns
[ -x "$plain" ] || fail "no optimised build at $plain (tools/test builds it; or cmake --build build)"
"$src/bench/compare" --instructions --duration 1 --daemon "$plain" --json "$work/ins.json" >"$out" 2>&1 ||
  { cat "$out" >&2; fail "bench/compare --instructions exited non-zero"; }
grep -qE "^user-space instructions per answered query +failoverdns +knot +nsd +dnsmasq$" "$out" ||
  { cat "$out" >&2; fail "no instructions table"; }
/usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["instructions"]
assert set(r) == {"failoverdns", "knot", "nsd", "dnsmasq"}, r.keys()
assert all(v["answered"] > 0 and v["errors"] == 0 and v["instructions_per_query"] > 0 for v in r.values()), r
' "$work/ins.json" || fail "ins.json is incomplete"
ok "--instructions: every server counted under callgrind, per answered query"
echo "$name: $checks passed, 0 failed"
