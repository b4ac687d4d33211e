#!/usr/bin/env bash
# The asynchronous MariaDB probe against a real pair from tools/cluster:
# primary and replica observations, heartbeats advancing, a frozen server
# that times out while another probe completes, a killed one refused at once.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${FAILOVERDNS_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
unit=${FAILOVERDNS_BUILD_DIR:-$src/build-asan}/tests/unit_health
export CLUSTER_DIR=$(mktemp -d /tmp/fdns-health.XXXXXX)
cleanup() { "$src/tools/cluster" down --dir "$CLUSTER_DIR" >/dev/null 2>&1 || true; rm -rf "$CLUSTER_DIR"; }
trap cleanup EXIT
rmdir "$CLUSTER_DIR"
"$src/tools/cluster" up 2 --dir "$CLUSTER_DIR"

export FAILOVERDNS_TEST_MARIADB=1
"$unit"
"$src/tools/cluster" freeze 1 --dir "$CLUSTER_DIR"
FAILOVERDNS_TEST_FROZEN=1 "$unit" -tc="live: a frozen*"
"$src/tools/cluster" thaw 1 --dir "$CLUSTER_DIR"
"$src/tools/cluster" kill 1 --dir "$CLUSTER_DIR"
FAILOVERDNS_TEST_STOPPED=1 "$unit" -tc="live: a stopped*"
echo "health_mariadb: ok"
