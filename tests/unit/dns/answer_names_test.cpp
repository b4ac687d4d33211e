// Which names exist and what each query type gets there: Consul's service,
// tag, RFC 2782, node, addr and apex names under both domains and with and
// without the datacenter label.
#include <doctest/doctest.h>

#include "dns_test_support.hpp"

using namespace dnstest;

namespace {

struct NameCase {
  const char* name;
  std::uint16_t qtype;
  ldns_pkt_rcode rcode;
  std::vector<std::string> answer;  // in any order
  std::vector<std::string> additional;
};

const std::string soa_consul = "consul. 30 IN SOA ns.consul. hostmaster.consul. 42 3600 600 86400 30";
const std::string soa_example = "example.org. 30 IN SOA ns.example.org. hostmaster.example.org. 42 3600 600 86400 30";

}  // namespace

TEST_CASE("every name form answers its records") {
  auto table = compile(fixture());
  const std::vector<NameCase> cases = {
      // Plain service: passing and warning instances, never the critical one.
      {"web.service.consul", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR,
       {"web.service.consul. 15 IN A 10.0.0.1", "web.service.consul. 15 IN A 10.0.0.2"}, {}},
      {"web.service.dc1.consul", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR,
       {"web.service.dc1.consul. 15 IN A 10.0.0.1", "web.service.dc1.consul. 15 IN A 10.0.0.2"}, {}},
      {"web.service.example.org", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR,
       {"web.service.example.org. 15 IN A 10.0.0.1", "web.service.example.org. 15 IN A 10.0.0.2"}, {}},
      {"web.service.dc1.example.org", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR,
       {"web.service.dc1.example.org. 15 IN AAAA 2001:db8::4"}, {}},
      {"web.service.consul", LDNS_RR_TYPE_ANY, LDNS_RCODE_NOERROR,
       {"web.service.consul. 15 IN A 10.0.0.1", "web.service.consul. 15 IN A 10.0.0.2",
        "web.service.consul. 15 IN AAAA 2001:db8::4"},
       {}},
      // SRV: weight by health, target under the query's domain, always with the dc;
      // the targets' addresses in the additional section at the service's TTL, as Consul.
      {"web.service.consul", LDNS_RR_TYPE_SRV, LDNS_RCODE_NOERROR,
       {"web.service.consul. 15 IN SRV 1 10 8080 host1.node.dc1.consul.",
        "web.service.consul. 15 IN SRV 1 2 8080 host2.node.dc1.consul.",
        "web.service.consul. 15 IN SRV 1 1 8081 host4.node.dc1.consul."},
       {"host1.node.dc1.consul. 15 IN A 10.0.0.1", "host2.node.dc1.consul. 15 IN A 10.0.0.2",
        "host4.node.dc1.consul. 15 IN AAAA 2001:db8::4"}},
      {"web.service.example.org", LDNS_RR_TYPE_SRV, LDNS_RCODE_NOERROR,
       {"web.service.example.org. 15 IN SRV 1 10 8080 host1.node.dc1.example.org.",
        "web.service.example.org. 15 IN SRV 1 2 8080 host2.node.dc1.example.org.",
        "web.service.example.org. 15 IN SRV 1 1 8081 host4.node.dc1.example.org."},
       {"host1.node.dc1.example.org. 15 IN A 10.0.0.1", "host2.node.dc1.example.org. 15 IN A 10.0.0.2",
        "host4.node.dc1.example.org. 15 IN AAAA 2001:db8::4"}},
      // Tags.
      {"v1.web.service.consul", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR,
       {"v1.web.service.consul. 15 IN A 10.0.0.1", "v1.web.service.consul. 15 IN A 10.0.0.2"}, {}},
      {"canary.web.service.dc1.consul", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR,
       {"canary.web.service.dc1.consul. 15 IN A 10.0.0.2"}, {}},
      {"v2.web.service.consul", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR,
       {"v2.web.service.consul. 15 IN AAAA 2001:db8::4"}, {}},
      {"v1.web.service.consul", LDNS_RR_TYPE_SRV, LDNS_RCODE_NOERROR,
       {"v1.web.service.consul. 15 IN SRV 1 10 8080 host1.node.dc1.consul.",
        "v1.web.service.consul. 15 IN SRV 1 2 8080 host2.node.dc1.consul."},
       {"host1.node.dc1.consul. 15 IN A 10.0.0.1", "host2.node.dc1.consul. 15 IN A 10.0.0.2"}},
      // RFC 2782.
      {"_web._tcp.service.consul", LDNS_RR_TYPE_SRV, LDNS_RCODE_NOERROR,
       {"_web._tcp.service.consul. 15 IN SRV 1 10 8080 host1.node.dc1.consul.",
        "_web._tcp.service.consul. 15 IN SRV 1 2 8080 host2.node.dc1.consul.",
        "_web._tcp.service.consul. 15 IN SRV 1 1 8081 host4.node.dc1.consul."},
       {"host1.node.dc1.consul. 15 IN A 10.0.0.1", "host2.node.dc1.consul. 15 IN A 10.0.0.2",
        "host4.node.dc1.consul. 15 IN AAAA 2001:db8::4"}},
      {"_web._canary.service.dc1.consul", LDNS_RR_TYPE_SRV, LDNS_RCODE_NOERROR,
       {"_web._canary.service.dc1.consul. 15 IN SRV 1 2 8080 host2.node.dc1.consul."},
       {"host2.node.dc1.consul. 15 IN A 10.0.0.2"}},
      {"_web._tcp.service.consul", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, {}, {}},
      // ... and, as in Consul, without the "service" label.
      {"_web._tcp.consul", LDNS_RR_TYPE_SRV, LDNS_RCODE_NOERROR,
       {"_web._tcp.consul. 15 IN SRV 1 10 8080 host1.node.dc1.consul.",
        "_web._tcp.consul. 15 IN SRV 1 2 8080 host2.node.dc1.consul.",
        "_web._tcp.consul. 15 IN SRV 1 1 8081 host4.node.dc1.consul."},
       {"host1.node.dc1.consul. 15 IN A 10.0.0.1", "host2.node.dc1.consul. 15 IN A 10.0.0.2",
        "host4.node.dc1.consul. 15 IN AAAA 2001:db8::4"}},
      {"_web._canary.dc1.consul", LDNS_RR_TYPE_SRV, LDNS_RCODE_NOERROR,
       {"_web._canary.dc1.consul. 15 IN SRV 1 2 8080 host2.node.dc1.consul."},
       {"host2.node.dc1.consul. 15 IN A 10.0.0.2"}},
      {"_nosuch._tcp.consul", LDNS_RR_TYPE_SRV, LDNS_RCODE_NXDOMAIN, {}, {}},
      // Nodes: every instance's address, whatever its health, at node_ttl.
      {"host1.node.consul", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, {"host1.node.consul. 7 IN A 10.0.0.1"}, {}},
      {"host3.node.dc1.consul", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, {"host3.node.dc1.consul. 7 IN A 10.0.0.3"}, {}},
      {"host4.node.example.org", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR,
       {"host4.node.example.org. 7 IN AAAA 2001:db8::4"}, {}},
      {"host4.node.consul", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, {}, {}},
      // addr: computed from the name.
      {"0a000001.addr.consul", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, {"0a000001.addr.consul. 7 IN A 10.0.0.1"}, {}},
      {"C0A80101.addr.dc1.consul", LDNS_RR_TYPE_ANY, LDNS_RCODE_NOERROR,
       {"C0A80101.addr.dc1.consul. 7 IN A 192.168.1.1"}, {}},
      {"20010db8000000000000000000000001.addr.example.org", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR,
       {"20010db8000000000000000000000001.addr.example.org. 7 IN AAAA 2001:db8::1"}, {}},
      {"0a000001.addr.consul", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR, {}, {}},
      {"0a00000g.addr.consul", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, {}, {}},
      {"0a0001.addr.consul", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, {}, {}},
      {"0a000001.addr.dc2.consul", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, {}, {}},
      // Apex.
      {"consul", LDNS_RR_TYPE_SOA, LDNS_RCODE_NOERROR,
       {"consul. 3600 IN SOA ns.consul. hostmaster.consul. 42 3600 600 86400 30"}, {}},
      {"consul", LDNS_RR_TYPE_NS, LDNS_RCODE_NOERROR, {"consul. 3600 IN NS ns.consul."},
       {"ns.consul. 3600 IN A 127.0.0.1"}},
      {"example.org", LDNS_RR_TYPE_NS, LDNS_RCODE_NOERROR, {"example.org. 3600 IN NS ns.example.org."},
       {"ns.example.org. 3600 IN A 127.0.0.1"}},
      {"consul", LDNS_RR_TYPE_ANY, LDNS_RCODE_NOERROR,
       {"consul. 3600 IN SOA ns.consul. hostmaster.consul. 42 3600 600 86400 30", "consul. 3600 IN NS ns.consul."},
       {"ns.consul. 3600 IN A 127.0.0.1"}},
      {"ns.consul", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, {"ns.consul. 3600 IN A 127.0.0.1"}, {}},
      {"ns.consul", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR, {}, {}},
      {"consul", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, {}, {}},
      // Other types at names that exist: NODATA.
      {"web.service.consul", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR, {}, {}},
      {"web.service.consul", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, {}, {}},
      {"host1.node.consul", LDNS_RR_TYPE_SRV, LDNS_RCODE_NOERROR, {}, {}},
      // Empty non-terminals (RFC 8020): NOERROR, not NXDOMAIN.
      {"service.consul", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, {}, {}},
      {"node.consul", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, {}, {}},
      {"addr.consul", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, {}, {}},
      {"dc1.consul", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, {}, {}},
      {"service.dc1.consul", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, {}, {}},
      {"node.dc1.example.org", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, {}, {}},
      {"_tcp.service.consul", LDNS_RR_TYPE_SRV, LDNS_RCODE_NOERROR, {}, {}},
      {"_canary.service.consul", LDNS_RR_TYPE_SRV, LDNS_RCODE_NOERROR, {}, {}},
      // Names that do not exist.
      {"nothing.service.consul", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, {}, {}},
      {"web.service.dc2.consul", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, {}, {}},
      {"dc2.consul", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, {}, {}},
      {"v3.web.service.consul", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, {}, {}},
      {"x.web.service.consul", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, {}, {}},
      {"nohost.node.consul", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, {}, {}},
      {"_web._v3.service.consul", LDNS_RR_TYPE_SRV, LDNS_RCODE_NXDOMAIN, {}, {}},
      {"www.example.org", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, {}, {}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    CAPTURE(c.qtype);
    Query q;
    q.name = c.name;
    q.qtype = c.qtype;
    auto r = ask(*table, q, Transport::tcp);
    REQUIRE(r.pkt);
    CHECK(r.rcode() == c.rcode);
    CHECK(r.aa());
    CHECK(as_set(r.answer()) == as_set(c.answer));
    CHECK(as_set(r.additional()) == as_set(c.additional));
    std::string_view name(c.name);
    bool under_example = name.ends_with("example.org");
    if (c.answer.empty()) {
      // NODATA and NXDOMAIN carry the SOA, with the negative TTL.
      CHECK(r.authority() == std::vector<std::string>{under_example ? soa_example : soa_consul});
    } else {
      CHECK(r.authority().empty());
    }
  }
}

TEST_CASE("names outside our domains are refused, question echoed, AA clear") {
  auto table = compile(fixture());
  for (const char* name : {"example.com", "consul.example.com", "org", "xconsul", "."}) {
    CAPTURE(name);
    Query q;
    q.name = name;
    auto r = ask(*table, q);
    REQUIRE(r.pkt);
    CHECK(r.rcode() == LDNS_RCODE_REFUSED);
    CHECK_FALSE(r.aa());
    CHECK(ldns_pkt_qdcount(r.pkt.get()) == 1);
    CHECK(r.answer().empty());
    CHECK(r.authority().empty());
  }
}

TEST_CASE("the SOA carries the serial given to compile and dns.soa") {
  auto c = fixture();
  c.dns.soa = {.expire = 1000, .min_ttl = 5, .refresh = 200, .retry = 100};
  auto table = compile(c, 2024061501);
  CHECK(table->serial() == 2024061501);
  Query q;
  q.name = "consul";
  q.qtype = LDNS_RR_TYPE_SOA;
  auto r = ask(*table, q);
  CHECK(r.answer() == std::vector<std::string>{"consul. 3600 IN SOA ns.consul. hostmaster.consul. 2024061501 200 100 1000 5"});
  q.name = "missing.consul";
  r = ask(*table, q);
  CHECK(r.authority() == std::vector<std::string>{"consul. 5 IN SOA ns.consul. hostmaster.consul. 2024061501 200 100 1000 5"});
}

TEST_CASE("without an alt_domain or a usable datacenter only the plain forms exist") {
  auto c = fixture();
  c.alt_domain.clear();
  auto table = compile(c);
  Query q;
  q.name = "web.service.example.org";
  CHECK(ask(*table, q).rcode() == LDNS_RCODE_REFUSED);
  c.datacenter = "bad.dc";
  table = compile(c);
  q.name = "web.service.consul";
  CHECK(ask(*table, q).answer().size() == 2);
  q.qtype = LDNS_RR_TYPE_SRV;
  CHECK(as_set(ask(*table, q).additional()).count("host1.node.consul. 15 IN A 10.0.0.1") == 1);
}

TEST_CASE("a multi-label domain works like a single label") {
  auto c = fixture();
  c.domain = "sd.corp.example";
  c.alt_domain.clear();
  auto table = compile(c);
  Query q;
  q.name = "mysql.service.sd.corp.example";
  auto r = ask(*table, q);
  CHECK(r.answer() == std::vector<std::string>{"mysql.service.sd.corp.example. 0 IN A 172.25.0.11"});
  q.name = "corp.example";
  CHECK(ask(*table, q).rcode() == LDNS_RCODE_REFUSED);
  q.name = "nope.sd.corp.example";
  CHECK(ask(*table, q).rcode() == LDNS_RCODE_NXDOMAIN);
}

TEST_CASE("lookups ignore case and the question is echoed byte for byte") {
  auto table = compile(fixture());
  for (const char* name : {"WeB.SeRvIcE.CoNsUl", "WEB.SERVICE.DC1.CONSUL", "web.Service.Example.ORG",
                           "_WEB._TCP.service.consul", "Nothing.Service.Consul", "0A000001.ADDR.consul", "EXAMPLE.COM"}) {
    CAPTURE(name);
    for (std::uint16_t qtype : {LDNS_RR_TYPE_A, LDNS_RR_TYPE_SRV, LDNS_RR_TYPE_TXT}) {
      Query q;
      q.name = name;
      q.qtype = qtype;
      auto query = q.bytes();
      auto r = ask(*table, query);
      REQUIRE(r.pkt);
      std::size_t question_end = 12 + wire_name(name).size() + 4;
      REQUIRE(r.wire.size() >= question_end);
      CHECK(std::equal(query.begin() + 12, query.begin() + static_cast<std::ptrdiff_t>(question_end), r.wire.begin() + 12));
      Query lower = q;
      std::string l = name;
      for (auto& ch : l) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      lower.name = l;
      auto expected = ask(*table, lower);
      CHECK(r.rcode() == expected.rcode());
      CHECK(r.answer().size() == expected.answer().size());
      // Apart from the question, the bytes are those of the lower-case query.
      CHECK(std::equal(r.wire.begin() + static_cast<std::ptrdiff_t>(question_end), r.wire.end(),
                       expected.wire.begin() + static_cast<std::ptrdiff_t>(question_end), expected.wire.end()));
    }
  }
}

namespace {

// Walks every name in a response (question, owners, NS/SOA/SRV rdata) and
// says whether any uses a compression pointer.
bool uses_pointers(const Bytes& m) {
  std::size_t pos = 12;
  bool found = false;
  auto name = [&] {
    while (pos < m.size()) {
      std::uint8_t len = m[pos];
      if ((len & 0xC0) == 0xC0) {
        found = true;
        pos += 2;
        return;
      }
      pos += 1 + len;
      if (len == 0) return;
    }
  };
  auto count = [&](std::size_t i) { return static_cast<std::size_t>((m[4 + 2 * i] << 8) | m[5 + 2 * i]); };
  name();
  pos += 4;
  std::size_t records = count(1) + count(2) + count(3);
  for (std::size_t i = 0; i < records && pos < m.size(); ++i) {
    name();
    std::uint16_t type = static_cast<std::uint16_t>((m[pos] << 8) | m[pos + 1]);
    std::size_t rdlength = static_cast<std::size_t>((m[pos + 8] << 8) | m[pos + 9]);
    pos += 10;
    std::size_t next = pos + rdlength;
    if (type == LDNS_RR_TYPE_NS) name();
    if (type == LDNS_RR_TYPE_SOA) {
      name();
      name();
    }
    if (type == LDNS_RR_TYPE_SRV) {
      pos += 6;
      name();
    }
    pos = next;
  }
  return found;
}

}  // namespace

TEST_CASE("names compress within the message; disable_compression writes no pointers") {
  auto c = fixture();
  auto compressed = compile(c);
  c.dns.disable_compression = true;
  auto plain = compile(c);
  for (const char* name : {"web.service.consul", "nothing.service.consul", "0a000001.addr.consul", "consul"}) {
    for (std::uint16_t qtype : {LDNS_RR_TYPE_A, LDNS_RR_TYPE_SRV, LDNS_RR_TYPE_NS, LDNS_RR_TYPE_SOA}) {
      CAPTURE(name);
      CAPTURE(qtype);
      Query q;
      q.name = name;
      q.qtype = qtype;
      auto a = ask(*compressed, q, Transport::tcp);
      auto b = ask(*plain, q, Transport::tcp);
      REQUIRE(a.pkt);
      REQUIRE(b.pkt);
      CHECK(a.answer() == b.answer());
      CHECK(a.authority() == b.authority());
      CHECK(a.additional() == b.additional());
      CHECK_FALSE(uses_pointers(b.wire));
      bool has_records = !a.answer().empty() || !a.authority().empty();
      CHECK(uses_pointers(a.wire) == has_records);
      if (has_records) CHECK(a.wire.size() < b.wire.size());
    }
  }
  // Answer owners point straight at the question.
  Query q;
  q.name = "web.service.consul";
  auto r = ask(*compressed, q);
  std::size_t first_answer = 12 + wire_name(q.name).size() + 4;
  CHECK(r.wire[first_answer] == 0xC0);
  CHECK(r.wire[first_answer + 1] == 0x0C);
}

TEST_CASE("the first definition wins when two forms spell the same name") {
  // A datacenter and a service both called "service" make
  // web.service.<dc>.consul and <tag web>.<svc service>.service.consul the
  // same name; the forms without the datacenter are defined first.
  auto c = fixture();
  c.datacenter = "service";
  c.instances.push_back(instance("odd", "service", "oddhost", "10.9.9.9", 1, {"web"}));
  auto table = compile(c);
  Query q;
  q.name = "web.service.service.consul";
  CHECK(ask(*table, q).answer() == std::vector<std::string>{"web.service.service.consul. 0 IN A 10.9.9.9"});
}

TEST_CASE("reverse lookups: a node address answers PTR <node>.node.<dc>.<domain>, as Consul; others are not ours") {
  auto c = fixture();
  // Two nodes on one address: both names, in catalog order.
  c.instances.push_back(instance("web5", "web", "host5", "10.0.0.1", 8080));
  auto table = compile(c);
  Query q;
  q.qtype = LDNS_RR_TYPE_PTR;
  q.name = "11.0.25.172.in-addr.arpa";
  auto r = ask(*table, q);
  REQUIRE(r.pkt);
  CHECK(r.rcode() == LDNS_RCODE_NOERROR);
  CHECK(r.aa());
  CHECK(r.answer() == std::vector<std::string>{"11.0.25.172.in-addr.arpa. 7 IN PTR mastera.node.dc1.consul."});

  q.name = "1.0.0.10.IN-ADDR.ARPA";
  CHECK(as_set(ask(*table, q).answer()) ==
        as_set({"1.0.0.10.IN-ADDR.ARPA. 7 IN PTR host1.node.dc1.consul.",
                "1.0.0.10.IN-ADDR.ARPA. 7 IN PTR host5.node.dc1.consul."}));

  q.name = "4.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa";
  CHECK(ask(*table, q).answer() ==
        std::vector<std::string>{q.name + ". 7 IN PTR host4.node.dc1.consul."});

  // Another type at a PTR name: NODATA, not REFUSED.
  q.name = "11.0.25.172.in-addr.arpa";
  q.qtype = LDNS_RR_TYPE_A;
  r = ask(*table, q);
  CHECK(r.rcode() == LDNS_RCODE_NOERROR);
  CHECK(r.answer().empty());

  // Addresses we do not serve, and the reverse tree above ours: not ours
  // (forwarded when recursors are configured, REFUSED here).
  q.qtype = LDNS_RR_TYPE_PTR;
  for (const char* name : {"9.9.9.9.in-addr.arpa", "0.25.172.in-addr.arpa", "in-addr.arpa", "arpa"}) {
    CAPTURE(name);
    q.name = name;
    CHECK(ask(*table, q).rcode() == LDNS_RCODE_REFUSED);
  }
}
