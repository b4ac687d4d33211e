#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>

#include "load.hpp"

namespace fdns_bench {

int connect_socket(const Target& target, int type) {
  const int fd = ::socket(target.address.ss_family, type | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return -1;
  }
  if (type == SOCK_DGRAM) {
    // Deep buffers: at a burst the kernel, not the benchmark, would
    // otherwise drop answers and count them as the server's losses.
    const int receive = 8 << 20;
    const int send = 2 << 20;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive, sizeof receive);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &send, sizeof send);
  } else {
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  // Connected, so the kernel filters out packets from anyone but the server
  // and sendmmsg needs no address per message.
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&target.address), target.length) != 0) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

void wait_until(std::int64_t deadline_ns) noexcept {
  const timespec ts{static_cast<time_t>(deadline_ns / 1'000'000'000), static_cast<long>(deadline_ns % 1'000'000'000)};
  while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

}  // namespace fdns_bench
