#!/usr/bin/env bash
# The .deb: made here by the CPack config tools/package uses, from this
# build dir (so its binary is this build's, not tools/package's optimised
# one; the packaging is the same), or the one FAILOVERDNS_DEB names. Checks its control fields and
# dependencies (dpkg-shlibdeps), conffiles and file places, then runs its
# maintainer scripts for real, in a private mount namespace with a copy of
# /etc and an empty /var/lib, so the host's accounts are never touched:
# postinst creates the failoverdns account and state dir (and again, as on
# an upgrade, changes nothing), the packaged binary started as root with
# the packaged config switches to that account and serves, and postrm
# purge removes the state.
source "$(dirname "$0")/daemon_lib.sh"
build=${FAILOVERDNS_BUILD_DIR:-$src/build-asan}

# FAILOVERDNS_DEB=build-package/failoverdns_*.deb checks tools/package's
# own package instead.
started=$(now_ms)
if [ -n "${FAILOVERDNS_DEB:-}" ]; then
  deb=$(realpath "$FAILOVERDNS_DEB")
else
  (cd "$build" && cpack -G DEB -B "$work/pkg" >"$work/cpack.log" 2>&1) || fail "cpack: $(tail -5 "$work/cpack.log")"
  deb=$(ls "$work"/pkg/failoverdns_*.deb)
fi
version=$(sed -nE 's/^project\(failoverdns VERSION ([0-9.]+).*/\1/p' "$src/CMakeLists.txt")
[ "$(basename "$deb")" = "failoverdns_${version}-1_$(dpkg --print-architecture).deb" ] || fail "unexpected file name: $deb"
ok "$(basename "$deb"), made or found in $(( $(now_ms) - started )) ms"

field() { dpkg-deb --field "$deb" "$1"; }
[ "$(field Package)" = failoverdns ] && [ "$(field Version)" = "${version}-1" ] && [ "$(field Section)" = net ] ||
  fail "control fields: $(dpkg-deb --info "$deb")"
[[ $(field Description) != *";"* ]] || fail "a list separator in the description: $(field Description)"
depends=$(field Depends)
for dep in adduser init-system-helpers libc6 libmariadb3 libldns3 libsystemd0 libspdlog1; do
  [[ ", $depends" == *", $dep"* ]] || fail "Depends lacks $dep: $depends"
done
ok "control: Package failoverdns, Version ${version}-1, Section net; Depends from dpkg-shlibdeps plus adduser"

contents=$(dpkg-deb --contents "$deb")
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd)
for f in ./usr/bin/failoverdns ".$unitdir/failoverdns.service" ./etc/failoverdns/failoverdns.json \
  ./usr/share/doc/failoverdns/README.md ./usr/share/doc/failoverdns/examples/failover-example.json; do
  grep -qE " root/root .* $f\$" <<<"$contents" || fail "the package lacks $f (owned by root): $contents"
done
ok "files: /usr/bin, $unitdir, /etc/failoverdns, /usr/share/doc/failoverdns, all root-owned"

x=$work/extracted
ctl=$work/control
dpkg-deb -x "$deb" "$x"
dpkg-deb -e "$deb" "$ctl"
cmp -s "$src/conf/failoverdns.service" "$x/$unitdir/failoverdns.service" || fail "the packaged unit is not conf/failoverdns.service"
[ "$(cat "$ctl/conffiles")" = /etc/failoverdns/failoverdns.json ] || fail "conffiles: $(cat "$ctl/conffiles")"
for s in postinst prerm postrm; do [ -x "$ctl/$s" ] || fail "no executable $s"; done
"$x/usr/bin/failoverdns" --version >/dev/null || fail "the packaged binary does not run"
ok "the unit is conf/failoverdns.service, the default config a conffile, postinst/prerm/postrm there"

