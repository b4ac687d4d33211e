#include <doctest/doctest.h>

#include "messages.hpp"
#include "resolver/cached_answer.hpp"

using namespace failoverdns;
using namespace failoverdns::resolver;
using failoverdns::test::forwarded;
using failoverdns::test::Message;

namespace {

QuestionKey key_for(const std::vector<std::uint8_t>& query, std::uint16_t qtype) {
  return QuestionKey::of(query, forwarded(query, qtype));
}

std::uint32_t ttl_at(const std::vector<std::uint8_t>& m, std::size_t offset) { return wire::read32(m.data() + offset); }

}  // namespace

TEST_CASE("a positive reply: OPT dropped, ID cleared, question lower-cased, lifetime the smallest TTL") {
  const Message query(7, 0x01, 0, "www.example.org", 1);
  Message reply(0x4242, 0x81, 0x80, "WWW.example.ORG", 1);
  reply.a("www.example.org", 300, {192, 0, 2, 80}).a("www.example.org", 200, {192, 0, 2, 81}).opt(1232, false);
  auto cached = cache_reply(reply.bytes, key_for(query.bytes, 1), 1000);
  REQUIRE(cached);
  const CachedAnswer& a = **cached;
  CHECK(a.lifetime == 200);
  CHECK(a.rcode() == 0);
  CHECK(wire::read16(a.wire.data()) == 0);
  CHECK(wire::read16(a.wire.data() + 10) == 0);  // the OPT is gone
  CHECK(a.wire.size() == reply.bytes.size() - 11);
  CHECK(a.wire[13] == 'w');
  CHECK(a.wire[17] == 'e');
  REQUIRE(a.ttl_offsets.size() == 2);
  CHECK(ttl_at(a.wire, a.ttl_offsets[0]) == 300);
  CHECK(a.hash == a.key.hash());
}

TEST_CASE("TTLs are capped at a day; a TTL with the top bit set counts as 0 (not cached)") {
  const Message query(7, 0x01, 0, "x.example", 1);
  Message big(1, 0x81, 0x80, "x.example", 1);
  big.a("x.example", 999999, {1, 2, 3, 4});
  auto capped = cache_reply(big.bytes, key_for(query.bytes, 1), 0);
  REQUIRE(capped);
  CHECK((*capped)->lifetime == max_ttl);
  CHECK(ttl_at((*capped)->wire, (*capped)->ttl_offsets[0]) == max_ttl);
  Message negative_ttl(1, 0x81, 0x80, "x.example", 1);
  negative_ttl.a("x.example", 0x80000001, {1, 2, 3, 4});
  auto zero = cache_reply(negative_ttl.bytes, key_for(query.bytes, 1), 0);
  REQUIRE(zero);
  CHECK((*zero)->lifetime == 0);
}

TEST_CASE("negative answers are kept for min(SOA TTL, SOA MINIMUM), and the SOA says so (RFC 2308)") {
  const Message query(7, 0x01, 0, "nope.example.org", 1);
  Message nx(1, 0x81, 0x83, "nope.example.org", 1);
  nx.soa("example.org", 300, 60);
  auto cached = cache_reply(nx.bytes, key_for(query.bytes, 1), 0);
  REQUIRE(cached);
  CHECK((*cached)->rcode() == wire::rcode::nxdomain);
  CHECK((*cached)->lifetime == 60);
  CHECK(ttl_at((*cached)->wire, (*cached)->ttl_offsets[0]) == 60);

  Message nodata(1, 0x81, 0x80, "nope.example.org", 1);
  nodata.soa("example.org", 30, 600);
  CHECK((*cache_reply(nodata.bytes, key_for(query.bytes, 1), 0))->lifetime == 30);

  Message huge(1, 0x81, 0x83, "nope.example.org", 1);
  huge.soa("example.org", 86400, 86400);
  CHECK((*cache_reply(huge.bytes, key_for(query.bytes, 1), 0))->lifetime == max_negative_ttl);

  Message no_soa(1, 0x81, 0x83, "nope.example.org", 1);
  CHECK((*cache_reply(no_soa.bytes, key_for(query.bytes, 1), 0))->lifetime == 0);
}

TEST_CASE("replies we cannot walk are errors, so the next recursor is asked") {
  const Message query(7, 0x01, 0, "x.example", 1);
  Message cut(1, 0x81, 0x80, "x.example", 1);
  cut.a("x.example", 60, {1, 2, 3, 4});
  auto bytes = cut.bytes;
  bytes.resize(bytes.size() - 2);
  CHECK_FALSE(cache_reply(bytes, key_for(query.bytes, 1), 0));
  Message opt_first(1, 0x81, 0x80, "x.example", 1);
  opt_first.opt(1232, false).a("x.example", 60, {1, 2, 3, 4}, 2);
  auto r = cache_reply(opt_first.bytes, key_for(query.bytes, 1), 0);
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "the OPT record is not the last record");
}

