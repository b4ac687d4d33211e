#!/usr/bin/env bash
# "user"/"group": started as root, the daemon binds, switches to
# nobody:nogroup for good (Uid/Gid in /proc, no capabilities) and serves;
# it refuses to start, naming each file, its mode and the fix, when that
# account could not read a password file or config file (every reload reads
# them again) or write the state file's directory, and starts once they are
# fixed. A reload as nobody works, and shows why the check is there. Started
# as nobody, it runs when "user" is nobody and says why not when it is
# another account. The failover service has no MariaDB behind it: only the
# files matter here.
source "$(dirname "$0")/daemon_lib.sh"

etc=$work/etc state=$work/state
mkdir "$etc" "$state"
chmod 755 "$etc" "$state"
printf 'secret\n' >"$etc/probe.pass"
chmod 600 "$etc/probe.pass"
# write_config [USER]: the config, as nobody:nogroup unless another user is given.
write_config() {
  cat >"$etc/config.json" <<JSON
{"user": "${1:-nobody}", "group": "nogroup", "ports": {"dns": $port},
 "services": [{"name": "web", "address": "${web:-127.0.0.21}", "port": 80},
              {"id": "db1", "name": "mysql", "address": "127.0.0.11", "port": 3306},
              {"id": "db2", "name": "mysql", "address": "127.0.0.12", "port": 3306}],
 "failover": {"mysql": {"password_file": "probe.pass", "state_file": "$state/mysql.state"}}}
JSON
  chmod 644 "$etc/config.json"
}
write_config

# refused [PREFIX...]: the daemon must exit 1 without serving; its output in $out.
refused() {
  local status=0
  out=$(timeout 30 "$@" "$daemon" -config-dir "$etc" 2>&1) || status=$?
  [ "$status" = 1 ] || fail "expected exit 1 (refused), got $status: $out"
  [[ $out == *"event=not_started"* ]] || fail "no event=not_started: $out"
}

out=$("$daemon" --check-config -config-dir "$etc" 2>&1) || fail "--check-config: $out"
[[ $out == *"runs as user nobody, group nogroup (switched to after binding the DNS sockets when started as root)"* ]] ||
  fail "--check-config does not show the account: $out"
ok "--check-config shows the account it will run as"

refused
[[ $out == *"event=user_switched user=nobody uid=65534 group=nogroup gid=65534"* ]] || fail "no switch logged: $out"
[[ $out == *"failover.mysql.password_file $etc/probe.pass: not readable by user nobody (mode 0600 root:root), and every reload (SIGHUP) reads it again; chgrp nogroup $etc/probe.pass and chmod 0640 it"* ]] ||
  fail "the password file is not named with its mode and the fix: $out"
[[ $out == *"failover.mysql.state_file $state/mysql.state: directory $state (mode 0755 root:root) is not writable by user nobody, and every save replaces the file there; chown nobody:nogroup $state"* ]] ||
  fail "the state directory is not named with its mode and the fix: $out"
[[ $out == *"errors=2"* ]] || fail "expected exactly two problems: $out"
ok "root-only password file and state dir: exit 1, each named with its mode, owner and the fix"

chgrp nogroup "$etc/probe.pass"
chmod 640 "$etc/probe.pass"
chown nobody:nogroup "$state"
start_daemon -config-dir "$etc"
wait_for web.service.consul 127.0.0.21 10 >/dev/null
status_of() { awk -v k="$1:" '$1 == k {$1 = ""; print substr($0, 2)}' "/proc/$pid/status" | tr '\t' ' '; }
[ "$(status_of Uid)" = "65534 65534 65534 65534" ] || fail "Uid: $(status_of Uid)"
[ "$(status_of Gid)" = "65534 65534 65534 65534" ] || fail "Gid: $(status_of Gid)"
[ "$(status_of Groups)" = "65534" ] || fail "Groups (nobody's own, not root's): $(status_of Groups)"
[ "$(status_of CapEff)" = 0000000000000000 ] && [ "$(status_of CapPrm)" = 0000000000000000 ] ||
  fail "capabilities left: CapEff $(status_of CapEff) CapPrm $(status_of CapPrm)"
ok "fixed (chgrp nogroup + 0640, state dir to nobody): serves as uid/gid 65534 everywhere, no capabilities"

web=127.0.0.22 write_config
kill -HUP "$pid"
wait_for web.service.consul 127.0.0.22 10 >/dev/null
ok "a reload as nobody reads the config and the password file again"
chmod 600 "$etc/probe.pass"
web=127.0.0.23 write_config
kill -HUP "$pid"
log_has "event=config_error .*probe.pass.*Permission denied" 10
log_has "event=reload_failed" 10
[ "$(ask web.service.consul)" = 127.0.0.22 ] || fail "a failed reload changed the answers"
ok "what the start-up check prevents: a password file nobody cannot read fails every reload"
chmod 640 "$etc/probe.pass"
stop_daemon

chmod 600 "$etc/config.json"
refused
[[ $out == *"config file $etc/config.json: not readable by user nobody (mode 0600 root:root), and every reload (SIGHUP) reads it again; chgrp nogroup $etc/config.json and chmod 0640 it"* ]] ||
  fail "an unreadable config file is not named: $out"
chmod 644 "$etc/config.json"
chmod 700 "$etc"
refused
[[ $out == *"config dir $etc: not readable by user nobody (mode 0700 root:root), and every reload (SIGHUP) reads it again; chgrp nogroup $etc and chmod 0750 it"* ]] ||
  fail "an unreadable config dir is not named: $out"
chmod 755 "$etc"
ok "a config file or dir the account cannot read: refused, named, with the fix"

# Not root: as the configured user it simply runs; as anyone else it says why not.
as_nobody=(setpriv --reuid=nobody --regid=nogroup --init-groups)
start_daemon "${as_nobody[@]}" -- -config-dir "$etc"
wait_for web.service.consul 127.0.0.23 10 >/dev/null
log_has "event=running_as user=nobody uid=65534 group=nogroup gid=65534" 5
ok "started as nobody with \"user\": \"nobody\": runs, and says it already is that account"
stop_daemon
write_config daemon
refused "${as_nobody[@]}"
[[ $out == *'\"user\" asks for user daemon (uid 1), group nogroup (gid 65534), but failoverdns runs as user nobody, group nogroup, not root, so it cannot switch; start it as root'* ]] ||
  fail "a non-root start as another user: $out"
write_config no-such-user-fdns
refused
[[ $out == *'user \"no-such-user-fdns\": no such user on this machine; create it (adduser --system --group no-such-user-fdns)'* ]] ||
  fail "an unknown user: $out"
ok "started as nobody with another \"user\", or with an unknown one: exit 1, saying what to do"

finish
