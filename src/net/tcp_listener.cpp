#include <utility>  // before awaitable.hpp on Boost 1.74

#include "net/tcp_listener.hpp"

#include <array>
#include <memory>
#include <span>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

namespace failoverdns::net {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// Reads exactly `buffer.size()` bytes, or fails when `timer` fires first:
// Boost 1.74 has no awaitable operators, so the timer closes the socket,
// which ends the read with operation_aborted.
asio::awaitable<bool> read_within(tcp::socket& socket, asio::steady_timer& timer, std::span<std::uint8_t> buffer,
                                  std::chrono::milliseconds timeout) {
  timer.expires_after(timeout);
  // The handler may already be queued when the read completes: then it must
  // neither close a socket that moved on nor touch a finished connection.
  auto armed = std::make_shared<bool>(true);
  timer.async_wait([&socket, armed](const boost::system::error_code& ec) {
    if (ec || !*armed) return;
    boost::system::error_code ignored;
    socket.close(ignored);
  });
  boost::system::error_code ec;
  std::size_t n = co_await asio::async_read(socket, asio::buffer(buffer.data(), buffer.size()),
                                            asio::redirect_error(asio::use_awaitable, ec));
  *armed = false;
  timer.cancel();
  co_return !ec && n == buffer.size();
}

}  // namespace

TcpListener::TcpListener(tcp::acceptor acceptor, const AnswerPublisher& answers, TcpLimits limits)
    : acceptor_(std::move(acceptor)), answers_(answers), limits_(limits) {}

void TcpListener::start() { accept(); }

void TcpListener::accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      if (connections_ >= limits_.max_connections) {
        spdlog::debug("event=tcp_refused reason=connection_limit limit={}", limits_.max_connections);
        // Closing at once is the clearest signal to a client: retry later.
      } else {
        serve(std::move(socket));
      }
    }
    accept();
  });
}

void TcpListener::serve(tcp::socket socket) {
  ++connections_;
  auto connection = [](TcpListener* self, tcp::socket s) -> asio::awaitable<void> {
    // Allocated once per connection; answering itself allocates nothing.
    auto query = std::make_unique<std::array<std::uint8_t, max_response_size>>();
    auto response = std::make_unique<std::array<std::uint8_t, 2 + max_response_size>>();
    AnswerPublisher::Reader reader(self->answers_);
    asio::steady_timer timer(s.get_executor());
    std::uint32_t rotation = 0;
    for (;;) {
      std::array<std::uint8_t, 2> prefix{};
      if (!co_await read_within(s, timer, prefix, self->limits_.idle_timeout)) break;
      const std::size_t length = (std::size_t{prefix[0]} << 8) | prefix[1];
      if (length < 12) break;  // cannot be a DNS message: this client is confused
      std::span<std::uint8_t> message(query->data(), length);
      if (!co_await read_within(s, timer, message, self->limits_.idle_timeout)) break;
      QueryOutcome outcome = answer_query(reader.table(), message, std::span(*response).subspan(2), Transport::tcp,
                                          rotation++);
      if (outcome.action != QueryOutcome::Action::reply) break;
      (*response)[0] = static_cast<std::uint8_t>(outcome.length >> 8);
      (*response)[1] = static_cast<std::uint8_t>(outcome.length);
      boost::system::error_code ec;
      co_await asio::async_write(s, asio::buffer(response->data(), 2 + outcome.length),
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
    }
    boost::system::error_code ignored;
    s.close(ignored);
    --self->connections_;
  };
  asio::co_spawn(acceptor_.get_executor(), connection(this, std::move(socket)), asio::detached);
}

}  // namespace failoverdns::net
