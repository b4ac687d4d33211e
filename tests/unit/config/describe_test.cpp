#include <doctest/doctest.h>

#include "unit/config/config_fixture.hpp"

using namespace failoverdns;
using namespace failoverdns::testing;

TEST_CASE("describe: a few lines a person can check at a glance") {
  const auto loaded = load_text(R"({
    "node_name": "box", "domain": "consul", "alt_domain": "example.org",
    "addresses": {"dns": "127.0.0.1 ::1"}, "dns_workers": 2, "dns_config": {"service_ttl": {"*": "5s"}},
    "advertise_addr": "10.0.0.9",
    "services": [
      {"id": "mysqlnode1", "name": "mysql", "address": "127.0.0.11", "port": 3306, "tags": ["master"],
       "check": {"mariadb": true, "interval": "2s"}},
      {"id": "web1", "name": "web", "port": 80},
      {"id": "mysqlnode2", "name": "mysql", "address": "127.0.0.12", "port": 3306,
       "check": {"script": "true", "interval": "5s"}}
    ],
    "failover": {"mysql": {"no_promotion": ["mysqlnode2"], "state_file": "/tmp/m.state"}}
  })");
  REQUIRE(loaded.config);
  CHECK(describe(*loaded.config) ==
        "datacenter dc1, domain consul (also example.org), node box\n"
        "DNS: udp+tcp on 127.0.0.1:8600 [::1]:8600, workers 2, service_ttl *=5s\n"
        "forwarding: off (no recursors): names outside our domains get REFUSED, no RA\n"
        "HTTP API: on 127.0.0.1:8500; writes from 127.0.0.0/8 ::1/128, no token\n"
        "service mysql: 2 instances\n"
        "  mysqlnode1 127.0.0.11:3306 tags [master], check mariadb every 2s (timeout 1s)\n"
        "  mysqlnode2 127.0.0.12:3306, check script \"/bin/sh -c true\" every 5s (timeout 30s)\n"
        "service web: 1 instance\n"
        "  web1 10.0.0.9:80, no checks\n"
        "failover mysql: user failoverdns, probe every 1s (timeout 1s, 3 failures), auto_failover on, "
        "auto_rejoin on, state /tmp/m.state, never promote mysqlnode2\n");
}

TEST_CASE("describe: DNS off and no services") {
  const auto loaded = load_text(R"({"ports": {"dns": -1, "http": -1}, "node_name": "n"})");
  REQUIRE(loaded.config);
  CHECK(describe(*loaded.config) ==
        "datacenter dc1, domain consul, node n\nDNS: off (ports.dns = -1)\nHTTP API: off (ports.http = -1)\nno services\n");
}

TEST_CASE("describe: forwarding shows recursors, order, timeout, ACL, cache and cap") {
  const auto loaded = load_text(R"({"node_name": "n", "recursors": ["192.0.2.53", "[2001:db8::53]:5353"],
    "dns_config": {"recursor_strategy": "random", "recursor_timeout": "500ms",
                   "recursor_acl": ["127.0.0.0/8", "10.0.0.0/8"], "recursor_cache_size": 500}})");
  REQUIRE(loaded.config);
  CHECK(describe(*loaded.config) ==
        "datacenter dc1, domain consul, node n\n"
        "DNS: udp+tcp on 127.0.0.1:8600, workers one per core\n"
        "forwarding: to 192.0.2.53:53 [2001:db8::53]:5353 (random order, timeout 500ms each), recursion for "
        "127.0.0.0/8 10.0.0.0/8, cache 500 answers, at most 1000 upstream questions at once\n"
        "HTTP API: on 127.0.0.1:8500; writes from 127.0.0.0/8 ::1/128, no token\n"
        "no services\n");
}
