// A recursor for the resolver's tests: a UDP socket on 127.0.0.1 and a
// thread that hands each query to a script, which answers (or not) with
// whatever it likes -- the right answer, a spoof, silence.
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <thread>
#include <vector>

#include "failoverdns/dns/wire.hpp"

namespace failoverdns::test {

class FakeUpstream {
 public:
  // fd: the upstream's socket (answers from it come from the address asked).
  using Script = std::function<void(int fd, const sockaddr_in& from, const std::vector<std::uint8_t>& query)>;

  explicit FakeUpstream(Script script) : script_(std::move(script)) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t length = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &length);
    port = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeUpstream() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }

  std::uint16_t port = 0;
  std::atomic<int> queries{0};

 private:
  void serve() {
    std::vector<std::uint8_t> buffer(65535);
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      sockaddr_in from{};
      socklen_t length = sizeof from;
      const auto n = ::recvfrom(fd_, buffer.data(), buffer.size(), 0, reinterpret_cast<sockaddr*>(&from), &length);
      if (n <= 0) continue;
      ++queries;
      script_(fd_, from, std::vector<std::uint8_t>(buffer.begin(), buffer.begin() + n));
    }
  }

  Script script_;
  int fd_ = -1;
  std::thread thread_;
  std::atomic<bool> stop_{false};
};

// The reply to `query`: its ID and question, `rcode`, and when NOERROR one
// A record (TTL 60) for the question's name.
inline std::vector<std::uint8_t> reply_to(const std::vector<std::uint8_t>& query, std::uint8_t last_octet,
                                          std::uint8_t rcode = 0) {
  std::size_t end = 12;
  while (query[end] != 0) end += 1 + query[end];
  end += 1 + 4;
  std::vector<std::uint8_t> r(query.begin(), query.begin() + static_cast<long>(end));
  r[2] = static_cast<std::uint8_t>(r[2] | 0x80);
  r[3] = static_cast<std::uint8_t>(0x80 | rcode);
  wire::write16(r.data() + 6, 0);
  wire::write16(r.data() + 8, 0);
  wire::write16(r.data() + 10, 0);
  if (rcode == 0) {
    const std::uint8_t record[] = {0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, last_octet};
    r.insert(r.end(), std::begin(record), std::end(record));
    wire::write16(r.data() + 6, 1);
  }
  return r;
}

inline void send_to(int fd, const sockaddr_in& to, const std::vector<std::uint8_t>& message) {
  ::sendto(fd, message.data(), message.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
}

}  // namespace failoverdns::test
