// The names that carry failover's view: TXT _status.<svc> (every instance,
// its role, health, lag, the epoch and since when the primary is primary)
// and lag-<N>s.replica.<svc> (the replicas at most N seconds behind, for
// any N the client picks).
#include <doctest/doctest.h>

#include "dns_test_support.hpp"

using namespace dnstest;

namespace {

using V = std::vector<std::string>;

// mysql under failover: db1 primary, db2..db4 replicas 0, 7 and 3 s behind,
// db5 a replica whose lag MariaDB reports as NULL, db6 fenced and down.
Catalog lag_fixture() {
  Catalog c = fixture();
  c.instances.erase(c.instances.begin(), c.instances.begin() + 2);
  auto add = [&](const char* id, const char* node, const char* address, Role role, Health health,
                 std::optional<std::uint32_t> lag) {
    auto in = instance(id, "mysql", node, address, 3306);
    in.role = role;
    in.health = health;
    in.lag = lag;
    c.instances.push_back(in);
  };
  add("db1", "n1", "10.1.0.1", Role::primary, Health::passing, 0);
  add("db2", "n2", "10.1.0.2", Role::replica, Health::passing, 0);
  add("db3", "n3", "10.1.0.3", Role::replica, Health::passing, 7);
  add("db4", "n4", "10.1.0.4", Role::replica, Health::passing, 3);
  add("db5", "n5", "10.1.0.5", Role::replica, Health::passing, std::nullopt);
  add("db6", "n6", "10.1.0.6", Role::fenced, Health::critical, std::nullopt);
  // 2026-12-02T16:03:11Z
  c.failover_summary["mysql"] = {3, std::chrono::sys_seconds(std::chrono::seconds(1796227391))};
  return c;
}

Instance& by_id(Catalog& c, const std::string& id) {
  return *std::find_if(c.instances.begin(), c.instances.end(), [&](const Instance& in) { return in.id == id; });
}

Reply query(const AnswerTable& table, const std::string& name, std::uint16_t qtype = LDNS_RR_TYPE_A,
            Transport transport = Transport::tcp, std::uint32_t rotation = 0) {
  Query q;
  q.name = name;
  q.qtype = qtype;
  return ask(table, q, transport, rotation);
}

V addresses(const AnswerTable& table, const std::string& name) {
  auto r = query(table, name);
  V out;
  for (auto& rr : r.answer()) out.push_back(rr.substr(rr.rfind(' ') + 1));
  std::sort(out.begin(), out.end());
  return out;
}

const std::string soa = "consul. 30 IN SOA ns.consul. hostmaster.consul. 42 3600 600 86400 30";

}  // namespace

