// Header handling, malformed queries, EDNS: what a query that is not a
// plain question gets back.
#include <doctest/doctest.h>

#include "dns_test_support.hpp"

using namespace dnstest;

TEST_CASE("header: ID echoed, QR and AA set, RD and CD copied, RA clear") {
  auto table = compile(fixture());
  for (bool rd : {false, true}) {
    for (bool cd : {false, true}) {
      Query q;
      q.id = 0xBEEF;
      q.rd = rd;
      q.cd = cd;
      auto r = ask(*table, q);
      REQUIRE(r.pkt);
      CHECK(ldns_pkt_id(r.pkt.get()) == 0xBEEF);
      CHECK(ldns_pkt_qr(r.pkt.get()));
      CHECK(r.aa());
      CHECK(ldns_pkt_rd(r.pkt.get()) == rd);
      CHECK(ldns_pkt_cd(r.pkt.get()) == cd);
      CHECK_FALSE(ldns_pkt_ra(r.pkt.get()));
      CHECK_FALSE(ldns_pkt_ad(r.pkt.get()));
      CHECK_FALSE(r.tc());
      CHECK(ldns_pkt_get_opcode(r.pkt.get()) == LDNS_PACKET_QUERY);
    }
  }
}

TEST_CASE("responses and runts are dropped") {
  auto table = compile(fixture());
  Query q;
  auto bytes = q.bytes();
  bytes[2] |= 0x80;  // QR
  CHECK(ask(*table, bytes).dropped());
  Bytes good = q.bytes();
  for (std::size_t n = 0; n < 12; ++n) CHECK(ask(*table, Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n))).dropped());
  // Too small a response buffer is the caller's bug, but never an overflow.
  Bytes small(100);
  CHECK(answer_query(*table, q.bytes(), small, Transport::udp, 0).action == QueryOutcome::Action::drop);
}

TEST_CASE("opcodes other than QUERY get NOTIMP with the opcode and question echoed") {
  auto table = compile(fixture());
  Query q;
  q.opcode = LDNS_PACKET_NOTIFY;
  q.qtype = LDNS_RR_TYPE_SOA;
  q.name = "consul";
  auto r = ask(*table, q);
  REQUIRE(r.pkt);
  CHECK(r.rcode() == LDNS_RCODE_NOTIMPL);
  CHECK(ldns_pkt_get_opcode(r.pkt.get()) == LDNS_PACKET_NOTIFY);
  CHECK(ldns_pkt_qdcount(r.pkt.get()) == 1);
  CHECK(r.answer().empty());
  CHECK_FALSE(r.aa());

  q.edns_payload = 4096;  // an OPT in the query: ours in the NOTIMP
  r = ask(*table, q);
  REQUIRE(r.pkt);
  CHECK(r.rcode() == LDNS_RCODE_NOTIMPL);
  CHECK(ldns_pkt_edns(r.pkt.get()));
  CHECK(ldns_pkt_edns_udp_size(r.pkt.get()) == 1232);
  q.edns_payload.reset();

  q.opcode = LDNS_PACKET_UPDATE;
  q.qdcount = 0;  // and an unparseable question: no question echoed
  auto bytes = q.bytes();
  bytes.resize(12);
  r = ask(*table, bytes);
  REQUIRE(r.pkt);
  CHECK(r.rcode() == LDNS_RCODE_NOTIMPL);
  CHECK(r.header_count(0) == 0);
  CHECK(r.wire.size() == 12);
}

TEST_CASE("malformed questions get FORMERR with the header only") {
  auto table = compile(fixture());
  struct Case {
    std::string what;
    Bytes query;
  };
  Query base;
  Bytes good = base.bytes();
  std::vector<Case> cases;
  {
    Query q;
    q.qdcount = 2;
    cases.push_back({"QDCOUNT 2", q.bytes()});
    q.qdcount = 0;
    cases.push_back({"QDCOUNT 0", q.bytes()});
  }
  for (std::size_t cut : {13u, 20u, 33u, 34u, 35u, 36u}) {
    cases.push_back({"truncated question", Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(cut))});
  }
  {
    Bytes b(good.begin(), good.begin() + 12);
    b.insert(b.end(), {5, 'm', 'y', 's', 'q', 'l', 0xC0, 12, 0, 1, 0, 1});
    cases.push_back({"pointer in qname", b});
  }
  {
    Bytes b(good.begin(), good.begin() + 12);
    b.insert(b.end(), {0x45, 'x', 0, 0, 1, 0, 1});
    cases.push_back({"extended label type", b});
  }
  {
    Bytes b(good.begin(), good.begin() + 12);
    for (int i = 0; i < 5; ++i) {
      b.push_back(63);
      b.insert(b.end(), 63, 'a');
    }
    b.insert(b.end(), {0, 0, 1, 0, 1});
    cases.push_back({"name over 255 bytes", b});
  }
  {
    Query q;
    q.edns_payload = 4096;
    Bytes b = q.bytes();
    Bytes opt(b.end() - 11, b.end());
    b.insert(b.end(), opt.begin(), opt.end());
    b[11] = 2;
    cases.push_back({"two OPT records", b});
  }
  {
    Query q;
    q.edns_payload = 4096;
    Bytes b = q.bytes();
    std::size_t opt = b.size() - 11;
    b.erase(b.begin() + static_cast<std::ptrdiff_t>(opt));
    Bytes owner = wire_name("consul");
    b.insert(b.begin() + static_cast<std::ptrdiff_t>(opt), owner.begin(), owner.end());
    cases.push_back({"OPT not owned by the root", b});
  }
  {
    Query q;
    q.edns_payload = 4096;
    Bytes b = q.bytes();
    b.resize(b.size() - 3);
    cases.push_back({"truncated OPT", b});
  }
  {
    Bytes b = good;
    b[11] = 1;  // ARCOUNT 1, nothing there
    cases.push_back({"missing additional record", b});
  }
  for (const auto& c : cases) {
    CAPTURE(c.what);
    auto r = ask(*table, c.query);
    REQUIRE(r.pkt);
    CHECK(r.rcode() == LDNS_RCODE_FORMERR);
    CHECK(r.wire.size() == 12);
    CHECK(r.wire[0] == c.query[0]);
    CHECK(r.wire[1] == c.query[1]);
    CHECK(ldns_pkt_qr(r.pkt.get()));
    for (std::size_t i = 0; i < 4; ++i) CHECK(r.header_count(i) == 0);
  }
}

