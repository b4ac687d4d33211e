// Rotation and response size: which records a client gets when there are
// many, over plain UDP, EDNS UDP and TCP.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "dns_test_support.hpp"

using namespace dnstest;

namespace {

// One service "big" with `count` passing IPv4 instances on distinct nodes.
Catalog big_catalog(int count, const std::string& node_prefix = "a-rather-long-node-name-") {
  Catalog c;
  c.datacenter = "dc1";
  c.domain = "consul";
  c.ns_addresses = {ip("127.0.0.1")};
  for (int i = 0; i < count; ++i) {
    std::string n = std::to_string(i);
    c.instances.push_back(instance("big" + n, "big", node_prefix + n, "10.1." + std::to_string(i / 250) + "." +
                                                                                           std::to_string(i % 250 + 1),
                                   static_cast<std::uint16_t>(9000 + i)));
  }
  return c;
}

Query query(std::string name, std::uint16_t qtype, std::optional<std::uint16_t> edns = std::nullopt) {
  Query q;
  q.name = std::move(name);
  q.qtype = qtype;
  q.edns_payload = edns;
  return q;
}

}  // namespace

TEST_CASE("rotation changes the order and covers every instance") {
  auto table = compile(big_catalog(5));
  std::set<std::string> firsts;
  std::set<std::vector<std::string>> orders;
  for (std::uint32_t rotation = 0; rotation < 5; ++rotation) {
    auto r = ask(*table, query("big.service.consul", LDNS_RR_TYPE_A), Transport::tcp, rotation);
    REQUIRE(r.answer().size() == 5);
    firsts.insert(r.answer().front());
    orders.insert(r.answer());
  }
  CHECK(firsts.size() == 5);
  CHECK(orders.size() == 5);
  // Same rotation, same answer: a pure function.
  CHECK(ask(*table, query("big.service.consul", LDNS_RR_TYPE_A), Transport::tcp, 3).wire ==
        ask(*table, query("big.service.consul", LDNS_RR_TYPE_A), Transport::tcp, 8).wire);
}

TEST_CASE("rotation past 16 instances uses 16 spread starting points") {
  auto c = big_catalog(40);
  c.datacenter.clear();  // fewer names to compile, same answers
  auto table = compile(c);
  std::set<std::string> firsts;
  for (std::uint32_t rotation = 0; rotation < 64; ++rotation) {
    auto r = ask(*table, query("big.service.consul", LDNS_RR_TYPE_A), Transport::tcp, rotation);
    REQUIRE(r.answer().size() == 40);
    firsts.insert(r.answer().front());
  }
  CHECK(firsts.size() == 16);
}

TEST_CASE("udp_answer_limit cuts plain UDP answers only, and rotation still reaches everyone") {
  auto c = big_catalog(5);
  c.dns.udp_answer_limit = 2;
  auto table = compile(c);
  std::set<std::string> seen;
  for (std::uint32_t rotation = 0; rotation < 5; ++rotation) {
    auto r = ask(*table, query("big.service.consul", LDNS_RR_TYPE_A), Transport::udp, rotation);
    CHECK(r.answer().size() == 2);
    // As Consul with enable_truncate: TC tells the client there is more
    // (over TCP or with EDNS); without it the client never learns.
    CHECK(r.tc());
    for (const auto& rr : r.answer()) seen.insert(rr);
    auto srv = ask(*table, query("big.service.consul", LDNS_RR_TYPE_SRV), Transport::udp, rotation);
    CHECK(srv.answer().size() == 2);
    CHECK(srv.additional().size() == 2);  // only the shown targets' addresses
  }
  CHECK(seen.size() == 5);
  auto edns = ask(*table, query("big.service.consul", LDNS_RR_TYPE_A, 1232));
  CHECK(edns.answer().size() == 5);
  CHECK_FALSE(edns.tc());
  auto tcp = ask(*table, query("big.service.consul", LDNS_RR_TYPE_A), Transport::tcp);
  CHECK(tcp.answer().size() == 5);
  CHECK_FALSE(tcp.tc());
  // Within the limit: nothing left out, no TC.
  auto few = big_catalog(2);
  few.dns.udp_answer_limit = 2;
  CHECK_FALSE(ask(*compile(few), query("big.service.consul", LDNS_RR_TYPE_A), Transport::udp).tc());
  // enable_truncate=false: cut, and no TC (Consul's behaviour too).
  c.dns.enable_truncate = false;
  auto quiet = ask(*compile(c), query("big.service.consul", LDNS_RR_TYPE_A), Transport::udp);
  CHECK(quiet.answer().size() == 2);
  CHECK_FALSE(quiet.tc());
}

TEST_CASE("a_record_limit caps address answers on every transport") {
  auto c = big_catalog(6);
  c.dns.a_record_limit = 4;
  c.dns.udp_answer_limit = 0;
  auto table = compile(c);
  std::set<std::string> seen;
  for (std::uint32_t rotation = 0; rotation < 6; ++rotation) {
    for (auto transport : {Transport::udp, Transport::tcp}) {
      auto r = ask(*table, query("big.service.consul", LDNS_RR_TYPE_A), transport, rotation);
      CHECK(r.answer().size() == 4);
      for (const auto& rr : r.answer()) seen.insert(rr);
      CHECK(ask(*table, query("big.service.consul", LDNS_RR_TYPE_ANY), transport, rotation).answer().size() == 4);
    }
  }
  CHECK(seen.size() == 6);
  // SRV answers are not address answers.
  CHECK(ask(*table, query("big.service.consul", LDNS_RR_TYPE_SRV), Transport::tcp).answer().size() == 6);

  c.dns.udp_answer_limit = 3;
  table = compile(c);
  CHECK(ask(*table, query("big.service.consul", LDNS_RR_TYPE_A)).answer().size() == 3);
  CHECK(ask(*table, query("big.service.consul", LDNS_RR_TYPE_A), Transport::tcp).answer().size() == 4);
}

