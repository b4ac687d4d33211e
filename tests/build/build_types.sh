#!/usr/bin/env bash
# The build packagers run: `cmake -DCMAKE_BUILD_TYPE=T` with every other
# option at its default (warnings are not errors there), for the types
# tools/test does not build itself (it builds RelWithDebInfo, and Debug with
# sanitizers, both with warnings as errors). Each must build the daemon and
# the benchmark tool without a single compiler warning.
# Usage: build_types.sh SOURCE_DIR [TYPE...]
set -uo pipefail
src=$1
shift
types=("$@")
[ ${#types[@]} -gt 0 ] || types=(Release MinSizeRel Debug)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for type in "${types[@]}"; do
  start=$(date +%s)
  log=$work/$type.log
  if ! { cmake -S "$src" -B "$work/$type" -DCMAKE_BUILD_TYPE="$type" -DBUILD_TESTING=OFF &&
         cmake --build "$work/$type" -j"$(nproc)" --target failoverdns failoverdns-bench; } >"$log" 2>&1; then
    tail -40 "$log"
    echo "FAIL: CMAKE_BUILD_TYPE=$type does not build with the default options (log above)"
    status=1
    continue
  fi
  if grep -q "warning:" "$log"; then
    grep -B2 -A6 "warning:" "$log" | head -60
    echo "FAIL: CMAKE_BUILD_TYPE=$type builds, with compiler warnings (above): fix them, or silence exactly that one with a comment saying why"
    status=1
    continue
  fi
  echo "ok: CMAKE_BUILD_TYPE=$type builds with the default options, no warnings ($(( $(date +%s) - start )) s)"
done
exit $status
