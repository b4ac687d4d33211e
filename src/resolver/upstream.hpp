// One question to one recursor, asked the way a resolver that does not
// want to be spoofed asks: a fresh socket on a port the kernel picks at
// random (Linux randomises ephemeral ports) and a random ID per question;
// an answer counts only from the address and port asked, with that ID and
// the same question. Anything else is dropped and counted, and the wait
// goes on until the deadline.
#pragma once

#include "failoverdns/support/asio.hpp"  // first: Boost 1.74 (see there)

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include "cached_answer.hpp"

namespace failoverdns::resolver {

struct Exchange {
  enum class Outcome {
    answered,   // `reply` answers the question (any rcode)
    truncated,  // a UDP answer with TC: ask again over TCP
    failed,     // timeout, refused connection, mismatched TCP answer...
  };
  Outcome outcome = Outcome::failed;
  std::vector<std::uint8_t> reply;
  std::string problem;  // for the log, when failed
};

// Datagrams an exchange ignored, by why (the forwarder's counters).
struct DropCounts {
  std::uint64_t wrong_source = 0;    // not from the address and port asked
  std::uint64_t wrong_question = 0;  // another ID, not a response, or another question
};

// A standard query for `key`: RD, CD and DO as the key says, an OPT
// offering `payload` bytes.
std::vector<std::uint8_t> make_query(const QuestionKey& key, std::uint16_t id, std::uint16_t payload);

// Does `reply` answer the query with `id` for `key`?
bool answers_query(std::span<const std::uint8_t> reply, std::uint16_t id, const QuestionKey& key) noexcept;

boost::asio::awaitable<Exchange> ask_udp(boost::asio::ip::udp::endpoint recursor, std::vector<std::uint8_t> query,
                                         const QuestionKey& key, std::chrono::steady_clock::time_point deadline,
                                         DropCounts& drops);

boost::asio::awaitable<Exchange> ask_tcp(boost::asio::ip::tcp::endpoint recursor, std::vector<std::uint8_t> query,
                                         const QuestionKey& key, std::chrono::steady_clock::time_point deadline,
                                         DropCounts& drops);

// 16 random bits from the kernel's CSPRNG (getrandom), read in batches.
class RandomIds {
 public:
  std::uint16_t next();
  std::uint32_t below(std::uint32_t n);  // uniform enough for shuffling recursors

 private:
  std::uint16_t buffer_[256]{};
  std::size_t used_ = 256;
};

}  // namespace failoverdns::resolver
