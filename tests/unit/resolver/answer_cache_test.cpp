#include <doctest/doctest.h>

#include "messages.hpp"
#include "resolver/answer_cache.hpp"

using namespace failoverdns;
using namespace failoverdns::resolver;
using failoverdns::test::Message;
using failoverdns::test::forwarded;

namespace {

// An answer for "n<i>.example" A, living `lifetime` s from `now`; `hash`
// forces its set when given.
std::shared_ptr<const CachedAnswer> answer(int i, std::uint32_t lifetime, std::int64_t now, std::uint64_t hash = 0) {
  const Message query(1, 0x01, 0, "n" + std::to_string(i) + ".example", 1);
  Message reply(1, 0x81, 0x80, "n" + std::to_string(i) + ".example", 1);
  reply.a("n" + std::to_string(i) + ".example", lifetime, {1, 2, 3, static_cast<std::uint8_t>(i)});
  auto a = cache_reply(reply.bytes, QuestionKey::of(query.bytes, forwarded(query.bytes, 1)), now);
  REQUIRE(a);
  auto copy = std::make_shared<CachedAnswer>(**a);
  if (hash) copy->hash = hash;
  return copy;
}

const CachedAnswer* find(AnswerCache& cache, const CachedAnswer& like, std::int64_t now) {
  const auto* name = reinterpret_cast<const std::uint8_t*>(like.key.name.data());
  const auto* hit = cache.find(like.hash, name, like.key.qtype, like.key.qclass, like.key.flags, now);
  return hit ? hit->get() : nullptr;
}

}  // namespace

TEST_CASE("a fresh answer is found, under any case, until its lifetime ends") {
  AnswerCache cache(64);
  auto a = answer(1, 10, 1000);
  cache.insert(a, 1000);
  CHECK(find(cache, *a, 1000) == a.get());
  const Message shouting(1, 0x01, 0, "N1.EXAMPLE", 1);
  CHECK(cache.find(a->hash, shouting.bytes.data() + 12, 1, 1, 0, 5000) != nullptr);
  CHECK(cache.find(a->hash, shouting.bytes.data() + 12, 28, 1, 0, 5000) == nullptr);  // another type
  CHECK(find(cache, *a, 1000 + 9999) == a.get());
  CHECK(find(cache, *a, 1000 + 10000) == nullptr);
}

TEST_CASE("lifetime 0 is never kept; a newer answer replaces the old one") {
  AnswerCache cache(64);
  cache.insert(answer(1, 0, 0), 0);
  CHECK(cache.size() == 0);
  auto old_one = answer(2, 10, 0), new_one = answer(2, 20, 5000);
  cache.insert(old_one, 0);
  cache.insert(new_one, 5000);
  CHECK(cache.size() == 1);
  CHECK(find(cache, *new_one, 5000) == new_one.get());
}

TEST_CASE("a full set evicts the answers not asked for since the hand passed (CLOCK)") {
  AnswerCache cache(AnswerCache::ways);  // one set: every answer competes
  std::vector<std::shared_ptr<const CachedAnswer>> first;
  for (int i = 0; i < 8; ++i) {
    first.push_back(answer(i, 100, 0, 1000 + static_cast<std::uint64_t>(i)));
    cache.insert(first.back(), 0);
  }
  for (int i = 0; i < 4; ++i) CHECK(find(cache, *first[static_cast<std::size_t>(i)], 0) != nullptr);  // hot
  for (int i = 8; i < 12; ++i) cache.insert(answer(i, 100, 0, 1000 + static_cast<std::uint64_t>(i)), 0);
  CHECK(cache.size() == 8);
  for (int i = 0; i < 4; ++i) CHECK(find(cache, *first[static_cast<std::size_t>(i)], 0) != nullptr);
  for (int i = 4; i < 8; ++i) CHECK(find(cache, *first[static_cast<std::size_t>(i)], 0) == nullptr);
}

TEST_CASE("an expired answer makes room before a live one is evicted") {
  AnswerCache cache(AnswerCache::ways);
  for (int i = 0; i < 7; ++i) cache.insert(answer(i, 100, 0, 7), 0);
  auto short_lived = answer(7, 1, 0, 7);
  cache.insert(short_lived, 0);
  cache.insert(answer(8, 100, 2000, 7), 2000);
  for (int i = 0; i < 7; ++i) CHECK(find(cache, *answer(i, 100, 0, 7), 2000) != nullptr);
}

TEST_CASE("capacity: whole sets, at least one; 0 caches nothing") {
  CHECK(AnswerCache(0).capacity() == 0);
  CHECK(AnswerCache(3).capacity() == AnswerCache::ways);
  CHECK(AnswerCache(100).capacity() == 96);
  AnswerCache none(0);
  auto a = answer(1, 10, 0);
  none.insert(a, 0);
  CHECK(find(none, *a, 0) == nullptr);
}
