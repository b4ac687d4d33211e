#include <doctest/doctest.h>

#include <condition_variable>
#include <mutex>

#include "fake_upstream.hpp"
#include "messages.hpp"
#include "resolver/forwarder.hpp"

using namespace failoverdns;
using namespace failoverdns::resolver;
using namespace failoverdns::test;
using namespace std::chrono_literals;

namespace {

QuestionKey key_of(const std::string& name) {
  const Message query(1, 0x01, 0, name, 1);
  return QuestionKey::of(query.bytes, forwarded(query.bytes, 1));
}

ResolverSettings settings_for(std::initializer_list<std::uint16_t> ports) {
  ResolverSettings s;
  for (auto p : ports) s.recursors.push_back({"127.0.0.1", p});
  s.timeout = 1s;
  return s;
}

// Completions arrive on the forwarder's thread: collect them here.
struct Answers {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::shared_ptr<const CachedAnswer>> got;

  Forwarder::Completion completion() {
    return [this](std::shared_ptr<const CachedAnswer> a) {
      std::lock_guard lock(mutex);
      got.push_back(std::move(a));
      changed.notify_all();
    };
  }
  bool wait_for(std::size_t n) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, 5s, [&] { return got.size() >= n; });
  }
};

std::uint8_t last_octet(const CachedAnswer& a) { return a.wire.back(); }

}  // namespace

TEST_CASE("identical questions in flight share one upstream query; the answer is then cached") {
  FakeUpstream upstream([](int fd, const sockaddr_in& from, const std::vector<std::uint8_t>& query) {
    std::this_thread::sleep_for(200ms);  // long enough for the others to join
    send_to(fd, from, reply_to(query, 80));
  });
  Forwarder forwarder(settings_for({upstream.port}), 1232);
  forwarder.start();
  Answers answers;
  for (int i = 0; i < 5; ++i) forwarder.submit(key_of("www.example.org"), false, answers.completion());
  REQUIRE(answers.wait_for(5));
  CHECK(upstream.queries == 1);
  for (const auto& a : answers.got) CHECK(last_octet(*a) == 80);
  forwarder.submit(key_of("WWW.example.org"), false, answers.completion());
  REQUIRE(answers.wait_for(6));
  CHECK(upstream.queries == 1);
  forwarder.stop();
  CHECK(forwarder.counts().coalesced == 4);
  CHECK(forwarder.counts().cache_hits == 1);
}

TEST_CASE("beyond max_outstanding, a new question gets SERVFAIL at once") {
  FakeUpstream slow([](int fd, const sockaddr_in& from, const std::vector<std::uint8_t>& query) {
    std::this_thread::sleep_for(300ms);
    send_to(fd, from, reply_to(query, 80));
  });
  auto settings = settings_for({slow.port});
  settings.max_outstanding = 1;
  Forwarder forwarder(settings, 1232);
  forwarder.start();
  Answers answers;
  forwarder.submit(key_of("one.example.org"), false, answers.completion());
  forwarder.submit(key_of("two.example.org"), false, answers.completion());
  REQUIRE(answers.wait_for(1));
  CHECK(answers.got[0]->rcode() == wire::rcode::servfail);
  CHECK(answers.got[0]->lifetime == 0);  // not remembered: the next ask may succeed
  REQUIRE(answers.wait_for(2));
  CHECK(answers.got[1]->rcode() == 0);
  forwarder.stop();
  CHECK(forwarder.counts().overloaded == 1);
}

TEST_CASE("sequential: SERVFAIL, REFUSED and silence move on to the next recursor; all failing is SERVFAIL") {
  FakeUpstream servfail([](int fd, const sockaddr_in& from, const std::vector<std::uint8_t>& query) {
    send_to(fd, from, reply_to(query, 0, wire::rcode::servfail));
  });
  FakeUpstream refused([](int fd, const sockaddr_in& from, const std::vector<std::uint8_t>& query) {
    send_to(fd, from, reply_to(query, 0, wire::rcode::refused));
  });
  FakeUpstream silent([](int, const sockaddr_in&, const std::vector<std::uint8_t>&) {});
  FakeUpstream good([](int fd, const sockaddr_in& from, const std::vector<std::uint8_t>& query) {
    send_to(fd, from, reply_to(query, 81));
  });
  auto settings = settings_for({servfail.port, refused.port, silent.port, good.port});
  settings.timeout = 200ms;
  Forwarder forwarder(settings, 1232);
  forwarder.start();
  Answers answers;
  forwarder.submit(key_of("a.example.org"), false, answers.completion());
  REQUIRE(answers.wait_for(1));
  CHECK(answers.got[0]->rcode() == 0);
  CHECK(last_octet(*answers.got[0]) == 81);
  CHECK(servfail.queries == 1);
  CHECK(refused.queries == 1);
  CHECK(silent.queries == 1);

  forwarder.reconfigure(settings_for({servfail.port, refused.port}));
  forwarder.submit(key_of("b.example.org"), false, answers.completion());
  REQUIRE(answers.wait_for(2));
  CHECK(answers.got[1]->rcode() == wire::rcode::servfail);
  CHECK(answers.got[1]->lifetime == failure_ttl);
  forwarder.stop();
  CHECK(forwarder.counts().failed == 1);
}

TEST_CASE("random: every recursor takes a share") {
  FakeUpstream one([](int fd, const sockaddr_in& from, const std::vector<std::uint8_t>& query) {
    send_to(fd, from, reply_to(query, 1));
  });
  FakeUpstream two([](int fd, const sockaddr_in& from, const std::vector<std::uint8_t>& query) {
    send_to(fd, from, reply_to(query, 2));
  });
  auto settings = settings_for({one.port, two.port});
  settings.strategy = ResolverSettings::Strategy::random;
  Forwarder forwarder(settings, 1232);
  forwarder.start();
  Answers answers;
  for (int i = 0; i < 40; ++i) forwarder.submit(key_of("n" + std::to_string(i) + ".example.org"), false, answers.completion());
  REQUIRE(answers.wait_for(40));
  forwarder.stop();
  // Each recursor first for about half: both at least 5 of 40 (a miss has
  // odds below 1 in 10^6).
  CHECK(one.queries >= 5);
  CHECK(two.queries >= 5);
  CHECK(one.queries + two.queries == 40);
}

TEST_CASE("spoofed answers are counted by the forwarder and never reach the askers") {
  FakeUpstream upstream([](int fd, const sockaddr_in& from, const std::vector<std::uint8_t>& query) {
    auto spoof = reply_to(query, 66);
    spoof[0] ^= 0x5A;  // a guessed ID
    send_to(fd, from, spoof);
    send_to(fd, from, reply_to(query, 80));
  });
  Forwarder forwarder(settings_for({upstream.port}), 1232);
  forwarder.start();
  Answers answers;
  forwarder.submit(key_of("www.example.org"), false, answers.completion());
  REQUIRE(answers.wait_for(1));
  CHECK(last_octet(*answers.got[0]) == 80);
  forwarder.stop();
  CHECK(forwarder.counts().dropped.wrong_question == 1);
  CHECK(forwarder.counts().dropped.wrong_source == 0);
}
