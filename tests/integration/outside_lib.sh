# The outside world for system tests (sourced, not run; on top of
# daemon_lib.sh): NSD serving a small example.org zone on ADDR port 53, the
# stand-in for "the rest of the DNS" that a resolver in front of failoverdns,
# or failoverdns forwarding, asks about names outside the consul domain.
#
#   start_outside_world [ADDR]  starts NSD on ADDR:53 (default 127.0.0.53;
#                               all of 127/8 is loopback on Linux, nothing to
#                               add), waits until the zone answers, sets and
#                               exports OUTSIDE_ADDR and OUTSIDE_PORT (53);
#                               NSD is stopped when the test exits
#   stop_outside_world          stops it now (start_outside_world may follow)
#   outside_world_queries       prints how many queries NSD has answered so
#                               far (nsd-control stats_noreset: num.queries,
#                               UDP and TCP); it proves a resolver answered
#                               from its cache
#
# The zone, every name under example.org.:
#   SOA ns.example.org. hostmaster.example.org. 1 3600 600 86400 60, TTL 300
#       (minimum 60: the negative-caching TTL of NXDOMAIN and NODATA)
#   NS ns.example.org., ns A ADDR
#   www    A 192.0.2.80, AAAA 2001:db8::80              TTL 300
#   alias  CNAME www.example.org.                       TTL 300
#   mail   MX 10 mx.example.org., mx A 192.0.2.25       TTL 300
#   short  A 192.0.2.5                                  TTL 5
#   medium 12 TXT records of 60 bytes, ~880 bytes: truncated (TC) in a
#          512-byte UDP answer, fits EDNS's 1232
#   big    30 TXT records of 60 bytes, ~2200 bytes: truncated over UDP even
#          with EDNS 1232, whole over TCP
#   anything else: NXDOMAIN; names outside example.org: REFUSED (NSD is
#   authoritative only, it does not recurse)
#
# Port 53 needs root, and 127.0.0.53 is systemd-resolved's address outside
# a test's namespace: use it inside tests/integration/isolated only.
[ -z "${outside_lib_sourced:-}" ] || return 0
outside_lib_sourced=1
source "$(dirname "${BASH_SOURCE[0]}")/daemon_lib.sh"

outside_pid=
outside_dir=$work/outside

# The TXT strings: "<name> record NN " padded with x to 60 bytes.
outside_txt_records() {
  local name=$1 count=$2 i text
  for i in $(seq -w 1 "$count"); do
    text="$name record $i "
    while [ ${#text} -lt 60 ]; do text+=x; done
    echo "$name 300 IN TXT \"$text\""
  done
}

outside_answers() {
  kill -0 "$outside_pid" 2>/dev/null || { echo "nsd exited: $(tail -5 "$outside_dir/nsd.log" 2>/dev/null)"; return 2; }
  [ "$(dig +short +time=1 +tries=1 @"$OUTSIDE_ADDR" -p "$OUTSIDE_PORT" www.example.org A 2>&1)" = 192.0.2.80 ]
}

start_outside_world() {
  OUTSIDE_ADDR=${1:-127.0.0.53}
  OUTSIDE_PORT=53
  export OUTSIDE_ADDR OUTSIDE_PORT
  mkdir -p "$outside_dir"
  {
    cat <<ZONE
\$ORIGIN example.org.
@      300 IN SOA ns.example.org. hostmaster.example.org. 1 3600 600 86400 60
@      300 IN NS  ns.example.org.
ns     300 IN A   $OUTSIDE_ADDR
www    300 IN A    192.0.2.80
www    300 IN AAAA 2001:db8::80
alias  300 IN CNAME www.example.org.
mail   300 IN MX  10 mx.example.org.
mx     300 IN A   192.0.2.25
short  5   IN A   192.0.2.5
ZONE
    outside_txt_records medium 12
    outside_txt_records big 30
  } >"$outside_dir/example.org.zone"
  # Everything NSD writes stays in the test's dir; it runs as root (no
  # username, no chroot) so it can read that dir and bind port 53, and in the
  # foreground (-d).
  cat >"$outside_dir/nsd.conf" <<CONF
server:
  ip-address: $OUTSIDE_ADDR
  port: $OUTSIDE_PORT
  do-ip6: no
  server-count: 1
  username: ""
  chroot: ""
  zonesdir: "$outside_dir"
  database: ""
  zonelistfile: "$outside_dir/zone.list"
  xfrdfile: "$outside_dir/xfrd.state"
  xfrdir: "$outside_dir"
  pidfile: "$outside_dir/nsd.pid"
  logfile: "$outside_dir/nsd.log"
  hide-version: yes
remote-control:
  control-enable: yes
  control-interface: $outside_dir/nsd.ctl
zone:
  name: example.org
  zonefile: example.org.zone
CONF
  # NSD's server processes outlive its main one by a moment, and an init
  # that does not reap (a container's) keeps them as zombies. In a PID
  # namespace of its own NSD is that namespace's init: when it exits, the
  # kernel ends and reaps the rest. unshare waits for it; --kill-child stops
  # NSD should unshare be killed.
  unshare --pid --fork --kill-child /usr/sbin/nsd -d -c "$outside_dir/nsd.conf" >>"$outside_dir/nsd.log" 2>&1 &
  outside_pid=$!
  poll_until 10000 "NSD (the outside world) answering on $OUTSIDE_ADDR:$OUTSIDE_PORT" outside_answers
}

stop_outside_world() {
  [ -n "$outside_pid" ] || return 0
  local nsd
  nsd=$(pgrep -P "$outside_pid" || true)  # NSD's main process, unshare's child
  kill ${nsd:-$outside_pid} 2>/dev/null || true
  wait "$outside_pid" 2>/dev/null || true
  outside_pid=
}
cleanup_hooks+=(stop_outside_world)

outside_world_queries() {
  local n
  n=$(/usr/sbin/nsd-control -c "$outside_dir/nsd.conf" stats_noreset | sed -n 's/^num\.queries=//p')
  [ -n "$n" ] || fail "nsd-control gave no num.queries"
  echo "$n"
}