TEST_CASE("truncation: 512 bytes for plain UDP, the EDNS size, everything over TCP") {
  auto c = big_catalog(60);
  c.dns.udp_answer_limit = 0;
  auto table = compile(c);
  const std::string name = "big.service.consul";

  auto plain = ask(*table, query(name, LDNS_RR_TYPE_A));
  REQUIRE(plain.pkt);
  CHECK(plain.wire.size() <= 512);
  CHECK(plain.wire.size() > 512 - 16);  // as many whole records as fit
  CHECK(plain.tc());
  CHECK(plain.answer().size() == (512 - 36) / 16);  // header+question 36, 16 per A

  auto edns = ask(*table, query(name, LDNS_RR_TYPE_A, 4096));
  CHECK(edns.wire.size() <= 1232);  // our edns_buffer_size caps the client's
  CHECK_FALSE(edns.tc());
  CHECK(edns.answer().size() == 60);

  auto small_edns = ask(*table, query(name, LDNS_RR_TYPE_A, 700));
  CHECK(small_edns.wire.size() <= 700);
  CHECK(small_edns.tc());
  CHECK(ldns_pkt_edns(small_edns.pkt.get()));

  // A payload below 512 counts as 512.
  auto tiny = ask(*table, query(name, LDNS_RR_TYPE_A, 100));
  auto at512 = ask(*table, query(name, LDNS_RR_TYPE_A, 512));
  CHECK(tiny.wire == at512.wire);
  CHECK(tiny.wire.size() <= 512);
  CHECK(tiny.wire.size() > 400);

  auto tcp = ask(*table, query(name, LDNS_RR_TYPE_SRV), Transport::tcp);
  CHECK_FALSE(tcp.tc());
  CHECK(tcp.answer().size() == 60);
  CHECK(tcp.additional().size() == 60);
}

TEST_CASE("truncation drops additional records first, without TC") {
  auto c = big_catalog(7);
  c.dns.udp_answer_limit = 0;
  auto table = compile(c);
  auto full = ask(*table, query("big.service.consul", LDNS_RR_TYPE_SRV), Transport::tcp);
  REQUIRE(full.wire.size() > 512);
  auto r = ask(*table, query("big.service.consul", LDNS_RR_TYPE_SRV));
  REQUIRE(r.pkt);
  CHECK(r.wire.size() <= 512);
  CHECK(r.answer().size() == 7);
  CHECK(r.additional().size() < 7);
  CHECK_FALSE(r.tc());
  // The kept additional records are the first ones of the full response.
  auto all = full.additional();
  CHECK(r.additional() == std::vector<std::string>(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(r.additional().size())));
}

TEST_CASE("enable_truncate=false sends fewer records without TC, as Consul") {
  auto c = big_catalog(60);
  c.dns.udp_answer_limit = 0;
  c.dns.enable_truncate = false;
  auto table = compile(c);
  auto r = ask(*table, query("big.service.consul", LDNS_RR_TYPE_A));
  REQUIRE(r.pkt);
  CHECK(r.wire.size() <= 512);
  CHECK_FALSE(r.tc());
  CHECK(r.answer().size() < 60);
  CHECK(r.answer().size() > 20);
}

TEST_CASE("every truncation point yields a well-formed message") {
  auto c = big_catalog(30);
  c.dns.udp_answer_limit = 0;
  c.dns.edns_buffer_size = 65000;
  auto table = compile(c);
  for (std::uint16_t payload = 512; payload < 3000; payload += 29) {
    for (std::uint16_t qtype : {LDNS_RR_TYPE_A, LDNS_RR_TYPE_SRV}) {
      auto r = ask(*table, query("big.service.consul", qtype, payload));
      REQUIRE(r.pkt);
      CHECK(r.wire.size() <= payload);
      CHECK(ldns_pkt_ancount(r.pkt.get()) == r.answer().size());
    }
  }
}

TEST_CASE("a response never outgrows TCP's 65535 bytes") {
  // Without compression, 300 SRV records of 177 bytes fit; their targets'
  // addresses (95 bytes each) do not all.
  auto c = big_catalog(300, std::string(60, 'n'));
  c.datacenter.clear();  // fewer names to compile, same answers
  c.dns.disable_compression = true;
  std::string service(63, 's');
  for (auto& in : c.instances) in.service = service;
  auto table = compile(c);
  auto r = ask(*table, query(service + ".service.consul", LDNS_RR_TYPE_SRV), Transport::tcp);
  REQUIRE(r.pkt);
  CHECK(r.wire.size() <= 65535);
  CHECK(r.wire.size() > 65535 - 95);
  CHECK(r.answer().size() == 300);
  CHECK(r.additional().size() < 300);
  CHECK(r.additional().size() > 100);
  CHECK_FALSE(r.tc());
}
