#!/usr/bin/env bash
# The asynchronous MariaDB client and probe against a real pair from
# tools/cluster: runs unit_health with its live cases enabled. Those cases
# freeze, blackhole and kill node1 themselves (through tools/cluster) and
# check that node2's probes go on meanwhile.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${FAILOVERDNS_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
unit=${FAILOVERDNS_BUILD_DIR:-$src/build-asan}/tests/unit_health
[ -x "$unit" ] || { echo "health_mariadb: no $unit (build the unit_health target)" >&2; exit 1; }
export CLUSTER_DIR=$(mktemp -d /tmp/fdns-health.XXXXXX)
cleanup() { "$src/tools/cluster" down --dir "$CLUSTER_DIR" >/dev/null 2>&1 || true; rm -rf "$CLUSTER_DIR"; }
trap cleanup EXIT
rmdir "$CLUSTER_DIR"
"$src/tools/cluster" up 2 --dir "$CLUSTER_DIR"

FAILOVERDNS_TEST_MARIADB=1 "$unit" --success=false
echo "health_mariadb: ok"
