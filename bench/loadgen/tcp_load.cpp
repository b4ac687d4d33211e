#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <memory>

#include "load.hpp"

namespace fdns_bench {

namespace {

// Room for a whole window of queries waiting to go out, and for any two
// length-prefixed messages coming in (a DNS message over TCP is < 64 KiB).
constexpr std::size_t kOutBuffer = 64 * 1024;
constexpr std::size_t kInBuffer = 2 * (65535 + 2);

struct Connection {
  int fd = -1;
  std::unique_ptr<std::uint8_t[]> out;
  std::size_t out_begin = 0;
  std::size_t out_end = 0;
  std::unique_ptr<std::uint8_t[]> in;
  std::size_t in_length = 0;
  std::uint64_t credit = 0;  // closed loop: queries this connection may send now
};

class TcpLoad {
 public:
  TcpLoad(const LoadPlan& plan, const Target& target, std::span<const int> fds, RunStats& stats)
      : plan_(plan),
        target_(target),
        queries_(*plan.queries),
        stats_(stats),
        count_(fds.size()),
        connections_(std::make_unique<Connection[]>(count_)),
        polls_(std::make_unique<pollfd[]>(count_)),
        next_query_(plan.first_query % queries_.size()) {
    for (std::size_t c = 0; c < count_; ++c) {
      Connection& conn = connections_[c];
      conn.fd = fds[c];
      ::fcntl(conn.fd, F_SETFL, ::fcntl(conn.fd, F_GETFL) | O_NONBLOCK);
      conn.out = std::make_unique<std::uint8_t[]>(kOutBuffer);
      conn.in = std::make_unique<std::uint8_t[]>(kInBuffer);
      // The window is spread evenly; the first connections take the rest.
      conn.credit = plan.rate > 0 ? 0 : plan.window / count_ + (c < plan.window % count_ ? 1 : 0);
    }
  }

  ~TcpLoad() {
    for (std::size_t c = 0; c < count_; ++c) {
      if (connections_[c].fd >= 0) {
        ::close(connections_[c].fd);
      }
    }
  }
  TcpLoad(const TcpLoad&) = delete;
  TcpLoad& operator=(const TcpLoad&) = delete;

  void run() {
    const bool open_loop = plan_.rate > 0;
    wait_until(plan_.start_ns);
    for (;;) {
      std::int64_t now = now_ns();
      const bool sending = now < plan_.end_ns;
      if (open_loop) {
        queue_scheduled(now);
      } else if (sending) {
        queue_window();
      }
      flush_all();
      wait(plan_.spin ? 0 : next_wake(now_ns(), open_loop));
      receive_all();
      now = now_ns();
      expire(now - plan_.timeout_ns);
      if (!sending || now >= plan_.end_ns) {
        if (table_.in_flight() == 0) {
          break;
        }
        if (now >= plan_.end_ns + plan_.timeout_ns) {
          expire(INT64_MAX);
          break;
        }
      }
    }
    if (open_loop) {
      stats_.unsent += unsent_after(plan_, scheduled_);
    }
  }

 private:
  std::int64_t next_wake(std::int64_t now, bool open_loop) const noexcept {
    std::int64_t wake = now < plan_.end_ns ? plan_.end_ns : plan_.end_ns + plan_.timeout_ns;
    if (now < plan_.end_ns && open_loop) {
      wake = std::min(wake, scheduled_ns(plan_, scheduled_));
    }
    // Closed loop: window freed without an answer to wake us (queries lost
    // with a connection the server closed) is used at once.
    if (now < plan_.end_ns && !open_loop && !table_.full()) {
      for (std::size_t c = 0; c < count_; ++c) {
        if (connections_[c].fd >= 0 && connections_[c].credit > 0) {
          return now;
        }
      }
    }
    if (table_.in_flight() > 0) {
      wake = std::min(wake, table_.oldest_start_ns() + plan_.timeout_ns);
    }
    return wake;
  }

  // Appends the next query under a fresh ID to a connection's output;
  // false when its buffer is full or it is down.
  bool queue(std::size_t c, std::int64_t start_ns) noexcept {
    Connection& conn = connections_[c];
    const auto wire = queries_.wire(next_query_);
    if (conn.fd < 0 || table_.full()) {
      return false;
    }
    if (conn.out_end + 2 + wire.size() > kOutBuffer) {
      std::memmove(conn.out.get(), conn.out.get() + conn.out_begin, conn.out_end - conn.out_begin);
      conn.out_end -= conn.out_begin;
      conn.out_begin = 0;
      if (conn.out_end + 2 + wire.size() > kOutBuffer) {
        return false;
      }
    }
    const std::uint16_t id = table_.take_id();
    std::uint8_t* p = conn.out.get() + conn.out_end;
    p[0] = static_cast<std::uint8_t>(wire.size() >> 8);
    p[1] = static_cast<std::uint8_t>(wire.size() & 0xff);
    std::memcpy(p + 2, wire.data(), wire.size());
    p[2] = static_cast<std::uint8_t>(id >> 8);
    p[3] = static_cast<std::uint8_t>(id & 0xff);
    conn.out_end += 2 + wire.size();
    // A query counts as sent once queued: time spent in our buffer is
    // time the client waits, so it belongs in the latency.
    table_.start(id, static_cast<std::uint32_t>(next_query_), start_ns, static_cast<std::uint16_t>(c));
    ++stats_.sent;
    next_query_ = next_query_ + 1 == queries_.size() ? 0 : next_query_ + 1;
    return true;
  }

