#include <utility>  // before awaitable.hpp on Boost 1.74

#include "net/tcp_listener.hpp"

#include <array>
#include <cstdint>
#include <exception>
#include <span>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "failoverdns/log_value.hpp"

namespace failoverdns::net {
namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// Everything one connection needs, allocated once when it is accepted, so
// answering its queries allocates nothing more. Shared by the connection's
// two coroutines: the one that serves it and its watchdog.
struct TcpListener::Connection {
  explicit Connection(tcp::socket s) : socket(std::move(s)), watchdog(socket.get_executor()) {
    boost::system::error_code ignored;
    peer = socket.remote_endpoint(ignored);
  }

  void close() {
    boost::system::error_code ignored;
    socket.close(ignored);
    watchdog.cancel();
  }

  tcp::socket socket;
  tcp::endpoint peer;  // kept for the log: a closed socket no longer knows it
  // Boost 1.74 has no awaitable operators to race a read against a timer:
  // instead the watchdog closes the socket once `deadline` has passed, which
  // ends the pending read or write with an error. Moving the deadline costs
  // nothing; the watchdog notices when it wakes.
  asio::steady_timer watchdog;
  Clock::time_point deadline;
  bool timed_out = false;
  std::array<std::uint8_t, 2> prefix;
  std::array<std::uint8_t, max_response_size> query;  // a TCP message is at most 65535 bytes
  std::array<std::uint8_t, 2 + max_response_size> response;
};

namespace {

asio::awaitable<void> watch(std::shared_ptr<TcpListener::Connection> c) {
  while (c->socket.is_open()) {
    c->watchdog.expires_at(c->deadline);
    boost::system::error_code ec;
    co_await c->watchdog.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (c->socket.is_open() && Clock::now() >= c->deadline) {
      c->timed_out = true;
      c->close();
    }
  }
}

std::string to_string(const tcp::endpoint& peer) {
  return peer.address().is_v6() ? fmt::format("[{}]:{}", peer.address().to_string(), peer.port())
                                : fmt::format("{}:{}", peer.address().to_string(), peer.port());
}

}  // namespace

TcpListener::TcpListener(tcp::acceptor acceptor, const AnswerPublisher& answers, TcpLimits limits)
    : acceptor_(std::move(acceptor)), backoff_(acceptor_.get_executor()), answers_(answers), limits_(limits) {}

void TcpListener::start() {
  asio::co_spawn(acceptor_.get_executor(), accept_loop(), [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& what) {
      spdlog::error("event=tcp_listener_stopped error={} hint=\"DNS over TCP is down; restart failoverdns\"",
                    logfmt_value(what.what()));
    }
  });
}

asio::awaitable<void> TcpListener::accept_loop() {
  bool failing = false;
  for (;;) {
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
    if (ec) {
      // Out of file descriptors, typically: accepting again at once would
      // spin, so pause; the client waits in the listen backlog meanwhile.
      if (!failing)
        spdlog::warn("event=tcp_accept_failed error={} hint=\"raise the open files limit (LimitNOFILE) or "
                     "lower dns_config.tcp_max_connections\"",
                     logfmt_value(ec.message()));
      failing = true;
      backoff_.expires_after(std::chrono::milliseconds(100));
      co_await backoff_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    failing = false;
    if (connections_ >= limits_.max_connections) {
      // Closing at once (the socket goes out of scope) is the clearest
      // signal a client gets: try again later, or over UDP.
      if (spdlog::should_log(spdlog::level::debug))
        spdlog::debug("event=tcp_refused peer={} reason=connection_limit limit={}",
                      to_string(socket.remote_endpoint(ec)), limits_.max_connections);
      continue;
    }
    // Pipelined answers must not wait for the client's delayed ACK.
    socket.set_option(tcp::no_delay(true), ec);
    auto connection = std::make_shared<Connection>(std::move(socket));
    connection->deadline = Clock::now() + limits_.idle_timeout;
    ++connections_;
    asio::co_spawn(acceptor_.get_executor(), watch(connection), asio::detached);
    asio::co_spawn(acceptor_.get_executor(), serve(std::move(connection)), asio::detached);
  }
}

asio::awaitable<void> TcpListener::serve(std::shared_ptr<Connection> c) {
  AnswerPublisher::Reader reader(answers_);
  std::uint32_t rotation = 0;
  const char* reason = "closed_by_client";
  for (;;) {
    boost::system::error_code ec;
    c->deadline = Clock::now() + limits_.idle_timeout;
    co_await asio::async_read(c->socket, asio::buffer(c->prefix), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    const std::size_t length = (std::size_t{c->prefix[0]} << 8) | c->prefix[1];
    if (length < 12) {  // cannot be a DNS message: this client is confused
      reason = "length_too_short";
      break;
    }
    c->deadline = Clock::now() + limits_.idle_timeout;
    co_await asio::async_read(c->socket, asio::buffer(c->query.data(), length),
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    QueryOutcome outcome = answer_query(reader.table(), std::span<const std::uint8_t>(c->query.data(), length),
                                        std::span(c->response).subspan(2), Transport::tcp, rotation++);
    if (outcome.action != QueryOutcome::Action::reply) {
      reason = "not_a_query";
      break;
    }
    c->response[0] = static_cast<std::uint8_t>(outcome.length >> 8);
    c->response[1] = static_cast<std::uint8_t>(outcome.length);
    // The same deadline holds for a client that stops reading its answers.
    c->deadline = Clock::now() + limits_.idle_timeout;
    co_await asio::async_write(c->socket, asio::buffer(c->response.data(), 2 + outcome.length),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
  }
  if (c->timed_out) reason = "idle_timeout";
  if (spdlog::should_log(spdlog::level::debug))
    spdlog::debug("event=tcp_closed peer={} reason={} queries={}", to_string(c->peer), reason, rotation);
  c->close();
  --connections_;
}

}  // namespace failoverdns::net
