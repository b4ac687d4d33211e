// Hostile input: random and mutated packets never crash answer_query, and
// whatever it replies is a well-formed DNS message within the size limit.
#include <doctest/doctest.h>

#include <random>

#include "dns_test_support.hpp"

using namespace dnstest;

TEST_CASE("random and mutated packets: no crash, every reply parses and fits") {
  auto c = fixture();
  auto compressed = compile(c);
  c.dns.disable_compression = true;
  auto plain = compile(c);

  std::vector<Bytes> seeds;
  for (const char* name : {"mysql.service.consul", "_web._tcp.service.dc1.consul", "0a000001.addr.consul", "consul",
                           "nothing.service.example.org", "example.com", "WeB.sErViCe.CoNsUl"}) {
    for (std::uint16_t qtype : {LDNS_RR_TYPE_A, LDNS_RR_TYPE_SRV, LDNS_RR_TYPE_ANY, LDNS_RR_TYPE_NS}) {
      Query q;
      q.name = name;
      q.qtype = qtype;
      seeds.push_back(q.bytes());
      q.edns_payload = 1232;
      seeds.push_back(q.bytes());
    }
  }

  std::mt19937 rng(20240615);
  auto byte = [&] { return static_cast<std::uint8_t>(rng()); };
  Bytes response(max_response_size);
  std::size_t replies = 0;
  for (int i = 0; i < 20000; ++i) {
    Bytes packet;
    if (i % 4 == 0) {
      packet.resize(rng() % 64);
      for (auto& b : packet) b = byte();
    } else {
      packet = seeds[rng() % seeds.size()];
      int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits; ++e) {
        switch (rng() % 4) {
          case 0: packet[rng() % packet.size()] = byte(); break;
          case 1: packet.resize(rng() % (packet.size() + 1)); break;
          case 2: packet.insert(packet.begin() + static_cast<std::ptrdiff_t>(rng() % (packet.size() + 1)), byte()); break;
          case 3: if (packet.size() > 12) packet[4 + rng() % 8] = byte(); break;
        }
        if (packet.empty()) break;
      }
    }
    const AnswerTable& table = i % 2 ? *compressed : *plain;
    auto transport = i % 3 ? Transport::udp : Transport::tcp;
    auto outcome = answer_query(table, packet, response, transport, static_cast<std::uint32_t>(rng()));
    if (outcome.action != QueryOutcome::Action::reply) continue;
    ++replies;
    CAPTURE(i);
    REQUIRE(outcome.length >= 12);
    REQUIRE(outcome.length <= (transport == Transport::tcp ? max_response_size : 1232));
    ldns_pkt* p = nullptr;
    REQUIRE(ldns_wire2pkt(&p, response.data(), outcome.length) == LDNS_STATUS_OK);
    CHECK(ldns_pkt_id(p) == ((packet[0] << 8) | packet[1]));
    CHECK(ldns_pkt_qr(p));
    ldns_pkt_free(p);
  }
  CHECK(replies > 5000);
}
