#!/usr/bin/env bash
# System test of tools/cluster, the local MariaDB cluster every failover test
# and the demo stand on: replication, read_only replicas, the failoverdns
# user's privileges, freeze/thaw, kill/start and nftables blackholes all do
# what the other tests assume they do.
source "$(dirname "$0")/check_lib.sh"

src=${FAILOVERDNS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cluster=$src/tools/cluster
[ "$(id -u)" = 0 ] || { echo "cluster_basics: needs root (starts MariaDB, uses nftables)" >&2; exit 1; }

dir=$(mktemp -d /tmp/fdns-cluster-test.XXXXXX)
cleanup() { "$cluster" down --dir "$dir" >/dev/null 2>&1 || true; }
trap cleanup EXIT

on_failure() { "$cluster" status --dir "$dir"; }

now_us() { echo "${EPOCHREALTIME/./}"; }

# poll SECONDS DESCRIPTION COMMAND...: retry COMMAND until it succeeds.
poll() { poll_until $(( $1 * 1000 )) "$2" "${@:3}"; }

# tcp_sql USER PASS K SQL: over TCP to node K's address, as a client would.
tcp_sql() {
  mariadb --no-defaults -h "127.0.0.$((10 + $3))" -P 3306 -u "$1" -p"$2" \
    --connect-timeout=2 -N -B -e "$4"
}
app() { tcp_sql "$APP_USER" "$(cat "$APP_PASS_FILE")" "$@"; }
probe() { tcp_sql "$PROBE_USER" "$(cat "$PROBE_PASS_FILE")" "$@"; }

has_row() { # K value
  [ "$(app "$1" "SELECT COUNT(*) FROM app.t WHERE v = '$2'")" = 1 ]
}
replicating() { # K
  local st
  st=$(probe "$1" "SHOW ALL SLAVES STATUS" | sed -n 1p)
  [[ $st == *$'\t'Yes$'\t'Yes$'\t'* ]]
}

# --- up ------------------------------------------------------------------
t0=$(now_us)
out=$("$cluster" up 2 --dir "$dir")
t1=$(now_us)
up_ms=$(((t1 - t0) / 1000))
echo "# tools/cluster up 2 took ${up_ms} ms"
[ "$(printf '%s\n' "$out" | wc -l)" = 2 ] || fail "up 2 printed: $out"
grep -qx 'node1 127.0.0.11:3306 primary' <<<"$out" || fail "up: node1 line: $out"
grep -qx 'node2 127.0.0.12:3306 replica of node1' <<<"$out" || fail "up: node2 line: $out"
ok "up 2 starts a primary and a replica (${up_ms} ms)"

eval "$("$cluster" env --dir "$dir")"
[ "$CLUSTER_DIR" = "$dir" ] && [ "$NODE1" = 127.0.0.11 ] && [ "$NODE2" = 127.0.0.12 ] &&
  [ "$CLUSTER_NODES" = 2 ] || fail "env printed unexpected values"
for f in "$PROBE_PASS_FILE" "$REPL_PASS_FILE" "$APP_PASS_FILE"; do
  [ "$(stat -c %a "$f")" = 600 ] || fail "$f is not mode 600"
done
app_pass=$(cat "$APP_PASS_FILE")
[ -S "$NODE1_SOCKET" ] && [ -S "$NODE2_SOCKET" ] || fail "unix sockets missing"
ok "env gives addresses, sockets and password files (mode 600)"

if "$cluster" up 2 --dir "$dir" 2>"$dir/err"; then fail "a second up in the same dir succeeded"; fi
grep -q down "$dir/err" || fail "second up does not point at down: $(cat "$dir/err")"
ok "up refuses an existing cluster and suggests down"

[ "$(app 2 "SELECT COUNT(*) FROM app.t")" -ge 3 ] || fail "seed rows missing on node2"
app 1 "INSERT INTO app.t (v) VALUES ('first-write')"
poll 10 "app write on node1 reaches node2" has_row 2 first-write
ok "a write on node1 over TCP as app reaches node2"

[ "$(app 2 "SELECT @@read_only")" = 1 ] || fail "node2 is not read_only"
[ "$(app 1 "SELECT @@read_only")" = 0 ] || fail "node1 is read_only"
if err=$(app 2 "INSERT INTO app.t (v) VALUES ('on-replica')" 2>&1); then
  fail "node2 accepted an app write"
fi
[[ $err == *read-only* ]] || fail "node2 refused the write for another reason: $err"
ok "node2 is read_only and refuses app writes; node1 is writable"

# --- the failoverdns user's privileges -----------------------------------
probe 2 "SELECT @@read_only, @@gtid_current_pos, @@gtid_slave_pos, @@gtid_binlog_pos" >/dev/null
[ -n "$(probe 2 "SHOW ALL SLAVES STATUS")" ] || fail "SHOW ALL SLAVES STATUS is empty on node2"
[ -n "$(probe 1 "SHOW MASTER STATUS")" ] || fail "SHOW MASTER STATUS is empty on node1"
probe 2 "SHOW MASTER STATUS" >/dev/null
[ "$(probe 2 "SELECT MASTER_GTID_WAIT(@@gtid_slave_pos, 1)")" = 0 ] || fail "MASTER_GTID_WAIT"
probe 2 "SET GLOBAL read_only = 0"
[ "$(probe 2 "SELECT @@read_only")" = 0 ] || fail "SET GLOBAL read_only = 0 had no effect"
probe 2 "SET GLOBAL read_only = 1"
[ "$(probe 2 "SELECT @@read_only")" = 1 ] || fail "SET GLOBAL read_only = 1 had no effect"
# The repoint sequence failoverdns runs, end to end.
probe 2 "STOP SLAVE; RESET SLAVE ALL"
[ -z "$(probe 2 "SHOW ALL SLAVES STATUS")" ] || fail "RESET SLAVE ALL left a replica configuration"
probe 2 "CHANGE MASTER TO MASTER_HOST='$NODE1', MASTER_PORT=3306,
  MASTER_USER='$REPL_USER', MASTER_PASSWORD='$(cat "$REPL_PASS_FILE")',
  MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=1;
  START SLAVE"
app 1 "INSERT INTO app.t (v) VALUES ('after-repoint')"
poll 10 "replication after the failoverdns user repointed node2" has_row 2 after-repoint
ok "failoverdns user runs every probe and promote statement"

if probe 1 "SELECT COUNT(*) FROM app.t" >/dev/null 2>&1; then fail "failoverdns user can read app data"; fi
grants=$(probe 2 "SHOW GRANTS")
[[ $grants == *"SLAVE MONITOR"* ]] || fail "SHOW GRANTS as failoverdns: $grants"
if grep -qE 'SUPER|ALL PRIVILEGES' <<<"$grants"; then fail "failoverdns user has SUPER or ALL"; fi
ok "failoverdns user has no data privileges and no SUPER"

# --- status --------------------------------------------------------------
st=$("$cluster" status --dir "$dir")
grep -q '^node1 127.0.0.11:3306 running read_only=OFF source=- ' <<<"$st" || fail "status node1: $st"
grep -q '^node2 127.0.0.12:3306 running read_only=ON source=node1 io=Yes sql=Yes gtid_current_pos=0-1-' <<<"$st" ||
  fail "status node2: $st"
ok "status shows roles, sources, threads and GTIDs"

# --- freeze / thaw -------------------------------------------------------
"$cluster" freeze 1 --dir "$dir" 2>/dev/null
grep -q '^node1 .* frozen$' <<<"$("$cluster" status --dir "$dir")" || fail "status does not show node1 frozen"
t0=$(now_us)
if timeout 10 mariadb --no-defaults -h "$NODE1" -u "$APP_USER" -p"$app_pass" \
  --connect-timeout=1 -N -B -e "SELECT 1" >/dev/null 2>&1; then
  fail "frozen node1 answered"
fi
waited_ms=$((($(now_us) - t0) / 1000))
[ "$waited_ms" -ge 900 ] || fail "connect to frozen node1 failed after ${waited_ms} ms, not by timing out"
"$cluster" thaw 1 --dir "$dir" 2>/dev/null
[ "$(app 1 "SELECT 1")" = 1 ] || fail "thawed node1 does not answer"
ok "freeze makes node1 hang (connect timed out after ${waited_ms} ms); thaw brings it back"

# --- kill / start --------------------------------------------------------
"$cluster" kill 2 --dir "$dir" 2>/dev/null
grep -q '^node2 .* stopped$' <<<"$("$cluster" status --dir "$dir")" || fail "status does not show node2 stopped"
app 1 "INSERT INTO app.t (v) VALUES ('while-node2-down')"
"$cluster" start 2 --dir "$dir" 2>/dev/null
poll 20 "killed replica catches up after start" has_row 2 while-node2-down
ok "a killed replica restarts and catches up"

"$cluster" kill 1 --dir "$dir" 2>/dev/null
if app 1 "SELECT 1" >/dev/null 2>&1; then fail "killed node1 answered"; fi
"$cluster" start 1 --dir "$dir" 2>/dev/null
app 1 "INSERT INTO app.t (v) VALUES ('after-primary-restart')"
poll 20 "replica reconnects to the restarted primary" has_row 2 after-primary-restart
poll 10 "node2 replication threads running" replicating 2
ok "a killed primary restarts and replication resumes"

"$cluster" stop 2 --dir "$dir" 2>/dev/null
grep -q '^node2 .* stopped$' <<<"$("$cluster" status --dir "$dir")" || fail "stop left node2 running"
"$cluster" start 2 --dir "$dir" 2>/dev/null
poll 10 "node2 replicating after clean restart" replicating 2
ok "stop and start"

# --- blackhole -----------------------------------------------------------
nobody_uid=$(id -u nobody)
as_nobody() { setpriv --reuid="$nobody_uid" --regid="$(id -g nobody)" --clear-groups "$@"; }
as_nobody mariadb --no-defaults -h "$NODE1" -u "$APP_USER" -p"$app_pass" \
  --connect-timeout=2 -N -B -e "SELECT 1" >/dev/null || fail "nobody cannot reach node1 before blackhole"

"$cluster" blackhole 1 --uid nobody --dir "$dir" 2>/dev/null
if err=$(as_nobody timeout 10 mariadb --no-defaults -h "$NODE1" -u "$APP_USER" -p"$app_pass" \
  --connect-timeout=2 -N -B -e "SELECT 1" 2>&1); then
  fail "nobody reached a node blackholed for its uid"
fi
[[ $err == *"(110)"* || $err == *"system error: 110"* ]] || fail "blackholed connect did not time out: $err"
[ "$(app 1 "SELECT 1")" = 1 ] || fail "root was cut off by a blackhole for nobody"
app 1 "INSERT INTO app.t (v) VALUES ('during-uid-blackhole')"
poll 10 "replication during a uid blackhole" has_row 2 during-uid-blackhole
"$cluster" unblackhole 1 --dir "$dir" 2>/dev/null
as_nobody mariadb --no-defaults -h "$NODE1" -u "$APP_USER" -p"$app_pass" \
  --connect-timeout=2 -N -B -e "SELECT 1" >/dev/null || fail "unblackhole did not restore nobody's access"
ok "blackhole --uid cuts off that user only (timeout), replication goes on; unblackhole restores"

"$cluster" blackhole 2 --dir "$dir" 2>/dev/null
if app 2 "SELECT 1" >/dev/null 2>&1; then fail "root reached a fully blackholed node"; fi
"$cluster" unblackhole 2 --dir "$dir" 2>/dev/null
[ "$(app 2 "SELECT 1")" = 1 ] || fail "unblackhole 2 did not restore access"
ok "blackhole without --uid cuts everyone off; unblackhole restores"

# --- down ----------------------------------------------------------------
"$cluster" blackhole 2 --dir "$dir" 2>/dev/null
"$cluster" freeze 2 --dir "$dir" 2>/dev/null
"$cluster" down --dir "$dir" 2>/dev/null
[ ! -e "$dir" ] || fail "down left $dir"
if pgrep -f -- "--defaults-file=$dir/" >/dev/null; then fail "down left mariadbd running"; fi
if nft list table inet failoverdns_cluster >/dev/null 2>&1; then fail "down left the nftables table"; fi
ok "down stops frozen nodes, removes the nftables rules and the directory"

echo "cluster_basics: $checks passed, 0 failed"