# Maintainer scripts in a throwaway world: /etc is a copy (adduser writes
# there), /var/lib and /var/log are empty. The namespace ends with its last
# process. Started as root, the packaged daemon must switch to the account
# postinst made; it runs as the namespace's last command (exec), so $pid is
# the daemon.
cp -a /etc "$work/etc"
host_passwd=$(md5sum /etc/passwd /etc/group)
echo "{\"ports\": {\"dns\": $port}, \"services\": [{\"name\": \"web\", \"address\": \"127.0.0.21\", \"port\": 80}]}" \
  >"$work/port.json"
sandbox='mount --bind "$1/etc" /etc && mount -t tmpfs tmpfs /var/lib && mount -t tmpfs tmpfs /var/log'
unshare --mount --propagation private -- bash -c "set -e; $sandbox
  sh \"\$2/postinst\" configure
  getent passwd failoverdns >\"\$1/passwd.first\"
  sh \"\$2/postinst\" configure ${version}-1
  getent passwd failoverdns >\"\$1/passwd.again\"
  getent group failoverdns >\"\$1/group\"
  stat -c '%U:%G %a' /var/lib/failoverdns >\"\$1/statedir\"
  exec \"\$3/usr/bin/failoverdns\" -config-dir \"\$3/etc/failoverdns\" -config-file \"\$1/port.json\"" \
  sandbox "$work" "$ctl" "$x" >>"$log" 2>&1 &
pid=$!
wait_for web.service.consul 127.0.0.21 20 >/dev/null
IFS=: read -r name _ uid gid _ home shell <"$work/passwd.first"
[ "$name" = failoverdns ] && [ "$uid" -lt 1000 ] && [ "$home" = /var/lib/failoverdns ] && [ "$shell" = /usr/sbin/nologin ] ||
  fail "postinst's account: $(cat "$work/passwd.first")"
cmp -s "$work/passwd.first" "$work/passwd.again" || fail "a second postinst changed the account: $(cat "$work/passwd.again")"
[ "$(cut -d: -f3 "$work/group")" = "$gid" ] || fail "the account's group is not group failoverdns: $(cat "$work/group")"
[ "$(cat "$work/statedir")" = "failoverdns:failoverdns 750" ] || fail "/var/lib/failoverdns: $(cat "$work/statedir")"
[ "$(md5sum /etc/passwd /etc/group)" = "$host_passwd" ] || fail "the host's /etc/passwd or /etc/group changed"
ok "postinst: system account failoverdns (uid $uid, nologin, home /var/lib/failoverdns), its group, state dir 0750; twice: no change"

ids=$(awk '/^(Uid|Gid):/ {print $1, $2, $3, $4, $5}' "/proc/$pid/status" | paste -sd' ' -)
[ "$ids" = "Uid: $uid $uid $uid $uid Gid: $gid $gid $gid $gid" ] || fail "the packaged daemon runs as '$ids', expected uid/gid $uid/$gid"
log_has "event=user_switched user=failoverdns uid=$uid group=failoverdns gid=$gid" 5
ok "the packaged daemon, started as root with the packaged config, serves as failoverdns ($uid:$gid)"
finish_sandboxed() {
  kill "$pid"
  wait "$pid" || fail "the packaged daemon exited with $? on SIGTERM"
  pid=
}
finish_sandboxed

unshare --mount --propagation private -- bash -c "set -e; $sandbox
  install -d -o failoverdns -m 0750 /var/lib/failoverdns && touch /var/lib/failoverdns/mysql.state
  sh \"\$2/prerm\" remove
  sh \"\$2/postrm\" remove
  [ -e /var/lib/failoverdns/mysql.state ] || { echo 'remove deleted the state'; exit 1; }
  sh \"\$2/postrm\" purge
  [ ! -e /var/lib/failoverdns ] || { echo 'purge kept /var/lib/failoverdns'; exit 1; }
  getent passwd failoverdns >/dev/null || { echo 'purge removed the account'; exit 1; }" \
  sandbox "$work" "$ctl" >"$work/purge.log" 2>&1 || fail "prerm/postrm: $(cat "$work/purge.log")"
ok "prerm and postrm remove keep the state; postrm purge removes /var/lib/failoverdns, keeps the account"

finish
