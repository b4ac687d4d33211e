// DNS over TCP (RFC 7766) on one acceptor: one coroutine per connection,
// queries answered in order as they arrive (pipelining), a deadline for
// each whole query, and a cap on concurrent connections. A client that
// sends a length too short for a header, or a message we would drop, is
// disconnected; others are not affected. Everything runs on the acceptor's
// io_context, one thread.
#pragma once

#include <utility>  // before boost/asio/awaitable.hpp on Boost 1.74

#include <chrono>
#include <memory>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "failoverdns/answer_publisher.hpp"

namespace failoverdns::net {

struct TcpLimits {
  // How long a client has to send its next whole query (counted from accept
  // or from our last answer, not from its last byte), or to take our
  // answer, before we close the connection.
  std::chrono::milliseconds idle_timeout{10000};
  int max_connections = 1024;
};

class TcpListener {
 public:
  TcpListener(boost::asio::ip::tcp::acceptor acceptor, const AnswerPublisher& answers, TcpLimits limits);
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  void start();

  struct Connection;

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(std::shared_ptr<Connection> connection);

  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_;
  const AnswerPublisher& answers_;
  TcpLimits limits_;
  int connections_ = 0;  // only touched on this listener's io_context thread
};

}  // namespace failoverdns::net
