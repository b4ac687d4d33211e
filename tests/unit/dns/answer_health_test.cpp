// Health and failover roles decide who appears in DNS.
#include <doctest/doctest.h>

#include "dns_test_support.hpp"

using namespace dnstest;

namespace {

std::vector<std::string> addresses(const AnswerTable& table, const std::string& name) {
  Query q;
  q.name = name;
  auto r = ask(table, q, Transport::tcp);
  std::vector<std::string> out;
  for (auto& rr : r.answer()) out.push_back(rr.substr(rr.rfind(' ') + 1));
  std::sort(out.begin(), out.end());
  return out;
}

ldns_pkt_rcode rcode_of(const AnswerTable& table, const std::string& name, std::uint16_t qtype = LDNS_RR_TYPE_A) {
  Query q;
  q.name = name;
  q.qtype = qtype;
  return ask(table, q).rcode();
}

using V = std::vector<std::string>;

}  // namespace

TEST_CASE("critical never appears, warning appears unless only_passing") {
  auto c = fixture();
  auto table = compile(c);
  CHECK(addresses(*table, "web.service.consul") == V{"10.0.0.1", "10.0.0.2"});
  c.dns.only_passing = true;
  table = compile(c);
  CHECK(addresses(*table, "web.service.consul") == V{"10.0.0.1"});
  CHECK(addresses(*table, "v1.web.service.consul") == V{"10.0.0.1"});
  // canary's only instance is warning: the tag name is gone.
  CHECK(rcode_of(*table, "canary.web.service.consul") == LDNS_RCODE_NXDOMAIN);
  CHECK(rcode_of(*table, "_web._canary.service.consul", LDNS_RR_TYPE_SRV) == LDNS_RCODE_NXDOMAIN);
  // Nodes are hosts, not services: health does not hide them.
  CHECK(addresses(*table, "host2.node.consul") == V{"10.0.0.2"});
  CHECK(addresses(*table, "host3.node.consul") == V{"10.0.0.3"});
}

TEST_CASE("a service with nothing to show does not exist") {
  auto c = fixture();
  for (auto& in : c.instances) {
    if (in.service == "web") in.health = Health::critical;
  }
  auto table = compile(c);
  for (const char* name : {"web.service.consul", "v1.web.service.consul", "v2.web.service.dc1.consul"}) {
    CAPTURE(name);
    CHECK(rcode_of(*table, name) == LDNS_RCODE_NXDOMAIN);
  }
  CHECK(rcode_of(*table, "_web._tcp.service.consul", LDNS_RR_TYPE_SRV) == LDNS_RCODE_NXDOMAIN);
  CHECK(rcode_of(*table, "mysql.service.consul") == LDNS_RCODE_NOERROR);
}

TEST_CASE("SRV weight follows health") {
  auto c = fixture();
  auto table = compile(c);
  Query q;
  q.name = "canary.web.service.consul";
  q.qtype = LDNS_RR_TYPE_SRV;
  CHECK(ask(*table, q).answer() == V{"canary.web.service.consul. 15 IN SRV 1 2 8080 host2.node.dc1.consul."});
  for (auto& in : c.instances) {
    if (in.id == "web2") in.health = Health::passing;
  }
  table = compile(c);
  CHECK(ask(*table, q).answer() == V{"canary.web.service.consul. 15 IN SRV 1 10 8080 host2.node.dc1.consul."});
}

TEST_CASE("failover services follow roles, not configured tags") {
  struct Case {
    const char* what;
    Role a, b;
    V bare, master, replica;
  };
  const std::vector<Case> cases = {
      {"a primary, b replica", Role::primary, Role::replica, {"172.25.0.11"}, {"172.25.0.11"}, {"172.25.0.12"}},
      {"after failover", Role::fenced, Role::primary, {"172.25.0.12"}, {"172.25.0.12"}, {}},
      {"rejoined", Role::replica, Role::primary, {"172.25.0.12"}, {"172.25.0.12"}, {"172.25.0.11"}},
      {"roles unknown yet", Role::none, Role::none, {}, {}, {}},
      {"no primary", Role::replica, Role::fenced, {}, {}, {"172.25.0.11"}},
  };
  for (const auto& k : cases) {
    CAPTURE(k.what);
    auto c = fixture();
    c.instances[0].role = k.a;
    c.instances[1].role = k.b;
    auto table = compile(c);
    CHECK(addresses(*table, "mysql.service.consul") == k.bare);
    CHECK(addresses(*table, "master.mysql.service.consul") == k.master);
    CHECK(addresses(*table, "primary.mysql.service.dc1.consul") == k.master);
    CHECK(addresses(*table, "replica.mysql.service.consul") == k.replica);
    CHECK(addresses(*table, "slave.mysql.service.example.org") == k.replica);
    // Names with nothing behind them do not exist, except as parents of names that do.
    if (k.replica.empty()) CHECK(rcode_of(*table, "replica.mysql.service.consul") == LDNS_RCODE_NXDOMAIN);
    if (k.master.empty()) CHECK(rcode_of(*table, "master.mysql.service.consul") == LDNS_RCODE_NXDOMAIN);
    if (k.bare.empty()) {
      // Never a replica, and "no such host" even while replicas exist.
      CHECK(rcode_of(*table, "mysql.service.consul") == LDNS_RCODE_NXDOMAIN);
      CHECK(rcode_of(*table, "_mysql._tcp.service.consul", LDNS_RR_TYPE_SRV) == LDNS_RCODE_NXDOMAIN);
    }
  }
}

TEST_CASE("failover: a critical primary is not shown; RFC 2782 forms follow roles too") {
  auto c = fixture();
  auto table = compile(c);
  Query q;
  q.name = "_mysql._replica.service.consul";
  q.qtype = LDNS_RR_TYPE_SRV;
  CHECK(ask(*table, q).answer() == V{"_mysql._replica.service.consul. 0 IN SRV 1 1 3306 masterb.node.dc1.consul."});
  q.name = "_mysql._tcp.service.consul";
  CHECK(ask(*table, q).answer() == V{"_mysql._tcp.service.consul. 0 IN SRV 1 1 3306 mastera.node.dc1.consul."});
  c.instances[0].health = Health::critical;
  table = compile(c);
  CHECK(addresses(*table, "mysql.service.consul").empty());
  CHECK(addresses(*table, "replica.mysql.service.consul") == V{"172.25.0.12"});
}

TEST_CASE("a service not under failover keeps its configured master tag") {
  auto c = fixture();
  c.failover_services.clear();
  auto table = compile(c);
  CHECK(addresses(*table, "mysql.service.consul") == V{"172.25.0.11", "172.25.0.12"});
  CHECK(addresses(*table, "master.mysql.service.consul") == V{"172.25.0.11", "172.25.0.12"});
  CHECK(rcode_of(*table, "replica.mysql.service.consul") == LDNS_RCODE_NXDOMAIN);
}

TEST_CASE("service TTLs follow dns.service_ttl") {
  auto c = fixture();
  c.dns.service_ttl = {{"*", std::chrono::seconds(5)}, {"my*", std::chrono::seconds(9)}};
  auto table = compile(c);
  Query q;
  q.name = "mysql.service.consul";
  CHECK(ask(*table, q).answer() == V{"mysql.service.consul. 9 IN A 172.25.0.11"});
  q.name = "web.service.consul";
  for (const auto& rr : ask(*table, q).answer()) CHECK(rr.starts_with("web.service.consul. 5 IN A"));
}