TEST_CASE("_status.<svc> TXT: one string per instance, every role and health, configuration order, TTL 0") {
  auto table = compile(lag_fixture());
  const V expected = {
      R"(_status.mysql.service.consul. 0 IN TXT "node=n1 id=db1 role=primary health=passing lag=0 epoch=3 since=2026-12-02T16:03:11Z")",
      R"(_status.mysql.service.consul. 0 IN TXT "node=n2 id=db2 role=replica health=passing lag=0 epoch=3")",
      R"(_status.mysql.service.consul. 0 IN TXT "node=n3 id=db3 role=replica health=passing lag=7 epoch=3")",
      R"(_status.mysql.service.consul. 0 IN TXT "node=n4 id=db4 role=replica health=passing lag=3 epoch=3")",
      R"(_status.mysql.service.consul. 0 IN TXT "node=n5 id=db5 role=replica health=passing lag=unknown epoch=3")",
      R"(_status.mysql.service.consul. 0 IN TXT "node=n6 id=db6 role=fenced health=critical lag=unknown epoch=3")",
  };
  Query q;
  q.name = "_status.mysql.service.consul";
  q.qtype = LDNS_RR_TYPE_TXT;
  q.edns_payload = 1232;  // as dig asks
  auto r = ask(*table, q);
  REQUIRE(r.pkt);
  CHECK(r.rcode() == LDNS_RCODE_NOERROR);
  CHECK(r.aa());
  CHECK_FALSE(r.tc());
  CHECK(r.answer() == expected);  // in this order, whatever the rotation
  CHECK(ask(*table, q, Transport::udp, 3).answer() == expected);
  CHECK(query(*table, "_status.mysql.service.consul", LDNS_RR_TYPE_ANY).answer() == expected);
  // Plain UDP: udp_answer_limit (3) as for every name, with TC to retry over TCP.
  auto plain = query(*table, "_status.mysql.service.consul", LDNS_RR_TYPE_TXT, Transport::udp);
  CHECK(plain.answer().size() == 3);
  CHECK(plain.tc());

  // The other forms of the name.
  for (const char* name : {"_status.mysql.service.dc1.consul", "_status.mysql.service.example.org",
                           "_STATUS.MySQL.service.dc1.example.org"}) {
    CAPTURE(name);
    auto other = query(*table, name, LDNS_RR_TYPE_TXT);
    CHECK(other.answer().size() == 6);
  }
  // No other type there; a service not under failover has no _status.
  auto a = query(*table, "_status.mysql.service.consul", LDNS_RR_TYPE_A);
  CHECK(a.rcode() == LDNS_RCODE_NOERROR);
  CHECK(a.answer().empty());
  CHECK(a.authority() == V{soa});
  CHECK(query(*table, "_status.web.service.consul", LDNS_RR_TYPE_TXT).rcode() == LDNS_RCODE_NXDOMAIN);
  CHECK(query(*table, "x._status.mysql.service.consul", LDNS_RR_TYPE_TXT).rcode() == LDNS_RCODE_NXDOMAIN);
}

TEST_CASE("_status before failover knows anything, and without a primary") {
  auto c = lag_fixture();
  c.failover_summary.clear();
  for (auto& in : c.instances) {
    if (in.service != "mysql") continue;
    in.role = in.id == "db1" ? Role::primary : Role::none;
    in.lag.reset();
  }
  auto table = compile(c);
  auto r = query(*table, "_status.mysql.service.consul", LDNS_RR_TYPE_TXT);
  REQUIRE(r.answer().size() == 6);
  CHECK(r.answer()[0] ==
        R"(_status.mysql.service.consul. 0 IN TXT "node=n1 id=db1 role=primary health=passing lag=unknown epoch=0 since=unknown")");
  CHECK(r.answer()[1] == R"(_status.mysql.service.consul. 0 IN TXT "node=n2 id=db2 role=none health=passing lag=unknown epoch=0")");

  // No primary: mysql.service.consul is NXDOMAIN, _status still tells why.
  c = lag_fixture();
  by_id(c, "db1").role = Role::fenced;
  by_id(c, "db1").health = Health::critical;
  table = compile(c);
  CHECK(query(*table, "mysql.service.consul").rcode() == LDNS_RCODE_NXDOMAIN);
  CHECK(query(*table, "_status.mysql.service.consul", LDNS_RR_TYPE_TXT).answer().size() == 6);
}

TEST_CASE("a long instance id is split into 255-byte character-strings") {
  auto c = lag_fixture();
  by_id(c, "db1").id = std::string(300, 'x');
  auto table = compile(c);
  auto r = query(*table, "_status.mysql.service.consul", LDNS_RR_TYPE_TXT);
  REQUIRE(r.pkt);
  const ldns_rr* rr = ldns_rr_list_rr(ldns_pkt_answer(r.pkt.get()), 0);
  CHECK(ldns_rr_rd_count(rr) == 2);
  CHECK(ldns_rdf_size(ldns_rr_rdf(rr, 0)) == 256);
}

