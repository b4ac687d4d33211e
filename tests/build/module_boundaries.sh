#!/usr/bin/env bash
# A module sees only the public headers of the modules it links: a file
# compiled as part of dns/ compiles with dns/, catalog/, config/ and
# support/ headers, and fails with "No such file" for a health/ header.
# Usage: module_boundaries.sh BUILD_DIR
set -uo pipefail
build=$1
out=$(mktemp)
trap 'rm -f "$out"' EXIT

if ! cmake --build "$build" --target boundary_dns_sees_dns >"$out" 2>&1; then
  cat "$out"
  echo "FAIL: a dns/ file including dns/, catalog/ and support/ headers does not compile (see above)"
  exit 1
fi
echo "ok: dns/ sees its own headers and those of the modules it links"

if cmake --build "$build" --target boundary_dns_sees_no_health >"$out" 2>&1; then
  echo "FAIL: a dns/ file including failoverdns/health/health_check.hpp compiled: the module boundary is not enforced"
  exit 1
fi
if ! grep -q "failoverdns/health/health_check.hpp: No such file or directory" "$out"; then
  cat "$out"
  echo "FAIL: the dns/ file including a health/ header failed for another reason than not finding it (see above)"
  exit 1
fi
echo "ok: dns/ including a health/ header is a compile error"
