#!/usr/bin/env bash
# Smoke test of bench/failover, the failover benchmark: one run of the kill
# scenario (on a tools/cluster pair) completes, the name moved to node2, and
# the summary table and the JSON report come out. It checks that the
# benchmark works, never how fast the failover is.
source "$(dirname "$0")/check_lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
src=${FAILOVERDNS_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
daemon=${FAILOVERDNS:-${FAILOVERDNS_BUILD_DIR:-$src/build-asan}/failoverdns}
[ "$(id -u)" = 0 ] || { echo "bench_failover_smoke: needs root (tools/cluster starts MariaDB)" >&2; exit 1; }

out=$(mktemp -d /tmp/fdns-bench-smoke.XXXXXX)
trap 'rm -rf "$out"' EXIT

on_failure() { sed 's/^/    /' "$out/stdout" "$out/stderr"; }

"$src/bench/failover" --runs 1 --scenarios kill --daemon "$daemon" --json "$out/report.json" \
  >"$out/stdout" 2>"$out/stderr" || fail "bench/failover exited with $?"
ok "bench/failover --runs 1 --scenarios kill completed"

grep -q '^scenario .*moved.*median' "$out/stdout" || fail "no table header in the output"
row=$(grep '^kill ' "$out/stdout") || fail "no kill row in the table"
read -r _ runs moved _ <<<"$row"
if [ "$runs" != 1 ] || [ "$moved" != 1 ]; then fail "table row says runs=$runs moved=$moved, want 1 1: '$row'"; fi
ok "the table has a kill row with the name moved in 1 of 1 runs"

# The same in the JSON report, with real numbers for both timings.
grep -q '"moved": true' "$out/report.json" || fail "report.json has no moved run"
grep -Eq '"dns_ms": [0-9]+,' "$out/report.json" || fail "report.json has no dns_ms for the run"
grep -Eq '"first_write_ms": [0-9]+,' "$out/report.json" || fail "report.json has no first_write_ms for the run"
grep -q 'event=failover_complete' "$out/report.json" || fail "report.json did not capture the daemon's failover_complete event"
ok "report.json records the run, its timings and the daemon's event"

# Everything it started is gone: no cluster left on node1's address.
[ -z "$(ss -Hltn '( src 127.0.0.11 and sport = :3306 )')" ] || fail "a MariaDB is still listening on 127.0.0.11:3306"
ok "the cluster was taken down"
echo "bench_failover_smoke: $checks passed, 0 failed"
