// DNS over TCP (RFC 7766) on one acceptor: one coroutine per connection,
// queries answered in order as they arrive (pipelining), a deadline for
// each whole query, and a cap on concurrent connections. A client that
// sends a length too short for a header, or a message we would drop, is
// disconnected; others are not affected. Everything runs on the acceptor's
// io_context, one thread. A forwarded query that misses the cache holds
// its connection's later answers back until the forwarder answers (in
// order, as RFC 7766 allows; other connections go on).
#pragma once

#include "failoverdns/support/asio.hpp"  // first: Boost 1.74 (see there)

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "failoverdns/dns/answer_publisher.hpp"
#include "dns_counters.hpp"
#include "failoverdns/resolver/resolver.hpp"

namespace failoverdns::net {

struct TcpLimits {
  // How long a client has to send its next whole query (counted from accept
  // or from our last answer, not from its last byte), or to take our
  // answer, before we close the connection.
  std::chrono::milliseconds idle_timeout{10000};
  int max_connections = 1024;
  // So that one address (a slowloris, a runaway client) cannot take every
  // slot: its connections beyond this are closed at once.
  int max_connections_per_client = 256;
};

class TcpListener {
 public:
  // `resolver` may be null (no forwarding: outside names get REFUSED).
  // `counters`: the TCP thread's, outliving the listener.
  TcpListener(boost::asio::ip::tcp::acceptor acceptor, const AnswerPublisher& answers, TcpLimits limits,
              Resolver* resolver, DnsCounters& counters);
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  void start();

  struct Connection;

 private:
  // Refusals come in floods, when a line each would hurt most: the first is
  // logged, then at most one line per interval, counting those in between.
  struct RefusalLog {
    std::chrono::steady_clock::time_point quiet_until{};
    std::uint64_t unlogged = 0;
  };

  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(std::shared_ptr<Connection> connection);
  // Answers a query left to the resolver into the connection's response
  // buffer (after the length prefix), counted; its length, 0 if none came.
  boost::asio::awaitable<std::size_t> resolve(Connection& connection, std::span<const std::uint8_t> query,
                                              const QueryOutcome& outcome);
  void refused(RefusalLog& log, const boost::asio::ip::tcp::endpoint& peer, const char* reason, int limit,
               const char* hint);

  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_;
  const AnswerPublisher& answers_;
  TcpLimits limits_;
  // Only touched on this listener's io_context thread, at accept and close.
  int connections_ = 0;
  // One entry per address with a connection open: at most max_connections.
  std::map<boost::asio::ip::address, int> connections_per_client_;
  RefusalLog over_limit_, over_client_limit_;
  // Which rotation the next answer gets, shared by every connection (one
  // query per connection is the common case): this io_context's thread only.
  std::uint32_t rotation_ = 0;
  std::unique_ptr<Resolver::Session> resolver_;
  DnsCounters& counters_;
};

}  // namespace failoverdns::net
