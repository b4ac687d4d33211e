// The forwarder thread: asks the recursors the questions no DNS worker's
// cache could answer. Identical questions in flight share one upstream
// query (coalescing); at most max_outstanding questions are in flight, the
// rest get SERVFAIL at once (counted, logged). It keeps its own cache too,
// so a worker that misses what another already fetched does not make the
// recursors ask twice. Answers go to each asker's completion, which runs
// on this thread and must hand over to its own (asio::post).
#pragma once

#include "failoverdns/support/asio.hpp"  // first: Boost 1.74 (see there)

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "answer_cache.hpp"
#include "failoverdns/config/config.hpp"
#include "upstream.hpp"

namespace failoverdns::resolver {

class Forwarder {
 public:
  using Completion = std::function<void(std::shared_ptr<const CachedAnswer>)>;

  Forwarder(const ResolverSettings& settings, std::uint16_t payload);
  ~Forwarder();  // stops
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  void start();
  // Joins the thread; completions not yet called are dropped.
  void stop();

  // Any thread. `tcp`: the client asked over TCP, so ask over TCP too.
  void submit(QuestionKey key, bool tcp, Completion done);
  // Any thread: new recursors, order, timeout, cap (the cache is emptied
  // when the recursors change).
  void reconfigure(const ResolverSettings& settings);

  // What happened so far; read on the forwarder thread or after stop().
  struct Counts {
    std::uint64_t upstream_questions = 0;  // questions sent (a coalesced one once)
    std::uint64_t coalesced = 0;           // askers that joined a question in flight
    std::uint64_t cache_hits = 0;          // answered from the forwarder's cache
    std::uint64_t overloaded = 0;          // SERVFAIL at once: max_outstanding reached
    std::uint64_t failed = 0;              // SERVFAIL: every recursor failed
    DropCounts dropped;
  };
  Counts counts() const { return counts_; }

 private:
  struct Pending {
    std::vector<Completion> waiters;
  };
  void handle(QuestionKey key, bool tcp, Completion done);
  boost::asio::awaitable<void> resolve(QuestionKey key, std::string pending_key, bool tcp);
  boost::asio::awaitable<Exchange> ask(std::size_t recursor, const QuestionKey& key, bool tcp);
  void apply(const ResolverSettings& settings);

  boost::asio::io_context io_{1};
  std::thread thread_;
  bool running_ = false;
  std::uint16_t payload_;
  // Forwarder thread only, from here on.
  ResolverSettings settings_;
  std::vector<boost::asio::ip::address> addresses_;  // settings_.recursors, parsed
  AnswerCache cache_;
  std::unordered_map<std::string, Pending> pending_;
  RandomIds random_;
  Counts counts_;
  // Each kind of warning at most every 10 s: they come in floods.
  struct Throttle {
    std::chrono::steady_clock::time_point quiet_until{};
    bool due() {
      const auto now = std::chrono::steady_clock::now();
      if (now < quiet_until) return false;
      quiet_until = now + std::chrono::seconds(10);
      return true;
    }
  };
  Throttle overloaded_log_, failed_log_, dropped_log_;
};

}  // namespace failoverdns::resolver
