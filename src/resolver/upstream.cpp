#include "upstream.hpp"

#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <cstring>
#include <memory>

#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "failoverdns/dns/wire.hpp"

namespace failoverdns::resolver {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using namespace wire;

std::vector<std::uint8_t> make_query(const QuestionKey& key, std::uint16_t id, std::uint16_t payload) {
  std::vector<std::uint8_t> q(header_size + key.name.size() + 4 + 11, 0);
  write16(q.data(), id);
  q[2] = 0x01;                        // RD
  q[3] = (key.flags & 2) ? 0x10 : 0;  // CD
  write16(q.data() + 4, 1);
  write16(q.data() + 10, 1);  // our OPT
  std::memcpy(q.data() + header_size, key.name.data(), key.name.size());
  std::uint8_t* p = q.data() + header_size + key.name.size();
  write16(p, key.qtype);
  write16(p + 2, key.qclass);
  std::uint8_t* opt = p + 4;  // owner: the root, already 0
  write16(opt + 1, type_opt);
  write16(opt + 3, payload);
  write16(opt + 7, (key.flags & 1) ? 0x8000 : 0);  // DO
  return q;
}

bool answers_query(std::span<const std::uint8_t> reply, std::uint16_t id, const QuestionKey& key) noexcept {
  const std::uint8_t* m = reply.data();
  const std::size_t size = reply.size();
  if (size < header_size || read16(m) != id || !(m[2] & 0x80) || (m[2] & 0x78) != 0 || read16(m + 4) != 1)
    return false;
  // The question as plain labels, equal but for case; then type and class.
  const std::size_t end = header_size + key.name.size();
  if (end + 4 > size) return false;
  const auto* ours = reinterpret_cast<const std::uint8_t*>(key.name.data());
  for (std::size_t i = 0; i < key.name.size(); ++i)
    if (lower_case[m[header_size + i]] != ours[i]) return false;
  return read16(m + end) == key.qtype && read16(m + end + 2) == key.qclass;
}

asio::awaitable<Exchange> ask_udp(udp::endpoint recursor, std::vector<std::uint8_t> query, const QuestionKey& key,
                                  std::chrono::steady_clock::time_point deadline, DropCounts& drops) {
  auto executor = co_await asio::this_coro::executor;
  Exchange x;
  boost::system::error_code ec;
  udp::socket socket(executor);
  socket.open(recursor.protocol(), ec);
  // Port 0: the kernel picks a random free ephemeral port.
  if (!ec) socket.bind(udp::endpoint(recursor.protocol(), 0), ec);
  if (ec) {
    x.problem = "cannot open a UDP socket: " + ec.message();
    co_return x;
  }
  // ICMP "port unreachable" ends the wait at once (as ECONNREFUSED), even
  // though the socket is not connected: connecting would make the kernel
  // drop datagrams from elsewhere before we could count them.
  int on = 1;
  if (recursor.address().is_v6()) ::setsockopt(socket.native_handle(), IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof on);
  else ::setsockopt(socket.native_handle(), IPPROTO_IP, IP_RECVERR, &on, sizeof on);
  const std::uint16_t id = read16(query.data());
  co_await socket.async_send_to(asio::buffer(query), recursor, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    x.problem = "cannot send: " + ec.message();
    co_return x;
  }
  // Room for any answer a recursor may send us over UDP (we offer at most
  // 4096, edns_buffer_size's maximum); anything longer arrives cut, fails
  // to parse, and the next recursor is asked. Left uninitialised: zeroing
  // it would cost more than the rest of the exchange.
  constexpr std::size_t room = 4096;
  auto buffer = std::make_unique_for_overwrite<std::uint8_t[]>(room);
  for (;;) {
    udp::endpoint from;
    std::size_t n = 0;
    {
      OperationDeadline guard(executor, deadline, [&socket] { socket.cancel(); });
      n = co_await socket.async_receive_from(asio::buffer(buffer.get(), room), from,
                                             asio::redirect_error(asio::use_awaitable, ec));
      if (guard.expired()) {
        x.problem = "no answer in time";
        co_return x;
      }
    }
    if (ec) {
      x.problem = ec == asio::error::connection_refused ? "nothing listens there (ICMP port unreachable)"
                                                        : "receive failed: " + ec.message();
      co_return x;
    }
    if (from != recursor) {
      ++drops.wrong_source;
      continue;
    }
    if (!answers_query(std::span(buffer.get(), n), id, key)) {
      ++drops.wrong_question;
      continue;
    }
    x.outcome = (buffer[2] & 0x02) ? Exchange::Outcome::truncated : Exchange::Outcome::answered;
    x.reply.assign(buffer.get(), buffer.get() + n);
    co_return x;
  }
}

asio::awaitable<Exchange> ask_tcp(tcp::endpoint recursor, std::vector<std::uint8_t> query, const QuestionKey& key,
                                  std::chrono::steady_clock::time_point deadline, DropCounts& drops) {
  auto executor = co_await asio::this_coro::executor;
  Exchange x;
  boost::system::error_code ec;
  tcp::socket socket(executor);
  OperationDeadline guard(executor, deadline, [&socket] {
    boost::system::error_code ignored;
    socket.close(ignored);
  });
  const std::uint16_t id = read16(query.data());
  co_await socket.async_connect(recursor, asio::redirect_error(asio::use_awaitable, ec));
  if (!ec) {
    std::uint8_t length[2];
    write16(length, static_cast<std::uint16_t>(query.size()));
    std::array<asio::const_buffer, 2> message{asio::buffer(length), asio::buffer(query)};
    co_await asio::async_write(socket, message, asio::redirect_error(asio::use_awaitable, ec));
  }
  std::uint8_t length[2];
  if (!ec) co_await asio::async_read(socket, asio::buffer(length), asio::redirect_error(asio::use_awaitable, ec));
  std::vector<std::uint8_t> reply;
  if (!ec) {
    reply.resize(read16(length));
    co_await asio::async_read(socket, asio::buffer(reply), asio::redirect_error(asio::use_awaitable, ec));
  }
  if (guard.expired()) {
    x.problem = "no answer over TCP in time";
  } else if (ec) {
    x.problem = "TCP: " + ec.message();
  } else if (!answers_query(reply, id, key)) {
    ++drops.wrong_question;
    x.problem = "the TCP answer is not for our question";
  } else {
    x.outcome = Exchange::Outcome::answered;
    x.reply = std::move(reply);
  }
  co_return x;
}

std::uint16_t RandomIds::next() {
  if (used_ == std::size(buffer_)) {
    // getrandom never fails for this size once the pool is initialised;
    // if it ever did, the old values would repeat, so treat it as fatal.
    if (::getrandom(buffer_, sizeof buffer_, 0) != static_cast<ssize_t>(sizeof buffer_)) std::abort();
    used_ = 0;
  }
  return buffer_[used_++];
}

std::uint32_t RandomIds::below(std::uint32_t n) {
  const std::uint32_t r = (std::uint32_t{next()} << 16) | next();
  return static_cast<std::uint32_t>((std::uint64_t{r} * n) >> 32);
}

}  // namespace failoverdns::resolver