TEST_CASE("relay: the client's ID and case, RD and CD, RA, TTLs counted down, our OPT with its DO") {
  Message query(0xBEEF, 0x01, 0x10, "WwW.Example.Org", 1);
  query.opt(4096, true);
  Message reply(1, 0x81, 0x80, "www.example.org", 1);
  reply.a("www.example.org", 300, {192, 0, 2, 80});
  const auto q = forwarded(query.bytes, 1, true, 1232, true);
  auto cached = cache_reply(reply.bytes, QuestionKey::of(query.bytes, q), 10'000);
  REQUIRE(cached);
  std::vector<std::uint8_t> out(4096);
  const std::size_t n = relay(**cached, query.bytes, q, Transport::udp, 1232, 10'000 + 61'500, out);
  REQUIRE(n == (*cached)->wire.size() + 11);
  CHECK(wire::read16(out.data()) == 0xBEEF);
  CHECK(out[2] == 0x81);         // QR, RD; no AA, no TC
  CHECK(out[3] == (0x80 | 0x10));  // RA, CD echoed, NOERROR
  CHECK(std::equal(out.begin() + 12, out.begin() + 12 + q.name_length, query.bytes.begin() + 12));
  CHECK(ttl_at(out, (*cached)->ttl_offsets[0]) == 300 - 61);
  CHECK(wire::read16(out.data() + 10) == 1);
  const std::uint8_t* opt = out.data() + n - 11;
  CHECK(wire::read16(opt + 1) == wire::type_opt);
  CHECK(wire::read16(opt + 3) == 1232);
  CHECK(opt[7] == 0x80);  // DO echoed
}

TEST_CASE("relay: an answer too big for the client's UDP limit is header and question with TC") {
  const Message query(5, 0x01, 0, "txt.example", 16);
  Message reply(1, 0x81, 0x80, "txt.example", 16);
  for (int i = 0; i < 10; ++i) reply.record(0, "txt.example", 16, 60, std::vector<std::uint8_t>(61, 'x'));
  const auto q = forwarded(query.bytes, 16);
  auto cached = cache_reply(reply.bytes, QuestionKey::of(query.bytes, q), 0);
  REQUIRE(cached);
  std::vector<std::uint8_t> out(65535);
  const std::size_t udp = relay(**cached, query.bytes, q, Transport::udp, 1232, 0, out);
  CHECK(udp == query.bytes.size());
  CHECK((out[2] & 0x02) != 0);  // TC
  CHECK(wire::read16(out.data() + 6) == 0);
  const std::size_t tcp = relay(**cached, query.bytes, q, Transport::tcp, 1232, 0, out);
  CHECK(tcp == (*cached)->wire.size());
  CHECK((out[2] & 0x02) == 0);
  CHECK(wire::read16(out.data() + 6) == 10);
}

TEST_CASE("AD goes only to a client that asked with DO or AD (RFC 6840 5.7)") {
  const Message plain(5, 0x01, 0, "x.example", 1);
  Message reply(1, 0x81, 0xA0, "x.example", 1);
  reply.a("x.example", 60, {1, 2, 3, 4});
  const auto q = forwarded(plain.bytes, 1);
  auto cached = cache_reply(reply.bytes, QuestionKey::of(plain.bytes, q), 0);
  REQUIRE(cached);
  std::vector<std::uint8_t> out(512);
  relay(**cached, plain.bytes, q, Transport::udp, 1232, 0, out);
  CHECK((out[3] & 0x20) == 0);
  const Message asks_ad(5, 0x01, 0x20, "x.example", 1);
  relay(**cached, asks_ad.bytes, q, Transport::udp, 1232, 0, out);
  CHECK((out[3] & 0x20) != 0);
}

TEST_CASE("the key: DO and CD make different questions; case does not") {
  const Message lower(1, 0x01, 0, "a.example", 1);
  const Message upper(1, 0x01, 0, "A.EXAMPLE", 1);
  CHECK(key_for(lower.bytes, 1) == key_for(upper.bytes, 1));
  CHECK(key_for(lower.bytes, 1).hash() == key_for(upper.bytes, 1).hash());
  const auto with_do = QuestionKey::of(lower.bytes, forwarded(lower.bytes, 1, true, 1232, true));
  CHECK_FALSE(with_do == key_for(lower.bytes, 1));
  CHECK(with_do.hash() != key_for(lower.bytes, 1).hash());
  // The hot path's hash (answer_query's) and the key's agree.
  const auto q = forwarded(upper.bytes, 1);
  CHECK(key_hash(q.name_hash, 1, 1, 0) == key_for(upper.bytes, 1).hash());
}
