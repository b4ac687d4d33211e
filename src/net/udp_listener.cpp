#include "udp_listener.hpp"

#include <cerrno>
#include <span>

namespace failoverdns::net {

UdpListener::UdpListener(boost::asio::ip::udp::socket socket, const AnswerPublisher& answers, Resolver* resolver,
                         DnsCounters& counters)
    : socket_(std::move(socket)), reader_(answers), counters_(counters),
      slots_(std::make_unique<std::array<Slot, batch>>()) {
  if (resolver) resolver_ = std::make_unique<Resolver::Session>(*resolver, socket_.get_executor());
  socket_.non_blocking(true);
  for (std::size_t i = 0; i < batch; ++i) {
    Slot& s = (*slots_)[i];
    s.in_iov = {s.query.data(), s.query.size()};
    in_[i].msg_hdr.msg_iov = &s.in_iov;
    in_[i].msg_hdr.msg_iovlen = 1;
    out_[i].msg_hdr.msg_iovlen = 1;
  }
}

void UdpListener::start() { arm(); }

void UdpListener::arm() {
  socket_.async_wait(boost::asio::ip::udp::socket::wait_read, [this](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: the server is stopping
    drain();
    arm();
  });
}

void UdpListener::drain() noexcept {
  const int fd = socket_.native_handle();
  // A bounded number of batches per wake-up keeps the other sockets of this
  // worker's io_context served under a flood.
  for (int round = 0; round < 64; ++round) {
    for (std::size_t i = 0; i < batch; ++i) {
      Slot& s = (*slots_)[i];
      in_[i].msg_hdr.msg_name = &s.peer;
      in_[i].msg_hdr.msg_namelen = sizeof s.peer;
      in_[i].msg_hdr.msg_flags = 0;
    }
    const int received = ::recvmmsg(fd, in_.data(), batch, MSG_DONTWAIT, nullptr);
    if (received <= 0) return;  // EAGAIN (drained) or an error the next wake-up will see again
    // One clock read per batch, not per query: the batch's answers leave
    // together, so they share its duration (answer_duration).
    const auto read_at = std::chrono::steady_clock::now();

    const AnswerTable& table = reader_.table();
    unsigned replies = 0;
    for (int i = 0; i < received; ++i) {
      Slot& s = (*slots_)[static_cast<std::size_t>(i)];
      // Cut to fit the buffer: answering what is left would answer a
      // different message.
      if (in_[static_cast<std::size_t>(i)].msg_hdr.msg_flags & MSG_TRUNC) [[unlikely]] {
        counters_.dropped.add();
        continue;
      }
      std::span<const std::uint8_t> query(s.query.data(), in_[static_cast<std::size_t>(i)].msg_len);
      QueryOutcome outcome = answer_query(table, query, s.response, Transport::udp, rotation_++);
      std::size_t length = outcome.length;
      if (outcome.action == QueryOutcome::Action::reply) [[likely]] {
        counters_.count_answer(AnswerSource::zone, outcome.qtype, s.response.data());
      } else if (outcome.action == QueryOutcome::Action::drop) {
        counters_.dropped.add();
        continue;
      } else if (!resolve(static_cast<std::size_t>(i), query, outcome, length, read_at)) {
        continue;
      }
      s.out_iov = {s.response.data(), length};
      msghdr& h = out_[replies].msg_hdr;
      h.msg_name = &s.peer;
      h.msg_namelen = in_[static_cast<std::size_t>(i)].msg_hdr.msg_namelen;
      h.msg_iov = &s.out_iov;
      ++replies;
    }
    unsigned sent = 0;
    while (sent < replies) {
      const int n = ::sendmmsg(fd, out_.data() + sent, replies - sent, MSG_DONTWAIT);
      if (n > 0) {
        sent += static_cast<unsigned>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      // The send buffer is full or the peer is gone: UDP may lose an answer,
      // and the client retries. Skip the datagram that failed.
      ++sent;
    }
    if (replies > 0) counters_.answer_duration.observe(std::chrono::steady_clock::now() - read_at, replies);
    if (static_cast<std::size_t>(received) < batch) return;
  }
}

bool UdpListener::resolve(std::size_t i, std::span<const std::uint8_t> query, const QueryOutcome& outcome,
                          std::size_t& length, std::chrono::steady_clock::time_point read_at) {
  Slot& s = (*slots_)[i];
  if (!resolver_) {  // the REFUSED answer_query wrote
    counters_.count_answer(AnswerSource::zone, outcome.qtype, s.response.data());
    return true;
  }
  const auto* peer = reinterpret_cast<const sockaddr*>(&s.peer);
  switch (resolver_->handle(query, outcome.question, peer, Transport::udp, s.response, length)) {
    case Resolver::Session::Step::answered:
      counters_.count_answer(AnswerSource::cache, outcome.qtype, s.response.data());
      return true;
    case Resolver::Session::Step::refused:
      counters_.count_answer(AnswerSource::zone, outcome.qtype, s.response.data());
      return true;
    case Resolver::Session::Step::miss: break;
  }
  resolver_->forward(query, outcome.question, Transport::udp,
                     [this, peer = s.peer, peer_length = in_[i].msg_hdr.msg_namelen, qtype = outcome.qtype,
                      read_at](std::span<const std::uint8_t> a) { send_late(peer, peer_length, a, qtype, read_at); });
  return false;
}

void UdpListener::send_late(const sockaddr_storage& peer, socklen_t peer_length, std::span<const std::uint8_t> answer,
                            std::uint16_t qtype, std::chrono::steady_clock::time_point read_at) noexcept {
  if (answer.size() >= 4) counters_.count_answer(AnswerSource::upstream, qtype, answer.data());
  // As in a batch: a full send buffer loses this answer, and the client retries.
  ::sendto(socket_.native_handle(), answer.data(), answer.size(), MSG_DONTWAIT,
           reinterpret_cast<const sockaddr*>(&peer), peer_length);
  counters_.forwarded_duration.observe(std::chrono::steady_clock::now() - read_at);
}

}  // namespace failoverdns::net
