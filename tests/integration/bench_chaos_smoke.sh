#!/usr/bin/env bash
# Smoke test of bench/chaos, the fault-injection run: 60 s of a fixed seed's
# kill, short freeze and reload storm faults on a tools/cluster pair. It
# checks that the harness works (the summary and the JSON come out, faults
# were injected and recovered from, writes were acknowledged), that its exit
# status agrees with its own data-safety checks, and that those checks are
# zero for these plain faults (exit 0).
source "$(dirname "$0")/check_lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
src=${FAILOVERDNS_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
daemon=${FAILOVERDNS:-${FAILOVERDNS_BUILD_DIR:-$src/build-asan}/failoverdns}
[ "$(id -u)" = 0 ] || { echo "bench_chaos_smoke: needs root (tools/cluster starts MariaDB)" >&2; exit 1; }

out=$(mktemp -d /tmp/fdns-chaos-smoke.XXXXXX)
trap 'rm -rf "$out"' EXIT

on_failure() { sed 's/^/    /' "$out/stdout" "$out/stderr"; }
json() { /usr/bin/python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, {"r": r}))' "$out/report.json" "$1"; }

rc=0
"$src/bench/chaos" --duration 60 --seed 8 --faults kill,freeze_short,reload_storm --daemon "$daemon" \
  --json "$out/report.json" >"$out/stdout" 2>"$out/stderr" || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "bench/chaos exited with $rc (2 = harness error)"
grep -q '^bench/chaos: seed 8 (replay with --seed 8)' "$out/stderr" || fail "the seed was not printed at start"
ok "bench/chaos --duration 60 --seed 8 ran to the end (exit $rc)"

for line in '^chaos run of mysql.service.consul: seed 8,' '^faults: ' '^failovers (event=failover_complete): ' \
  '^data-safety checks' '^  lost_received_by_replica ' '^  split_brain_windows ' '^  daemon_crashes ' \
  '^  lost_never_received ' '^  no_answer_with_writable_primary ' '^daemon log: ' '^result: '; do
  grep -q "$line" "$out/stdout" || fail "the summary has no line matching '$line'"
done
ok "the summary has the seed, faults, failovers and every check"

[ -s "$out/report.json" ] || fail "no report.json"
[ "$(json 'r["seed"]')" = 8 ] || fail "report.json has the wrong seed"
[ "$(json 'len(r["faults"]) >= 3')" = True ] || fail "fewer than 3 faults in 60 s: $(json 'r["faults_by_kind"]')"
[ "$(json 'set(r["faults_by_kind"]) <= {"kill", "freeze_short", "reload_storm"}')" = True ] ||
  fail "faults outside --faults: $(json 'r["faults_by_kind"]')"
[ "$(json 'all(f["recovered"] for f in r["faults"])')" = True ] || fail "a fault was not recovered from: $(json 'r["faults"]')"
[ "$(json 'r["acked"] > 100')" = True ] || fail "only $(json 'r["acked"]') writes acknowledged"
[ "$(json 'r["failovers"] >= r["faults_by_kind"].get("kill", 0)')" = True ] ||
  fail "fewer failovers than kills: $(json 'r["failovers"]') for $(json 'r["faults_by_kind"]')"
ok "report.json: seed, $(json 'len(r["faults"])') faults of the chosen kinds all recovered, $(json 'r["acked"]') writes, $(json 'r["failovers"]') failovers"

[ "$(json 'r["ok"] == all(v == 0 for v in r["checks"].values())')" = True ] || fail "ok disagrees with the checks"
[ "$rc" = 0 ] && [ "$(json 'r["ok"]')" = True ] ||
  fail "exit status $rc: data-safety checks $(json 'r["checks"]') (details in the summary)"
ok "exit status 0: no lost received row, no split brain, no crash"

[ -z "$(ss -Hltn '( src 127.0.0.11 and sport = :3306 )')" ] || fail "a MariaDB is still listening on 127.0.0.11:3306"
ok "the cluster was taken down"
echo "bench_chaos_smoke: $checks passed, 0 failed"
