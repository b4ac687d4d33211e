#!/usr/bin/env bash
# failoverdns behind the resolvers sites run: dnsmasq (server=), unbound
# (stub-zone) and BIND 9 (forward zone), each with the snippet shipped in
# conf/ and only the port put in, as a site installs it. All resolve
# mysql.service.consul through failoverdns, with TTL 0, while still
# resolving other names (the outside world of outside_lib.sh), and all
# follow a failover: after a kill -9 of the primary of a tools/cluster
# pair, each must answer the new primary promptly after failoverdns itself
# does (max_lag_ms), and never the old one again. unbound and named
# validate DNSSEC, as Debian's do; a second unbound adds the settings that
# would keep an old answer (cache-min-ttl, serve-expired), which the
# snippet's stub-no-cache must defeat. The lags are printed.
source "$(dirname "$0")/failover_lib.sh"
source "$(dirname "$0")/outside_lib.sh"
resolvers=(dnsmasq unbound unbound_hard named)
dnsmasq_pid= unbound_pid= unbound_hard_pid= named_pid=
stop_resolvers() {
  local r p
  for r in "${resolvers[@]}"; do p=${r}_pid; [ -z "${!p}" ] || kill "${!p}" 2>/dev/null || true; done
  for r in "${resolvers[@]}"; do p=${r}_pid; [ -z "${!p}" ] || wait "${!p}" 2>/dev/null || true; printf -v "$p" %s ""; done
}
cleanup_hooks+=(stop_resolvers)
on_failure() {
  echo "--- failoverdns log (tail) ---"; tail -25 "$log"
  local r
  for r in "${resolvers[@]}"; do echo "--- $r log (tail) ---"; tail -15 "$work/$r.log" 2>/dev/null; done
}
# A resolver's lag behind failoverdns at the failover. With TTL 0 passed on
# and nothing cached it is one poll round (unbound). named keeps a negative
# answer with TTL 0 until its clock's second ends, and failoverdns answers
# NXDOMAIN while the promotion is under way: up to 1 s more. An answer kept
# from a cache (cache-min-ttl 30 here) would lag by half a minute.
max_lag_ms=1500
named_port=$(free_port) dnsmasq_port=$(free_port)