TEST_CASE("lag-<N>s.replica.<svc>: the passing replicas whose known lag is at most N seconds") {
  auto table = compile(lag_fixture());
  struct Case {
    const char* name;
    V addresses;
  };
  const std::vector<Case> cases = {
      {"lag-0s.replica.mysql.service.consul", {"10.1.0.2"}},
      {"lag-2s.replica.mysql.service.consul", {"10.1.0.2"}},
      {"lag-3s.replica.mysql.service.consul", {"10.1.0.2", "10.1.0.4"}},
      {"lag-6s.replica.mysql.service.consul", {"10.1.0.2", "10.1.0.4"}},
      {"lag-7s.replica.mysql.service.consul", {"10.1.0.2", "10.1.0.3", "10.1.0.4"}},
      {"lag-86400s.replica.mysql.service.consul", {"10.1.0.2", "10.1.0.3", "10.1.0.4"}},
      {"lag-03s.replica.mysql.service.consul", {"10.1.0.2", "10.1.0.4"}},
      // The other forms: slave, the datacenter, the alt domain, any case.
      {"lag-5s.slave.mysql.service.consul", {"10.1.0.2", "10.1.0.4"}},
      {"lag-5s.replica.mysql.service.dc1.consul", {"10.1.0.2", "10.1.0.4"}},
      {"LAG-5S.Replica.mysql.service.example.org", {"10.1.0.2", "10.1.0.4"}},
      // Not lag names: nothing there.
      {"lag-86401s.replica.mysql.service.consul", {}},
      {"lag-100000s.replica.mysql.service.consul", {}},
      {"lag-s.replica.mysql.service.consul", {}},
      {"lag-5.replica.mysql.service.consul", {}},
      {"lag-5m.replica.mysql.service.consul", {}},
      {"lag--5s.replica.mysql.service.consul", {}},
      {"lag-5s.mysql.service.consul", {}},
      {"lag-5s.master.mysql.service.consul", {}},
      {"lag-5s.replica.web.service.consul", {}},
      {"x.lag-5s.replica.mysql.service.consul", {}},
  };
  for (const auto& k : cases) {
    CAPTURE(k.name);
    auto r = query(*table, k.name);
    REQUIRE(r.pkt);
    CHECK(r.rcode() == (k.addresses.empty() ? LDNS_RCODE_NXDOMAIN : LDNS_RCODE_NOERROR));
    CHECK(addresses(*table, k.name) == k.addresses);
    if (k.addresses.empty()) CHECK(r.authority().size() == 1);
  }
}

TEST_CASE("lag names: owner is the query's name in its case, TTL, SRV with additional, NODATA, NXDOMAIN") {
  auto c = lag_fixture();
  c.dns.service_ttl = {{"mysql", std::chrono::seconds(5)}};
  auto table = compile(c);
  Query q;
  q.name = "Lag-3S.rePLica.mysql.service.consul";
  auto r = ask(*table, q);
  REQUIRE(r.pkt);
  CHECK(r.aa());
  CHECK(as_set(r.answer()) == as_set({"Lag-3S.rePLica.mysql.service.consul. 5 IN A 10.1.0.2",
                                      "Lag-3S.rePLica.mysql.service.consul. 5 IN A 10.1.0.4"}));
  Bytes qname = wire_name(q.name);
  CHECK(std::equal(qname.begin(), qname.end(), r.wire.begin() + 12));  // question echoed byte for byte

  q.name = "lag-5s.replica.mysql.service.consul";
  q.qtype = LDNS_RR_TYPE_SRV;
  r = ask(*table, q);
  CHECK(as_set(r.answer()) == as_set({"lag-5s.replica.mysql.service.consul. 5 IN SRV 1 1 3306 n2.node.dc1.consul.",
                                      "lag-5s.replica.mysql.service.consul. 5 IN SRV 1 1 3306 n4.node.dc1.consul."}));
  CHECK(as_set(r.additional()) == as_set({"n2.node.dc1.consul. 5 IN A 10.1.0.2", "n4.node.dc1.consul. 5 IN A 10.1.0.4"}));

  for (std::uint16_t qtype : {LDNS_RR_TYPE_AAAA, LDNS_RR_TYPE_TXT, LDNS_RR_TYPE_MX}) {
    CAPTURE(qtype);
    q.qtype = qtype;
    r = ask(*table, q);
    CHECK(r.rcode() == LDNS_RCODE_NOERROR);
    CHECK(r.answer().empty());
    CHECK(r.authority() == V{soa});
  }
  q.qtype = LDNS_RR_TYPE_ANY;
  CHECK(ask(*table, q).answer().size() == 2);

  // Every replica behind more than the bound: NXDOMAIN, as replica.<svc>
  // without replicas. No lag known at all: the same for every bound.
  by_id(c, "db2").lag = 2;
  table = compile(c);
  CHECK(query(*table, "lag-1s.replica.mysql.service.consul").rcode() == LDNS_RCODE_NXDOMAIN);
  CHECK(addresses(*table, "lag-2s.replica.mysql.service.consul") == V{"10.1.0.2"});
  for (auto& in : c.instances) in.lag.reset();
  table = compile(c);
  CHECK(addresses(*table, "replica.mysql.service.consul").size() == 4);
  CHECK(query(*table, "lag-86400s.replica.mysql.service.consul").rcode() == LDNS_RCODE_NXDOMAIN);
}