TEST_CASE("records before the additional section are skipped to find the OPT") {
  auto table = compile(fixture());
  Query q;
  Bytes b = q.bytes();
  b[7] = 1;   // ANCOUNT 1: a record with a compressed owner
  b[11] = 1;  // ARCOUNT 1: the OPT
  b.insert(b.end(), {0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4});
  b.insert(b.end(), {0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0});
  auto r = ask(*table, b);
  REQUIRE(r.pkt);
  CHECK(r.rcode() == LDNS_RCODE_NOERROR);
  CHECK(ldns_pkt_edns(r.pkt.get()));
  CHECK(r.answer().size() == 1);
}

TEST_CASE("classes other than IN and ANY, and zone transfers, are refused") {
  auto table = compile(fixture());
  Query q;
  q.qclass = LDNS_RR_CLASS_CH;
  auto r = ask(*table, q);
  CHECK(r.rcode() == LDNS_RCODE_REFUSED);
  CHECK_FALSE(r.aa());
  q.qclass = LDNS_RR_CLASS_ANY;
  r = ask(*table, q);
  CHECK(r.rcode() == LDNS_RCODE_NOERROR);
  CHECK(r.answer().size() == 1);
  q.qclass = LDNS_RR_CLASS_IN;
  for (std::uint16_t t : {LDNS_RR_TYPE_AXFR, LDNS_RR_TYPE_IXFR}) {
    q.name = "consul";
    q.qtype = t;
    for (auto transport : {Transport::udp, Transport::tcp}) {
      r = ask(*table, q, transport);
      CHECK(r.rcode() == LDNS_RCODE_REFUSED);
      CHECK(ldns_pkt_qdcount(r.pkt.get()) == 1);
    }
  }
}

TEST_CASE("EDNS: our OPT in every answer, version 0, no DO, our payload size") {
  auto c = fixture();
  c.dns.edns_buffer_size = 1400;
  auto table = compile(c);
  for (const char* name : {"mysql.service.consul", "nothing.service.consul", "service.consul", "0a000001.addr.consul",
                           "example.com"}) {
    CAPTURE(name);
    Query q;
    q.name = name;
    q.edns_payload = 4096;
    q.edns_do = true;
    auto r = ask(*table, q);
    REQUIRE(r.pkt);
    CHECK(ldns_pkt_edns(r.pkt.get()));
    CHECK(ldns_pkt_edns_udp_size(r.pkt.get()) == 1400);
    CHECK(ldns_pkt_edns_version(r.pkt.get()) == 0);
    CHECK_FALSE(ldns_pkt_edns_do(r.pkt.get()));
    CHECK(ldns_pkt_edns_extended_rcode(r.pkt.get()) == 0);
    // The OPT is the last 11 bytes, with no options.
    const Bytes expected_opt = {0, 0, 41, 0x05, 0x78, 0, 0, 0, 0, 0, 0};
    CHECK(Bytes(r.wire.end() - 11, r.wire.end()) == expected_opt);

    q.edns_payload.reset();
    r = ask(*table, q);
    CHECK_FALSE(ldns_pkt_edns(r.pkt.get()));
  }
}

TEST_CASE("EDNS version above 0 gets BADVERS") {
  auto table = compile(fixture());
  Query q;
  q.edns_payload = 1232;
  q.edns_version = 1;
  auto r = ask(*table, q);
  REQUIRE(r.pkt);
  CHECK((r.wire[3] & 0x0F) == 0);  // header rcode 0 ...
  CHECK(ldns_pkt_edns_extended_rcode(r.pkt.get()) == 1);  // ... extended 1: 16 = BADVERS
  CHECK(ldns_pkt_edns_version(r.pkt.get()) == 0);
  CHECK(r.answer().empty());
  CHECK(ldns_pkt_qdcount(r.pkt.get()) == 1);
}

TEST_CASE("unknown EDNS options are ignored") {
  auto table = compile(fixture());
  Query q;
  q.edns_payload = 1232;
  Bytes b = q.bytes();
  // Replace the OPT's empty rdata with a cookie-like option (code 10, 8 bytes)
  // and an unassigned one (code 65001, 2 bytes).
  b.resize(b.size() - 2);
  b.insert(b.end(), {0, 16, 0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0xFD, 0xE9, 0, 2, 9, 9});
  auto r = ask(*table, b);
  REQUIRE(r.pkt);
  CHECK(r.rcode() == LDNS_RCODE_NOERROR);
  CHECK(r.answer().size() == 1);
  CHECK(ldns_pkt_edns(r.pkt.get()));
}
