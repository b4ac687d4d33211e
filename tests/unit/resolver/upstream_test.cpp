#include "failoverdns/support/asio.hpp"  // first: Boost 1.74 (see there)

#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>

#include "fake_upstream.hpp"
#include "messages.hpp"
#include "resolver/upstream.hpp"

using namespace failoverdns;
using namespace failoverdns::resolver;
using namespace failoverdns::test;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

QuestionKey www_key() {
  const Message query(1, 0x01, 0, "www.example.org", 1);
  return QuestionKey::of(query.bytes, forwarded(query.bytes, 1));
}

Exchange run_udp(std::uint16_t port, std::chrono::milliseconds timeout, DropCounts& drops, std::uint16_t id = 0x1234) {
  asio::io_context io;
  Exchange result;
  const QuestionKey key = www_key();
  asio::co_spawn(
      io,
      ask_udp({asio::ip::make_address("127.0.0.1"), port}, make_query(key, id, 1232), key,
              std::chrono::steady_clock::now() + timeout, drops),
      [&](std::exception_ptr e, Exchange x) {
        REQUIRE_FALSE(e);
        result = std::move(x);
      });
  io.run();
  return result;
}

}  // namespace

TEST_CASE("the query: our ID, RD, one question, our OPT with DO as the key says") {
  auto key = www_key();
  key.flags = 3;  // DO, CD
  const auto q = make_query(key, 0xABCD, 1232);
  CHECK(wire::read16(q.data()) == 0xABCD);
  CHECK(q[2] == 0x01);
  CHECK(q[3] == 0x10);
  CHECK(wire::read16(q.data() + 4) == 1);
  CHECK(wire::read16(q.data() + 10) == 1);
  CHECK(answers_query(reply_to(q, 80), 0xABCD, key));
  CHECK_FALSE(answers_query(reply_to(q, 80), 0xABCE, key));
  CHECK_FALSE(answers_query(q, 0xABCD, key));  // not a response
}

TEST_CASE("spoofs are dropped and counted: another ID, another question, another port; the real answer wins") {
  FakeUpstream upstream([](int fd, const sockaddr_in& from, const std::vector<std::uint8_t>& query) {
    auto wrong_id = reply_to(query, 66);
    wrong_id[1] ^= 1;
    send_to(fd, from, wrong_id);
    const Message other(wire::read16(query.data()), 0x01, 0, "evil.example.org", 1);
    send_to(fd, from, reply_to(other.bytes, 66));
    // The right ID and question, from another port of the same address.
    const int elsewhere = ::socket(AF_INET, SOCK_DGRAM, 0);
    send_to(elsewhere, from, reply_to(query, 66));
    ::close(elsewhere);
    send_to(fd, from, reply_to(query, 80));
  });
  DropCounts drops;
  const Exchange x = run_udp(upstream.port, 2s, drops);
  REQUIRE(x.outcome == Exchange::Outcome::answered);
  CHECK(x.reply.back() == 80);
  CHECK(drops.wrong_question == 2);
  CHECK(drops.wrong_source == 1);
}

TEST_CASE("silence ends at the deadline; a closed port at once (ICMP)") {
  FakeUpstream silent([](int, const sockaddr_in&, const std::vector<std::uint8_t>&) {});
  DropCounts drops;
  const auto started = std::chrono::steady_clock::now();
  const Exchange x = run_udp(silent.port, 300ms, drops);
  CHECK(x.outcome == Exchange::Outcome::failed);
  CHECK(x.problem == "no answer in time");
  CHECK(std::chrono::steady_clock::now() - started >= 300ms);

  // A port nobody listens on: the bound socket of a finished upstream.
  std::uint16_t closed = 0;
  { FakeUpstream gone([](int, const sockaddr_in&, const std::vector<std::uint8_t>&) {}); closed = gone.port; }
  const Exchange refused = run_udp(closed, 5s, drops);
  CHECK(refused.outcome == Exchange::Outcome::failed);
  CHECK(refused.problem == "nothing listens there (ICMP port unreachable)");
}

TEST_CASE("a truncated UDP answer says so (the forwarder then asks over TCP)") {
  FakeUpstream upstream([](int fd, const sockaddr_in& from, const std::vector<std::uint8_t>& query) {
    auto r = reply_to(query, 80);
    r[2] = static_cast<std::uint8_t>(r[2] | 0x02);
    send_to(fd, from, r);
  });
  DropCounts drops;
  CHECK(run_udp(upstream.port, 2s, drops).outcome == Exchange::Outcome::truncated);
}

TEST_CASE("IDs come from the kernel's random pool: no repeats in a short run") {
  RandomIds ids;
  std::vector<std::uint16_t> seen;
  for (int i = 0; i < 300; ++i) seen.push_back(ids.next());
  std::sort(seen.begin(), seen.end());
  // 300 draws from 65536: a repeat is possible (birthday: ~50%) but not 5.
  const auto repeats = seen.size() - static_cast<std::size_t>(std::unique(seen.begin(), seen.end()) - seen.begin());
  CHECK(repeats < 5);
  for (int i = 0; i < 100; ++i) CHECK(ids.below(3) < 3);
}
