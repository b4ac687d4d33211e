// A bounded cache of forwarded answers owned by one thread (each DNS
// worker has one, the forwarder another): no lock, and a hit allocates
// nothing and touches no reference count. Set-associative: a key's hash
// picks a set of `ways` slots; within a set, CLOCK (second chance) picks
// the victim, so a name asked again since the hand last passed stays.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "cached_answer.hpp"

namespace failoverdns::resolver {

class AnswerCache {
 public:
  static constexpr std::size_t ways = 8;

  // Room for `capacity` answers (rounded down to whole sets, at least one
  // set); 0 = caches nothing.
  explicit AnswerCache(std::size_t capacity);

  // The fresh answer to the query's question, or nullptr. `hash` is
  // key_hash() of it; `query_name` its name as sent (any case). The
  // pointer stays valid until the next insert or clear.
  const std::shared_ptr<const CachedAnswer>* find(std::uint64_t hash, const std::uint8_t* query_name, std::uint16_t qtype,
                           std::uint16_t qclass, std::uint8_t flags, std::int64_t now_ms) noexcept;
  // Keeps `answer` (replacing an older one for the same question) unless
  // its lifetime is 0.
  void insert(std::shared_ptr<const CachedAnswer> answer, std::int64_t now_ms);
  void clear();

  std::size_t capacity() const noexcept { return slots_.size(); }
  std::size_t size() const noexcept;

 private:
  struct Slot {
    std::uint64_t hash = 0;
    std::shared_ptr<const CachedAnswer> answer;
    bool referenced = false;
  };
  std::size_t set_of(std::uint64_t hash) const noexcept;

  std::vector<Slot> slots_;
  std::vector<std::uint8_t> hands_;  // per set: the CLOCK hand
};

}  // namespace failoverdns::resolver
