#include "failoverdns/support/asio.hpp"  // first: Boost 1.74 (see there)

#include "tcp_listener.hpp"

#include <array>
#include <cstdint>
#include <cstring>
#include <exception>
#include <span>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "failoverdns/support/log_value.hpp"

namespace failoverdns::net {
namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// Everything one connection needs, allocated once when it is accepted, so
// answering its queries allocates nothing more. Shared by the connection's
// two coroutines: the one that serves it and its watchdog.
struct TcpListener::Connection {
  Connection(tcp::socket s, const tcp::endpoint& from)
      : socket(std::move(s)), peer(from), watchdog(socket.get_executor()) {}

  void close() {
    boost::system::error_code ignored;
    socket.close(ignored);
    watchdog.cancel();
  }

  tcp::socket socket;
  // From accept: for the log (a closed socket no longer knows it) and to
  // give the client's slot back on close.
  tcp::endpoint peer;
  // Not an OperationDeadline per read: arming a timer for every read would
  // cost each pipelined query a timer update. The watchdog closes the socket
  // once `deadline` has passed, which ends the pending read or write with an
  // error; moving the deadline costs nothing, the watchdog notices when it
  // wakes.
  asio::steady_timer watchdog;
  Clock::time_point deadline;
  bool timed_out = false;
  // Pipelining clients send many queries per segment: one read takes all
  // that arrived, and their answers leave in one write. `in` holds any one
  // whole message (2-byte length + at most 65535 bytes); answers are rendered
  // into `response` and gathered in `out`, or written on their own when
  // bigger than it.
  std::array<std::uint8_t, 2 + max_response_size> in;
  std::size_t in_length = 0;
  std::array<std::uint8_t, 2 + max_response_size> response;
  std::array<std::uint8_t, 16384> out;
  std::size_t out_length = 0;
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

TcpListener::TcpListener(tcp::acceptor acceptor, const AnswerPublisher& answers, TcpLimits limits,
                         Resolver* resolver, DnsCounters& counters)
    : acceptor_(std::move(acceptor)), backoff_(acceptor_.get_executor()), answers_(answers), limits_(limits),
      counters_(counters) {
  if (resolver) resolver_ = std::make_unique<Resolver::Session>(*resolver, acceptor_.get_executor());
}

void TcpListener::start() {
  // Every error of the loop is a value (redirect_error): an exception is a
  // bug, and a daemon silently without TCP is worse than one restarted.
  asio::co_spawn(acceptor_.get_executor(), accept_loop(), fail_loudly("tcp accept loop"));
}

asio::awaitable<void> TcpListener::accept_loop() {
  bool failing = false;
  for (;;) {
    boost::system::error_code ec;
    tcp::endpoint peer;
    tcp::socket socket = co_await acceptor_.async_accept(peer, asio::redirect_error(asio::use_awaitable, ec));
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
    // Closing at once (the socket goes out of scope) is the clearest signal
    // a client gets: try again later, or over UDP.
    if (connections_ >= limits_.max_connections) {
      refused(over_limit_, peer, "connection_limit", limits_.max_connections,
              "raise dns_config.tcp_max_connections (each connection holds ~150 KB)");
      continue;
    }
    auto client = connections_per_client_.find(peer.address());
    if ((client == connections_per_client_.end() ? 0 : client->second) >= limits_.max_connections_per_client) {
      refused(over_client_limit_, peer, "per_client_limit", limits_.max_connections_per_client,
              "if this address is a forwarder or a NAT for many clients, raise "
              "dns_config.tcp_max_connections_per_client");
      continue;
    }
    // Pipelined answers must not wait for the client's delayed ACK.
    socket.set_option(tcp::no_delay(true), ec);
    auto connection = std::make_shared<Connection>(std::move(socket), peer);
    connection->deadline = Clock::now() + limits_.idle_timeout;
    if (client == connections_per_client_.end()) client = connections_per_client_.emplace(peer.address(), 0).first;
    ++client->second;
    ++connections_;
    asio::co_spawn(acceptor_.get_executor(), watch(connection), fail_loudly("tcp connection watchdog"));
    asio::co_spawn(acceptor_.get_executor(), serve(std::move(connection)), fail_loudly("tcp connection"));
  }
}

asio::awaitable<void> TcpListener::serve(std::shared_ptr<Connection> c) {
  AnswerPublisher::Reader reader(answers_);
  std::uint32_t queries = 0;
  const char* reason = "closed_by_client";
  boost::system::error_code ec;
  // Sends what `out` gathered. The idle deadline also holds for a client
  // that stops reading its answers.
  auto flush = [&]() -> asio::awaitable<bool> {
    if (c->out_length == 0) co_return true;
    c->deadline = Clock::now() + limits_.idle_timeout;
    co_await asio::async_write(c->socket, asio::buffer(c->out.data(), c->out_length),
                               asio::redirect_error(asio::use_awaitable, ec));
    c->out_length = 0;
    co_return !ec;
  };
  // The deadline is set when the connection starts waiting for a query (at
  // accept, and once the answers to the last ones are written), never by a
  // read that brings only part of one: a client trickling a byte at a time
  // would otherwise hold its slot for as long as it likes (slowloris).
  for (bool open = true; open;) {
    std::size_t n = co_await c->socket.async_read_some(
        asio::buffer(c->in.data() + c->in_length, c->in.size() - c->in_length),
        asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    c->in_length += n;
    // As a UDP batch: one clock read per read, the answers it brings share it.
    const auto read_at = Clock::now();
    std::uint64_t answered_at_once = 0;
    // Answer every whole message that arrived, in order.
    std::size_t pos = 0;
    while (open && c->in_length - pos >= 2) {
      const std::size_t length = (std::size_t{c->in[pos]} << 8) | c->in[pos + 1];
      if (length < 12) {  // cannot be a DNS message: this client is confused
        counters_.dropped.add();
        reason = "length_too_short";
        open = false;
        break;
      }
      if (c->in_length - pos < 2 + length) break;  // the rest comes with the next read
      const std::span<const std::uint8_t> query(c->in.data() + pos + 2, length);
      QueryOutcome outcome = answer_query(reader.table(), query, std::span(c->response).subspan(2), Transport::tcp,
                                          rotation_++);
      ++queries;
      if (outcome.action == QueryOutcome::Action::forward && resolver_) {
        // Answers gathered so far go out before we wait on the forwarder.
        if (!co_await flush()) break;
        outcome.length = co_await resolve(*c, query, outcome);
        if (outcome.length == 0) {
          counters_.dropped.add();
          reason = "forwarding_stopped";
          open = false;
          break;
        }
        outcome.action = QueryOutcome::Action::reply;
      } else if (outcome.action != QueryOutcome::Action::drop) {
        counters_.count_answer(AnswerSource::zone, outcome.qtype, c->response.data() + 2);
        ++answered_at_once;
      }
      pos += 2 + length;
      if (outcome.action == QueryOutcome::Action::drop) {
        counters_.dropped.add();
        reason = "not_a_query";
        open = false;
        break;
      }
      c->response[0] = static_cast<std::uint8_t>(outcome.length >> 8);
      c->response[1] = static_cast<std::uint8_t>(outcome.length);
      const std::size_t framed = 2 + outcome.length;
      if (c->out_length + framed > c->out.size() && !co_await flush()) {
        open = false;
      } else if (framed > c->out.size()) {
        c->deadline = Clock::now() + limits_.idle_timeout;
        co_await asio::async_write(c->socket, asio::buffer(c->response.data(), framed),
                                   asio::redirect_error(asio::use_awaitable, ec));
        open = !ec;
      } else {
        std::memcpy(c->out.data() + c->out_length, c->response.data(), framed);
        c->out_length += framed;
      }
    }
    // Answers to the queries before a bad one still go out.
    if (!co_await flush()) break;
    if (answered_at_once > 0) counters_.answer_duration.observe(Clock::now() - read_at, answered_at_once);
    if (pos > 0) c->deadline = Clock::now() + limits_.idle_timeout;
    std::memmove(c->in.data(), c->in.data() + pos, c->in_length - pos);
    c->in_length -= pos;
  }
  if (c->timed_out) reason = "idle_timeout";
  if (spdlog::should_log(spdlog::level::debug))
    spdlog::debug("event=tcp_closed peer={} reason={} queries={}", to_string(c->peer), reason, queries);
  c->close();
  --connections_;
  if (auto client = connections_per_client_.find(c->peer.address()); --client->second == 0)
    connections_per_client_.erase(client);
}

asio::awaitable<std::size_t> TcpListener::resolve(Connection& c, std::span<const std::uint8_t> query,
                                                   const QueryOutcome& outcome) {
  const auto response = std::span(c.response).subspan(2);
  std::size_t length = outcome.length;  // REFUSED, as answer_query wrote it
  switch (resolver_->handle(query, outcome.question, c.peer.data(), Transport::tcp, response, length)) {
    case Resolver::Session::Step::answered:
      counters_.count_answer(AnswerSource::cache, outcome.qtype, response.data());
      co_return length;
    case Resolver::Session::Step::refused:
      counters_.count_answer(AnswerSource::zone, outcome.qtype, response.data());
      co_return length;
    case Resolver::Session::Step::miss: break;
  }
  const auto asked_at = Clock::now();
  // A timer that never expires, cancelled when the answer arrives: Boost
  // 1.74 has no channel to await a callback with.
  struct Wait {
    explicit Wait(asio::any_io_executor executor) : timer(std::move(executor), Clock::time_point::max()) {}
    asio::steady_timer timer;
    std::vector<std::uint8_t> answer;
  };
  auto wait = std::make_shared<Wait>(acceptor_.get_executor());
  resolver_->forward(query, outcome.question, Transport::tcp, [wait](std::span<const std::uint8_t> answer) {
    wait->answer.assign(answer.begin(), answer.end());
    wait->timer.cancel();
  });
  // The recursors' timeouts bound this wait, not the idle timeout.
  c.deadline = Clock::time_point::max();
  boost::system::error_code ec;
  co_await wait->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  c.deadline = Clock::now() + limits_.idle_timeout;
  std::memcpy(response.data(), wait->answer.data(), wait->answer.size());
  if (wait->answer.size() >= 4) {
    counters_.count_answer(AnswerSource::upstream, outcome.qtype, response.data());
    counters_.forwarded_duration.observe(Clock::now() - asked_at);
  }
  co_return wait->answer.size();
}

void TcpListener::refused(RefusalLog& log, const tcp::endpoint& peer, const char* reason, int limit,
                          const char* hint) {
  ++log.unlogged;
  const auto now = Clock::now();
  if (now < log.quiet_until) return;
  spdlog::warn("event=tcp_refused reason={} peer={} limit={} refused={} hint=\"{}\"", reason,
               peer.address().to_string(), limit, log.unlogged, hint);
  log.unlogged = 0;
  log.quiet_until = now + std::chrono::seconds(10);
}

}  // namespace failoverdns::net
