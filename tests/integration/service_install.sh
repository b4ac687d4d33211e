#!/usr/bin/env bash
# `cmake --install` as an admin meets it: every file in its FHS place under
# a temporary prefix, the unit naming the installed binary and config dir
# and passing `systemd-analyze verify` (the installed binary is real, so
# the check of ExecStart= is too) and `systemd-analyze security`, the
# installed default config valid and served by the installed binary, an
# edited config kept by a second install, and a system install (prefix
# /usr, staged with DESTDIR) putting the config in /etc. The .deb has its
# own test: service_package.sh.
source "$(dirname "$0")/daemon_lib.sh"
build=${FAILOVERDNS_BUILD_DIR:-$src/build-asan}

prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1 || fail "cmake --install: $(tail -5 "$work/install.log")"
for f in bin/failoverdns lib/systemd/system/failoverdns.service etc/failoverdns/failoverdns.json \
  share/doc/failoverdns/README.md share/doc/failoverdns/examples/consul-seed.json \
  share/doc/failoverdns/examples/demo.json share/doc/failoverdns/examples/failover-example.json \
  share/doc/failoverdns/examples/dnsmasq-failoverdns.conf \
  share/doc/failoverdns/examples/unbound-failoverdns.conf; do
  [ -f "$prefix/$f" ] || fail "cmake --install did not put $f under the prefix: $(cd "$prefix" && find . -type f | sort)"
done
[ -x "$prefix/bin/failoverdns" ] || fail "the installed binary is not executable"
cmp -s "$src/README.md" "$prefix/share/doc/failoverdns/README.md" || fail "the installed README is not the README"
ok "cmake --install --prefix: bin/, lib/systemd/system/, etc/failoverdns/, share/doc/failoverdns/{README.md,examples/}"

unit=$prefix/lib/systemd/system/failoverdns.service
has_line() { grep -qxF "$1" "$unit" || fail "the installed unit lacks the line '$1': $(grep -vE '^(#|$)' "$unit")"; }
has_line "ExecStart=$prefix/bin/failoverdns -config-dir $prefix/etc/failoverdns"
has_line "ExecStartPre=$prefix/bin/failoverdns --check-config -config-dir $prefix/etc/failoverdns"
has_line "Documentation=file://$prefix/share/doc/failoverdns/README.md"
ok "the installed unit names the installed binary, config dir and README"
for line in Type=notify User=failoverdns Group=failoverdns CapabilityBoundingSet=CAP_NET_BIND_SERVICE \
  AmbientCapabilities=CAP_NET_BIND_SERVICE NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
  StateDirectory=failoverdns; do
  has_line "$line"
done
# Everything but the paths is the source file, as the .deb ships it.
diff <(grep -vE '^(ExecStart|ExecStartPre|Documentation)=' "$src/conf/failoverdns.service") \
  <(grep -vE '^(ExecStart|ExecStartPre|Documentation)=' "$unit") >/dev/null ||
  fail "the installed unit differs from conf/failoverdns.service beyond its paths"
ok "Type=notify, User/Group failoverdns, CAP_NET_BIND_SERVICE only, hardening; otherwise conf/failoverdns.service"

out=$(cd "$work" && systemd-analyze verify "$unit" 2>&1) || fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify had something to say: $out"
# It does look at ExecStart=: the same unit without its binary fails.
mv "$prefix/bin/failoverdns" "$work/moved"
status=0
out=$(cd "$work" && systemd-analyze verify "$unit" 2>&1) || status=$?
mv "$work/moved" "$prefix/bin/failoverdns"
[ "$status" != 0 ] && [[ $out == *"$prefix/bin/failoverdns"* ]] || fail "verify did not notice a missing binary: $out"
ok "systemd-analyze verify passes on the installed unit (and fails once its binary is gone)"

out=$(cd "$work" && systemd-analyze security --offline=yes --threshold=20 "$unit" 2>&1) ||
  fail "systemd-analyze security: exposure above 2.0: $(tail -3 <<<"$out")"
ok "systemd-analyze security: $(grep -oE 'exposure level .*' <<<"$out")"

run_installed() { out=$("$prefix/bin/failoverdns" "$@" 2>&1) || fail "the installed failoverdns $*: $out"; }
run_installed --check-config -config-dir "$prefix/etc/failoverdns"
[[ $out == *"runs as user failoverdns, group failoverdns"* && $out == *"configuration is valid"* ]] ||
  fail "the installed default config: $out"
ok "the installed default config is valid and runs as failoverdns:failoverdns"

echo '{"datacenter": "edited"}' >"$prefix/etc/failoverdns/failoverdns.json"
cmake --install "$build" --prefix "$prefix" >"$work/install2.log" 2>&1 || fail "second cmake --install: $(tail -5 "$work/install2.log")"
grep -q edited "$prefix/etc/failoverdns/failoverdns.json" || fail "a second install overwrote the edited config"
grep -q "Keeping: $prefix/etc/failoverdns/failoverdns.json" "$work/install2.log" || fail "the install did not say it kept the config"
ok "a second install keeps an edited config and says so"

root=$work/root
DESTDIR=$root cmake --install "$build" --prefix /usr >"$work/install3.log" 2>&1 || fail "DESTDIR install: $(tail -5 "$work/install3.log")"
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd)
for f in usr/bin/failoverdns etc/failoverdns/failoverdns.json "${unitdir#/}/failoverdns.service" \
  usr/share/doc/failoverdns/README.md; do
  [ -f "$root/$f" ] || fail "the prefix /usr did not put $f in place: $(cd "$root" && find . -type f | sort)"
done
cmp -s "$src/conf/failoverdns.service" "$root/$unitdir/failoverdns.service" ||
  fail "under the prefix /usr the unit should be conf/failoverdns.service as it is"
ok "prefix /usr (DESTDIR staged): config in /etc/failoverdns, the unit in $unitdir exactly as conf/failoverdns.service"

# The installed binary serves the installed default config (on the test's
# port, and as root here: the default config's account need not exist).
mkdir "$work/conf.d"
/usr/bin/python3 -c 'import json, sys; c = json.load(open(sys.argv[1])); del c["user"], c["group"]; print(json.dumps(c))' \
  "$root/etc/failoverdns/failoverdns.json" >"$work/conf.d/failoverdns.json"
echo "{\"ports\": {\"dns\": $port}, \"services\": [{\"name\": \"web\", \"address\": \"127.0.0.21\", \"port\": 80}]}" \
  >"$work/conf.d/port.json"
daemon=$prefix/bin/failoverdns
start_daemon -config-dir "$work/conf.d"
wait_for web.service.consul 127.0.0.21 10 >/dev/null
ok "the installed binary serves the installed config"

finish