  void queue_scheduled(std::int64_t now) noexcept {
    for (;;) {
      const std::int64_t when = scheduled_ns(plan_, scheduled_);
      if (when > now || when >= plan_.end_ns) {
        return;
      }
      if (!queue(scheduled_ % count_, when)) {
        return;  // a full buffer: the query waits, its latency grows
      }
      stats_.send_lag.record(now - when);
      ++scheduled_;
    }
  }

  void queue_window() noexcept {
    const std::int64_t now = now_ns();
    for (std::size_t c = 0; c < count_; ++c) {
      Connection& conn = connections_[c];
      while (conn.credit > 0 && queue(c, now)) {
        --conn.credit;
      }
    }
  }

  void flush_all() noexcept {
    for (std::size_t c = 0; c < count_; ++c) {
      Connection& conn = connections_[c];
      while (conn.fd >= 0 && conn.out_begin < conn.out_end) {
        const ssize_t n = ::send(conn.fd, conn.out.get() + conn.out_begin, conn.out_end - conn.out_begin,
                                 MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
          conn.out_begin += static_cast<std::size_t>(n);
        } else if (n < 0 && errno == EINTR) {
          continue;
        } else {
          if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            reconnect(c);
          }
          break;
        }
      }
      if (conn.out_begin == conn.out_end) {
        conn.out_begin = conn.out_end = 0;
      }
    }
  }

  void wait(std::int64_t wake_ns) noexcept {
    std::int64_t delay = std::max<std::int64_t>(wake_ns - now_ns(), 0);
    for (std::size_t c = 0; c < count_; ++c) {
      const Connection& conn = connections_[c];
      polls_[c] = {conn.fd, static_cast<short>(POLLIN | (conn.out_begin < conn.out_end ? POLLOUT : 0)), 0};
    }
    const timespec ts{static_cast<time_t>(delay / 1'000'000'000), static_cast<long>(delay % 1'000'000'000)};
    ::ppoll(polls_.get(), count_, &ts, nullptr);
  }

  void receive_all() noexcept {
    for (std::size_t c = 0; c < count_; ++c) {
      if ((polls_[c].revents & (POLLIN | POLLERR | POLLHUP)) != 0) {
        receive(c);
      }
    }
  }

  void receive(std::size_t c) noexcept {
    Connection& conn = connections_[c];
    const ssize_t n = ::recv(conn.fd, conn.in.get() + conn.in_length, kInBuffer - conn.in_length, MSG_DONTWAIT);
    if (n <= 0) {
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        return;
      }
      // Closed by the server: its queries in flight are lost, and a new
      // connection carries on, as a client would.
      reconnect(c);
      return;
    }
    conn.in_length += static_cast<std::size_t>(n);
    const std::int64_t now = now_ns();
    std::size_t pos = 0;
    while (conn.in_length - pos >= 2) {
      const std::size_t length = static_cast<std::size_t>(conn.in[pos]) << 8 | conn.in[pos + 1];
      if (conn.in_length - pos - 2 < length) {
        break;
      }
      const std::span<const std::uint8_t> message(conn.in.get() + pos + 2, length);
      const int owner = account_response(message, now, queries_, table_, stats_);
      if (owner >= 0 && static_cast<std::size_t>(owner) < count_) {
        ++connections_[static_cast<std::size_t>(owner)].credit;
      }
      pos += 2 + length;
    }
    std::memmove(conn.in.get(), conn.in.get() + pos, conn.in_length - pos);
    conn.in_length -= pos;
  }

  void reconnect(std::size_t c) noexcept {
    Connection& conn = connections_[c];
    ++stats_.io_errors;
    table_.drop_connection(static_cast<std::uint16_t>(c), [this](const OutstandingTable::Slot& slot) { lose(slot); });
    ::close(conn.fd);
    conn.out_begin = conn.out_end = conn.in_length = 0;
    conn.fd = connect_socket(target_, SOCK_STREAM);
    if (conn.fd >= 0) {
      ::fcntl(conn.fd, F_SETFL, ::fcntl(conn.fd, F_GETFL) | O_NONBLOCK);
    }
  }

  void expire(std::int64_t deadline) noexcept {
    table_.expire(deadline, [this](const OutstandingTable::Slot& slot) { lose(slot); });
  }

  // A query that will get no answer: counted, and its place in the window
  // goes back to its connection.
  void lose(const OutstandingTable::Slot& slot) noexcept {
    ++stats_.lost;
    ++connections_[slot.connection].credit;
  }

  const LoadPlan& plan_;
  const Target& target_;
  const QuerySet& queries_;
  RunStats& stats_;
  const std::size_t count_;
  OutstandingTable table_;
  std::unique_ptr<Connection[]> connections_;
  std::unique_ptr<pollfd[]> polls_;
  std::size_t next_query_;
  std::uint64_t scheduled_ = 0;
};

}  // namespace

void run_tcp_load(const LoadPlan& plan, const Target& target, std::span<const int> fds, RunStats& stats) {
  ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  auto load = std::make_unique<TcpLoad>(plan, target, fds, stats);
  load->run();
}

}  // namespace fdns_bench
