// DNS over TCP (RFC 7766) on one acceptor: one coroutine per connection,
// queries answered in order as they arrive (pipelining), an idle timeout,
// and a cap on concurrent connections. A client that sends a length too
// short for a header, or a message we would drop, is disconnected; others
// are not affected.
#pragma once

#include <chrono>

#include <boost/asio/ip/tcp.hpp>

#include "failoverdns/answer_publisher.hpp"

namespace failoverdns::net {

struct TcpLimits {
  std::chrono::milliseconds idle_timeout{10000};
  int max_connections = 1024;
};

class TcpListener {
 public:
  TcpListener(boost::asio::ip::tcp::acceptor acceptor, const AnswerPublisher& answers, TcpLimits limits);
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  void start();

 private:
  void accept();
  void serve(boost::asio::ip::tcp::socket socket);

  boost::asio::ip::tcp::acceptor acceptor_;
  const AnswerPublisher& answers_;
  TcpLimits limits_;
  int connections_ = 0;  // only touched on this listener's io_context thread
};

}  // namespace failoverdns::net