TEST_CASE("lag names: only role replica; a critical or fenced instance never, whatever its lag") {
  auto c = lag_fixture();
  by_id(c, "db6").lag = 0;
  by_id(c, "db3").role = Role::none;  // stopped replicating
  by_id(c, "db3").lag = 0;
  auto table = compile(c);
  CHECK(addresses(*table, "lag-100s.replica.mysql.service.consul") == V{"10.1.0.2", "10.1.0.4"});
}

TEST_CASE("lag names: rotation, udp_answer_limit, truncation and disable_compression as for other names") {
  auto c = fixture();
  c.instances.erase(c.instances.begin(), c.instances.begin() + 2);
  for (int i = 0; i < 40; ++i) {
    auto in = instance("db" + std::to_string(i), "mysql", "node-with-a-long-name-" + std::to_string(i),
                       "10.2.0." + std::to_string(i + 1), 3306);
    in.role = i == 0 ? Role::primary : Role::replica;
    in.lag = static_cast<std::uint32_t>(i % 4);
    c.instances.push_back(in);
  }
  c.dns.udp_answer_limit = 3;
  auto table = compile(c);

  // Rotation reaches every replica within the bound.
  std::set<std::string> seen;
  for (std::uint32_t rotation = 0; rotation < 16; ++rotation) {
    for (const auto& rr : query(*table, "lag-1s.replica.mysql.service.consul", LDNS_RR_TYPE_A, Transport::tcp, rotation).answer())
      seen.insert(rr);
  }
  CHECK(seen.size() == 19);  // i % 4 <= 1, without the primary

  // Plain UDP: cut to udp_answer_limit, TC as Consul. SRV over UDP with
  // EDNS 512: what fits, additional first, every prefix well-formed.
  auto r = query(*table, "lag-1s.replica.mysql.service.consul", LDNS_RR_TYPE_A, Transport::udp);
  CHECK(r.answer().size() == 3);
  CHECK(r.tc());
  Query q;
  q.name = "lag-86400s.replica.mysql.service.consul";
  q.qtype = LDNS_RR_TYPE_SRV;
  q.edns_payload = 512;
  r = ask(*table, q);
  REQUIRE(r.pkt);
  CHECK(r.wire.size() <= 512);
  CHECK(r.tc());
  CHECK(r.answer().size() < 39);
  CHECK(r.additional().empty() == true);
  r = ask(*table, q, Transport::tcp);
  REQUIRE(r.pkt);
  CHECK(r.answer().size() == 39);
  CHECK(r.additional().size() == 39);
  CHECK_FALSE(r.tc());

  // Without compression every owner is the query's name written out.
  c.dns.disable_compression = true;
  c.dns.udp_answer_limit = 0;
  auto plain = compile(c);
  Query p;
  p.name = "lag-2s.replica.mysql.service.consul";
  auto a = ask(*table, p, Transport::tcp);
  auto b = ask(*plain, p, Transport::tcp);
  REQUIRE(a.pkt);
  REQUIRE(b.pkt);
  CHECK(as_set(b.answer()).size() == 29);
  std::size_t first_answer = 12 + wire_name(p.name).size() + 4;
  CHECK(a.wire[first_answer] == 0xC0);
  CHECK(b.wire[first_answer] == wire_name(p.name)[0]);
  CHECK(b.wire.size() > a.wire.size());
}