# The README's Deploy section shows each file's lines: they must be the
# shipped ones. readme_block PREFIX: the first ``` block after the first
# line that starts with PREFIX, without blank lines.
readme_block() {
  awk -v prefix="$1" '!found && index($0, prefix) == 1 {found = 1; next}
    found && /^```/ {if (inside) exit; inside = 1; next}
    inside' "$src/README.md" | sed '/^$/d'
}
shipped_lines() { grep -vE '^\s*(#|//)' "$src/conf/$1" | sed '/^$/d'; }
for f in dnsmasq-failoverdns.conf unbound-failoverdns.conf named-failoverdns.conf; do
  shown=$(readme_block "\`conf/$f\`")
  [ -n "$shown" ] && [ "$shown" = "$(shipped_lines "$f")" ] ||
    fail "README's Deploy shows conf/$f as:"$'\n'"$shown"$'\n'"but its lines are:"$'\n'"$(shipped_lines "$f")"
done
[ "$(readme_block "and one line for the \`options\` block")" = "$(sed -nE 's|^//\s+(validate-except .*)$|\1|p' "$src/conf/named-failoverdns.conf")" ] ||
  fail "README's validate-except line is not conf/named-failoverdns.conf's"
ok "README's Deploy section shows the lines of the files in conf/"

start_outside_world
# Both resolvers' root hints name the outside world (which refuses "."), so
# their priming and trust-anchor queries stay on loopback too.
printf '.\t3600000\tNS\troot.outside.test.\nroot.outside.test.\t3600000\tA\t%s\n' "$OUTSIDE_ADDR" >"$work/root.hints"

# --- dnsmasq: the shipped server= line, as dns_dnsmasq.sh has it
server_line=$(grep -E '^server=/consul/' "$src/conf/dnsmasq-failoverdns.conf")
[ "$server_line" = "server=/consul/127.0.0.1#8600" ] || fail "conf/dnsmasq-failoverdns.conf changed: $server_line"
printf '%s\nserver=/example.org/%s\n' "${server_line/\#8600/#$port}" "$OUTSIDE_ADDR" >"$work/dnsmasq.conf"
/usr/sbin/dnsmasq --keep-in-foreground --conf-file="$work/dnsmasq.conf" --no-resolv --no-hosts \
  --listen-address=127.0.0.1 --bind-interfaces --port="$dnsmasq_port" --user=root --pid-file= \
  --log-facility="$work/dnsmasq.log" &
dnsmasq_pid=$!

# --- unbound: the site's own config, then the shipped snippet, port put in
stub_line=$(grep -E '^\s*stub-addr:' "$src/conf/unbound-failoverdns.conf")
[ "$(echo $stub_line)" = "stub-addr: 127.0.0.1@8600" ] || fail "conf/unbound-failoverdns.conf changed: $stub_line"
sed "s/127\.0\.0\.1@8600/127.0.0.1@$port/" "$src/conf/unbound-failoverdns.conf" >"$work/unbound-failoverdns.conf"
# start_unbound NAME [SERVER OPTIONS]: an unbound as a site runs it,
# validating (the root's KSK-2017; the root itself is out of reach here, so
# only names made insecure resolve), with the shipped snippet included.
start_unbound() {
  local name=$1 portvar=${1}_port
  printf -v "$portvar" %s "$(free_port)"
  cat >"$work/$name.conf" <<CONF
server:
    interface: 127.0.0.1@${!portvar}
    do-ip6: no
    username: ""
    chroot: ""
    directory: "$work"
    logfile: "$work/$name.log"
    use-syslog: no
    verbosity: 1
    root-hints: "$work/root.hints"
    trust-anchor: ". DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D"
    domain-insecure: "example.org"
${2:-}
stub-zone:
    name: "example.org"
    stub-addr: $OUTSIDE_ADDR
remote-control:
    control-enable: no
include-toplevel: "$work/unbound-failoverdns.conf"
CONF
  /usr/sbin/unbound-checkconf "$work/$name.conf" >/dev/null || fail "unbound-checkconf: $(/usr/sbin/unbound-checkconf "$work/$name.conf" 2>&1)"
  /usr/sbin/unbound -d -p -c "$work/$name.conf" >>"$work/$name.log" 2>&1 &
  printf -v "${name}_pid" %s $!
}
# Debian's unbound: nothing but validation.
start_unbound unbound
# A site that caches hard. Without the snippet's stub-no-cache, these keep
# the old primary for 30 s and then serve it expired.
start_unbound unbound_hard "    cache-min-ttl: 30
    serve-expired: yes"

# --- named: the site's options, the shipped zone, the shipped validate-except
except_line=$(sed -nE 's|^//\s+(validate-except .*)$|\1|p' "$src/conf/named-failoverdns.conf")
[ "$except_line" = 'validate-except { "consul"; };' ] || fail "conf/named-failoverdns.conf: validate-except line changed: $except_line"
forwarders_line=$(grep -E '^\s*forwarders' "$src/conf/named-failoverdns.conf")
[ "$(echo $forwarders_line)" = "forwarders { 127.0.0.1 port 8600; };" ] || fail "conf/named-failoverdns.conf changed: $forwarders_line"
sed "s/127\.0\.0\.1 port 8600;/127.0.0.1 port $port;/" "$src/conf/named-failoverdns.conf" >"$work/named.conf.failoverdns"
cat >"$work/named.conf" <<CONF
options {
    directory "$work";
    pid-file none;
    listen-on port $named_port { 127.0.0.1; };
    listen-on-v6 { none; };
    // Debian's named.conf.options: validation with the built-in root key.
    dnssec-validation auto;
    // The shipped line, with the outside world's zone added (unsigned too).
    ${except_line/\"consul\"; /\"consul\"; \"example.org\"; }
};
controls { };
zone "." { type hint; file "$work/root.hints"; };
zone "example.org" { type forward; forward only; forwarders { $OUTSIDE_ADDR; }; };
include "$work/named.conf.failoverdns";
CONF
/usr/bin/named-checkconf "$work/named.conf" || fail "named-checkconf: $(/usr/bin/named-checkconf "$work/named.conf" 2>&1)"
/usr/sbin/named -g -c "$work/named.conf" >>"$work/named.log" 2>&1 &
named_pid=$!

# through RESOLVER NAME...: the sorted short answer via that resolver.
through() { local p=${1}_port; ask_at "${!p}" "${@:2}"; }
answer_through() {
  local pidvar=${1}_pid a
  kill -0 "${!pidvar}" 2>/dev/null || { echo "$1 died"; return 2; }
  a=$(through "$1" "$2")
  [ "$a" = "$3" ] || { echo "$1: $2 answered '$a', expected '$3'"; return 1; }
}
ttl_through() { local p=${1}_port; dig +time=1 +tries=1 @127.0.0.1 -p "${!p}" +noall +answer "$2" A | awk '{print $2}' | sort -u | paste -sd' ' -; }
for r in "${resolvers[@]}"; do
  poll_until 15000 "$r resolving www.example.org (the outside world)" answer_through "$r" www.example.org 192.0.2.80
done
ok "${resolvers[*]} are up and resolve the outside world's www.example.org"

scenario_start
for r in "${resolvers[@]}"; do
  poll_until 5000 "$r: mysql.service.consul" answer_through "$r" mysql.service.consul 127.0.0.11
  [ "$(through "$r" replica.mysql.service.consul)" = 127.0.0.12 ] || fail "$r: replica.mysql.service.consul is '$(through "$r" replica.mysql.service.consul)'"
done
ok "through ${resolvers[*]}: mysql.service.consul is node1, replica.mysql.service.consul node2"
for r in dnsmasq unbound named; do
  [ "$(ttl_through "$r" mysql.service.consul)" = 0 ] || fail "$r passes mysql.service.consul on with TTL '$(ttl_through "$r" mysql.service.consul)', expected 0"
done
ok "dnsmasq, unbound and named pass failoverdns's TTL 0 on"
# unbound rewrites the TTL to cache-min-ttl even where stub-no-cache keeps
# the answer out of its own cache: a client's cache downstream would keep it
# that long. What the README says (keep cache-min-ttl 0) rests on this.
[ "$(ttl_through unbound_hard mysql.service.consul)" = 30 ] || fail "unbound_hard: TTL '$(ttl_through unbound_hard mysql.service.consul)', expected its cache-min-ttl 30"
ok "unbound with cache-min-ttl 30 hands the answer on with TTL 30 (README: keep it 0)"
for r in "${resolvers[@]}"; do
  [ "$(through "$r" www.example.org)" = 192.0.2.80 ] || fail "$r no longer resolves www.example.org"
done
ok "other names still resolve beside the consul wiring"

# watch_switch NAME NEW SINCE DEADLINE_MS HOLD_MS LABEL=PORT...: asks each
# server NAME (A, UDP) every 10 ms until each has answered NEW, at most
# DEADLINE_MS after SINCE (epoch ms), then HOLD_MS more, in which each must
# keep answering NEW. Prints per server "LABEL MS TIMELINE": MS after SINCE
# of its first NEW ("never" at the deadline), TIMELINE each change of
# answer as ANSWER@MS; then "back LABEL ANSWER" for any answer other than
# NEW during the hold. One process with its own sockets, so a round takes
# ~10 ms where dig's start-up alone takes ~200 on a loaded machine.
watch_switch() {
  /usr/bin/python3 - "$@" <<'PY'
import socket, struct, sys, time

name, new, since, deadline_ms, hold_ms = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
servers = [(label, int(port)) for label, port in (a.split("=") for a in sys.argv[6:])]
now_ms = lambda: int(time.time() * 1000)

def query(port, qid):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    q += b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
    q += struct.pack(">HH", 1, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(1.0)
        s.sendto(q, ("127.0.0.1", port))
        try:
            r = s.recv(4096)
        except OSError:  # a timeout, or refused: nothing listens there
            return "(no response)"
    rcode = r[3] & 0xF
    ancount = struct.unpack(">H", r[6:8])[0]
    off = 12
    while r[off]: off += r[off] + 1  # the question's name, never compressed
    off += 5
    addrs = []
    for _ in range(ancount):
        while True:  # an owner name: labels, or a pointer that ends it
            if r[off] >= 0xC0: off += 2; break
            if r[off] == 0: off += 1; break
            off += r[off] + 1
        rtype, _, _, rdlen = struct.unpack(">HHIH", r[off:off + 10])
        off += 10
        if rtype == 1: addrs.append(socket.inet_ntoa(r[off:off + 4]))
        off += rdlen
    if rcode != 0: return ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"][rcode] if rcode < 6 else f"rcode{rcode}"
    return " ".join(sorted(addrs)) or "NODATA"

first, seen, qid = {}, {label: [] for label, _ in servers}, 0
while len(first) < len(servers) and now_ms() - since < deadline_ms:
    for label, port in servers:
        if label in first: continue
        qid = (qid + 1) & 0xFFFF
        a = query(port, qid)
        if not seen[label] or seen[label][-1][0] != a: seen[label].append((a, now_ms() - since))
        if a == new: first[label] = now_ms() - since
    time.sleep(0.01)
for label, _ in servers:
    print(label, first.get(label, "never"), ",".join(f"{a.replace(' ', '+')}@{ms}" for a, ms in seen[label]))
if len(first) == len(servers):
    end = now_ms() + hold_ms
    while now_ms() < end:
        for label, port in servers:
            qid = (qid + 1) & 0xFFFF
            a = query(port, qid)
            if a != new: print("back", label, a.replace(" ", ","))
        time.sleep(0.01)
PY
}

# The failover: kill -9 node1, then watch failoverdns and each resolver.
cluster kill 1 >/dev/null
mark
args=(failoverdns=$port)
for r in "${resolvers[@]}"; do p=${r}_port; args+=("$r=${!p}"); done
watch_switch mysql.service.consul 127.0.0.12 "$fault_ms" $(( refused_deadline_ms + max_lag_ms )) 1000 "${args[@]}" >"$work/switch.txt" 2>&1 ||
  fail "watch_switch failed: $(tail -5 "$work/switch.txt")"
declare -A switched_ms=() seen=()
while read -r label at answers; do
  [ "$label" != back ] || continue
  [ "$at" != never ] || fail "$label did not give node2 within $(( refused_deadline_ms + max_lag_ms )) ms of the kill (answers seen: $answers)"
  switched_ms[$label]=$at seen[$label]=$answers
done <"$work/switch.txt"
ok "failoverdns gave node2 ${switched_ms[failoverdns]} ms after the kill (answers seen: ${seen[failoverdns]})"
for r in "${resolvers[@]}"; do
  lag=$(( switched_ms[$r] - switched_ms[failoverdns] ))
  [ "$lag" -le "$max_lag_ms" ] || fail "$r gave node2 $lag ms after failoverdns did (at most $max_lag_ms); answers seen: ${seen[$r]}"
  # Below 0: it was asked after failoverdns in the round where failoverdns
  # switched, so it switched before failoverdns was asked again.
  ok "$r gave node2 $lag ms after failoverdns$([ "$lag" -ge 0 ] || echo ', in the same poll round') (answers seen: ${seen[$r]})"
done
! grep -q '^back ' "$work/switch.txt" || fail "after giving node2, an answer went back: $(grep '^back ' "$work/switch.txt" | sort | uniq -c | head -5)"
ok "for 1 s after, every one keeps answering node2"
stop_resolvers
finish
