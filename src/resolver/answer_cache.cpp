#include "answer_cache.hpp"

#include <algorithm>

namespace failoverdns::resolver {

namespace {
std::size_t sets_for(std::size_t capacity) { return capacity == 0 ? 0 : std::max<std::size_t>(1, capacity / AnswerCache::ways); }
}  // namespace

AnswerCache::AnswerCache(std::size_t capacity) : slots_(sets_for(capacity) * ways), hands_(sets_for(capacity)) {}

std::size_t AnswerCache::set_of(std::uint64_t hash) const noexcept {
  // Multiply-high maps the hash's top half onto any number of sets (fewer
  // than 2^32) without a division.
  return static_cast<std::size_t>(((hash >> 32) * hands_.size()) >> 32);
}

const std::shared_ptr<const CachedAnswer>* AnswerCache::find(std::uint64_t hash, const std::uint8_t* query_name, std::uint16_t qtype,
                                      std::uint16_t qclass, std::uint8_t flags, std::int64_t now_ms) noexcept {
  if (slots_.empty()) return nullptr;
  Slot* set = slots_.data() + set_of(hash) * ways;
  for (std::size_t i = 0; i < ways; ++i) {
    Slot& s = set[i];
    if (s.hash != hash || !s.answer) continue;
    const CachedAnswer& a = *s.answer;
    if (!a.answers(query_name, qtype, qclass, flags)) continue;
    if (!a.fresh(now_ms)) return nullptr;
    s.referenced = true;
    return &s.answer;
  }
  return nullptr;
}

void AnswerCache::insert(std::shared_ptr<const CachedAnswer> answer, std::int64_t now_ms) {
  if (slots_.empty() || answer->lifetime == 0) return;
  const std::size_t set_index = set_of(answer->hash);
  Slot* set = slots_.data() + set_index * ways;
  Slot* victim = nullptr;
  for (std::size_t i = 0; i < ways && !victim; ++i) {
    Slot& s = set[i];
    if (!s.answer || !s.answer->fresh(now_ms) || (s.hash == answer->hash && s.answer->key == answer->key))
      victim = &s;
  }
  // Every slot holds a live answer: the hand gives each referenced one a
  // second chance (clearing its bit) and takes the first that has none.
  std::uint8_t& hand = hands_[set_index];
  while (!victim) {
    Slot& s = set[hand];
    hand = static_cast<std::uint8_t>((hand + 1) % ways);
    if (s.referenced) s.referenced = false;
    else victim = &s;
  }
  victim->hash = answer->hash;
  victim->answer = std::move(answer);
  victim->referenced = false;
}

void AnswerCache::clear() {
  for (auto& s : slots_) s = Slot{};
}

std::size_t AnswerCache::size() const noexcept {
  std::size_t n = 0;
  for (const auto& s : slots_) n += s.answer ? 1 : 0;
  return n;
}

}  // namespace failoverdns::resolver
