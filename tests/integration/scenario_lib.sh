# Shared plumbing of the failover scenarios (sourced, not run): on top of
# daemon_lib.sh, a cluster in the temp dir (taken down on exit), the
# failover config, and node inspection.
# A sourcing script may set `nodes` (default 2), `service_extra` (JSON
# keys added to every instance) and `config_extra` (top-level JSON keys)
# before scenario_start.
[ -z "${scenario_lib_sourced:-}" ] || return 0
scenario_lib_sourced=1
source "$(dirname "${BASH_SOURCE[0]}")/daemon_lib.sh"
dir=$work/cluster
state=$work/mysql.state

cluster() { "$src/tools/cluster" "$@" --dir "$dir"; }
cleanup_more() { cluster down >/dev/null 2>&1; }

# poll_sql NODE SQL EXPECTED SECONDS
sql_is() {
  local got
  got=$(cluster sql "$1" "$2" 2>/dev/null | paste -sd' ' -)
  [ "$got" = "$3" ] || { echo "node$1: '$2' gave '$got', expected '$3'"; return 1; }
}
poll_sql() { poll_until $(( $4 * 1000 )) "node$1: $2 = $3" sql_is "$1" "$2" "$3"; }
# "host io sql" of node N's default replication connection, "" if none.
replication_of() {
  mariadb --socket="$dir/node$1/mysqld.sock" -u root -e 'SHOW SLAVE STATUS\G' |
    awk '/^ *(Master_Host|Slave_IO_Running|Slave_SQL_Running):/ {print $2}' | paste -sd' ' -
}

# write_config [extra failover keys, e.g. '"auto_rejoin": false']
write_config() {
  local services="" i extra=${1:+, $1}
  for i in $(seq 1 "${nodes:-2}"); do
    services+="${services:+, }{\"id\": \"node$i\", \"name\": \"mysql\", \"address\": \"127.0.0.1$i\", \"port\": 3306${service_extra:+, $service_extra}}"
  done
  cat >"$work/config.json" <<JSON
{
  "datacenter": "dc1", "node_name": "test",${config_extra:+ $config_extra,}
  "addresses": {"dns": "127.0.0.1"}, "ports": {"dns": $port},
  "services": [$services],
  "failover": {"mysql": {
    "user": "failoverdns", "password_file": "$dir/probe.pass",
    "replication_user": "slave", "replication_password_file": "$dir/repl.pass",
    "interval": "1s", "timeout": "1s", "failcount": 3, "recheck_interval": "200ms",
    "cooldown": "60s", "state_file": "$state"$extra
  }}
}
JSON
}
# scenario_start [extra failover keys]: cluster up, daemon up, node1 published.
scenario_start() {
  cluster up "${nodes:-2}" >/dev/null
  write_config "${1:-}"
  start_daemon -config-file "$work/config.json"
  wait_for mysql.service.consul 127.0.0.11 15 >/dev/null
}
