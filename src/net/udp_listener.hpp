// One SO_REUSEPORT UDP socket owned by one DNS worker: waits for
// readability through Asio, then drains the socket with recvmmsg and
// answers with one sendmmsg per batch. All buffers are allocated once here,
// so answering allocates nothing. Names outside our zones go to this
// worker's resolver Session: a cache hit is answered in the batch, a miss
// later, with a sendto of its own when the forwarder's answer arrives.
#pragma once

#include <sys/socket.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "failoverdns/dns/answer_publisher.hpp"
#include "dns_counters.hpp"
#include "failoverdns/resolver/resolver.hpp"

namespace failoverdns::net {

class UdpListener {
 public:
  static constexpr std::size_t batch = 32;
  static constexpr std::size_t query_buffer = 4096;  // bigger queries are garbage anyway
  static constexpr std::size_t response_buffer = 4096;

  // `resolver` may be null (no forwarding: outside names get REFUSED).
  // `counters`: this worker's, outliving the listener.
  UdpListener(boost::asio::ip::udp::socket socket, const AnswerPublisher& answers, Resolver* resolver,
              DnsCounters& counters);
  UdpListener(const UdpListener&) = delete;
  UdpListener& operator=(const UdpListener&) = delete;

  void start();

 private:
  void arm();
  void drain() noexcept;
  // A query answer_query left to the resolver: whether slot `i`'s response
  // (`length` bytes) goes out in this batch (counted). Out of line: our own
  // names' path stays as short as it was. `read_at`: when its batch was read.
  [[gnu::noinline]] bool resolve(std::size_t i, std::span<const std::uint8_t> query, const QueryOutcome& outcome,
                                 std::size_t& length, std::chrono::steady_clock::time_point read_at);
  void send_late(const sockaddr_storage& peer, socklen_t peer_length, std::span<const std::uint8_t> answer,
                 std::uint16_t qtype, std::chrono::steady_clock::time_point read_at) noexcept;

  boost::asio::ip::udp::socket socket_;
  AnswerPublisher::Reader reader_;
  std::uint32_t rotation_ = 0;
  std::unique_ptr<Resolver::Session> resolver_;
  DnsCounters& counters_;

  struct Slot {
    std::array<std::uint8_t, query_buffer> query;
    std::array<std::uint8_t, response_buffer> response;
    sockaddr_storage peer;
    iovec in_iov;
    iovec out_iov;
  };
  std::unique_ptr<std::array<Slot, batch>> slots_;
  std::array<mmsghdr, batch> in_{};
  std::array<mmsghdr, batch> out_{};
};

}  // namespace failoverdns::net
