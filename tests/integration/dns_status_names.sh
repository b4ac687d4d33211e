#!/usr/bin/env bash
# Troubleshooting and reading with dig alone: TXT _status.<svc> lists every
# instance with the role, health and lag failoverdns sees (checked against
# what MariaDB itself says), and lag-<N>s.replica.<svc> answers only the
# replicas at most N seconds behind: a replica held back with MASTER_DELAY
# leaves lag-5s but stays in lag-3600s, and comes back once it catches up.
source "$(dirname "$0")/failover_lib.sh"
# scenario_start, at debug: lag-only publications are logged there.
cluster up 2 >/dev/null
write_config
start_daemon -config-file "$work/config.json" -log-level debug
wait_for mysql.service.consul 127.0.0.11 15 >/dev/null
wait_for replica.mysql.service.consul 127.0.0.12 10 >/dev/null

# status_line ID: the TXT string of instance ID, quotes removed.
status_line() { ask _status.mysql.service.consul TXT | tr ' ' '\n' | paste -sd' ' - | grep -oE "\"node=[^\"]* id=$1 [^\"]*\"" | tr -d '"' || true; }
# field ID KEY: one key=value field of that string.
field() { status_line "$1" | grep -oE "(^| )$2=[^ ]*" | cut -d= -f2- || true; }
# Seconds_Behind_Master as node2's MariaDB shows it.
sbm() { mariadb --socket="$dir/node2/mysqld.sock" -u root -e 'SHOW SLAVE STATUS\G' | awk '/Seconds_Behind_Master:/ {print $2}'; }
status_has() {
  local line
  line=$(status_line "$1")
  [[ " $line " == *" $2 "* ]] || { echo "$1: '$line' lacks '$2'"; return 1; }
}

poll_until 10000 "node2 reported as a passing replica with lag 0" status_has node2 "role=replica health=passing lag=0"
primary=$(status_line node1)
[[ $primary == "node=node1 id=node1 role=primary health=passing lag=0 epoch=$(state_get epoch) since="* ]] ||
  fail "node1's status line: '$primary'"
since=$(field node1 since)
[[ $since =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] || fail "since is not UTC ISO 8601: '$since'"
[ "$since" = "$(state_get primary_since_utc)" ] || fail "since=$since, the state file says $(state_get primary_since_utc)"
[ "$(sbm)" = 0 ] ||
  fail "MariaDB does not show node2 at 0 s behind"
ok "_status: $primary | $(status_line node2)"
[ "$(ask _status.mysql.service.consul TXT | grep -oE 'id=node[0-9]' | paste -sd' ' -)" = "id=node1 id=node2" ] ||
  fail "instances not in configuration order"
dig +noall +answer @127.0.0.1 -p "$port" _status.mysql.service.dc1.consul TXT | awk '{print $2}' | sort -u | grep -qx 0 ||
  fail "the .dc. form does not answer at TTL 0"
ok "one string per instance in configuration order; the .dc. form at TTL 0"
[ "$(rcode _status.nosuch.service.consul)" = NXDOMAIN ] || fail "_status of an unknown service is not NXDOMAIN"
ok "_status of a service failoverdns does not run failover for: NXDOMAIN"

expect_lag_names() {  # within-5s within-3600s
  answer_is lag-5s.replica.mysql.service.consul "$1" && answer_is lag-3600s.replica.mysql.service.consul "$2"
}
poll_until 5000 "node2 within 5 s and within 3600 s" expect_lag_names 127.0.0.12 127.0.0.12
ok "lag-5s and lag-3600s.replica.mysql list node2 while it is current"

info_publishes() { grep -cE " info event=answers_published " "$log" || true; }
published_before=$(info_publishes)
cluster sql 2 "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=30; START SLAVE" >/dev/null
cluster sql 1 "INSERT INTO app.t (v) VALUES ('held back')" >/dev/null
poll_until 20000 "node2 out of lag-5s, still in lag-3600s" expect_lag_names "" 127.0.0.12
lag=$(field node2 lag)
sbm=$(sbm)
[[ $lag =~ ^[0-9]+$ ]] && [ "$lag" -gt 5 ] || fail "_status shows node2 lag=$lag, expected more than 5"
[ "$sbm" -ge "$lag" ] || fail "MariaDB says $sbm s behind, _status says lag=$lag (read before it)"
[ "$(rcode lag-5s.replica.mysql.service.consul)" = NXDOMAIN ] || fail "lag-5s with no replica in bound is not NXDOMAIN"
ok "MASTER_DELAY=30: node2 lag=$lag (MariaDB: $sbm s), gone from lag-5s (NXDOMAIN), still in lag-3600s and replica.mysql"
[ "$(ask replica.mysql.service.consul)" = 127.0.0.12 ] || fail "replica.mysql lost node2"
lag_only=$(grep -cE " debug event=answers_published .* change=lag_only" "$log" || true)
[ "$lag_only" -ge 5 ] || fail "expected a publication per whole second of lag, at debug; got $lag_only"
! grep -qE " info event=answers_published .*lag_only" "$log" || fail "lag-only publications logged at info"
# STOP/START SLAVE may be seen by a probe (node2 out of replica.mysql and back).
[ $(( $(info_publishes) - published_before )) -le 2 ] || fail "lag changes flood the info log: $(grep -E ' info event=answers_published ' "$log" | tail -5)"
ok "each whole second of lag republished ($lag_only times), at debug, not info"

cluster sql 2 "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=0; START SLAVE" >/dev/null
poll_until 10000 "node2 back in lag-5s" expect_lag_names 127.0.0.12 127.0.0.12
poll_until 5000 "node2 at lag 0 again" status_has node2 "role=replica health=passing lag=0"
ok "MASTER_DELAY=0: node2 back in lag-5s at lag 0"
finish
