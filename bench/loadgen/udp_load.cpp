#include <poll.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <memory>

#include "load.hpp"

namespace fdns_bench {

namespace {

constexpr std::size_t kAnswerBuffer = 4096;  // larger than any UDP answer we ask for

// Sleeps until a packet arrives or `wake_ns`, whichever is first.
void wait_readable(int fd, std::int64_t wake_ns) noexcept {
  const std::int64_t delay = wake_ns - now_ns();
  if (delay <= 0) {
    return;
  }
  pollfd p{fd, POLLIN, 0};
  const timespec ts{static_cast<time_t>(delay / 1'000'000'000), static_cast<long>(delay % 1'000'000'000)};
  ::ppoll(&p, 1, &ts, nullptr);
}

class UdpLoad {
 public:
  UdpLoad(const LoadPlan& plan, int fd, RunStats& stats)
      : plan_(plan),
        queries_(*plan.queries),
        fd_(fd),
        stats_(stats),
        batch_(plan.batch),
        out_(std::make_unique<mmsghdr[]>(batch_)),
        out_iov_(std::make_unique<iovec[]>(2 * batch_)),
        out_ids_(std::make_unique<std::uint8_t[]>(2 * batch_)),
        out_query_(std::make_unique<std::uint32_t[]>(batch_)),
        out_start_(std::make_unique<std::int64_t[]>(batch_)),
        in_(std::make_unique<mmsghdr[]>(batch_)),
        in_iov_(std::make_unique<iovec[]>(batch_)),
        in_buffer_(std::make_unique<std::uint8_t[]>(batch_ * kAnswerBuffer)),
        next_query_(plan.first_query % queries_.size()),
        credit_(plan.rate > 0 ? 0 : plan.window) {
    for (unsigned i = 0; i < batch_; ++i) {
      in_iov_[i] = {in_buffer_.get() + i * kAnswerBuffer, kAnswerBuffer};
      in_[i] = {};
      in_[i].msg_hdr.msg_iov = &in_iov_[i];
      in_[i].msg_hdr.msg_iovlen = 1;
      out_[i] = {};
      out_[i].msg_hdr.msg_iov = &out_iov_[2 * i];
      out_[i].msg_hdr.msg_iovlen = 2;
    }
  }

  void run() {
    const bool open_loop = plan_.rate > 0;
    wait_until(plan_.start_ns);
    for (;;) {
      std::int64_t now = now_ns();
      const bool sending = now < plan_.end_ns;
      // Open loop: a query scheduled just before the end still goes,
      // however late the thread woke up.
      if (open_loop) {
        send_scheduled(now);
      } else if (sending) {
        send_window();
      }
      receive();
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
      if (!plan_.spin) {
        wait_readable(fd_, next_wake(now, open_loop));
      }
    }
    if (open_loop) {
      // Whatever the schedule held before the end but never went out.
      stats_.unsent += unsent_after(plan_, scheduled_);
    }
  }

 private:
  std::int64_t next_wake(std::int64_t now, bool open_loop) const noexcept {
    std::int64_t wake = now < plan_.end_ns ? plan_.end_ns : plan_.end_ns + plan_.timeout_ns;
    if (now < plan_.end_ns) {
      if (open_loop) {
        wake = std::min(wake, scheduled_ns(plan_, scheduled_));
      } else if (credit_ > 0 && !table_.full()) {
        return now;
      }
    }
    if (table_.in_flight() > 0) {
      wake = std::min(wake, table_.oldest_start_ns() + plan_.timeout_ns);
    }
    return wake;
  }

  // Fills slot i of the outgoing batch with the next query under a fresh ID.
  void stage(unsigned i, std::int64_t start_ns) noexcept {
    const std::uint16_t id = table_.take_id();
    const auto wire = queries_.wire(next_query_);
    out_ids_[2 * i] = static_cast<std::uint8_t>(id >> 8);
    out_ids_[2 * i + 1] = static_cast<std::uint8_t>(id & 0xff);
    // The ID comes from our array, the rest straight from the query set.
    out_iov_[2 * i] = {&out_ids_[2 * i], 2};
    out_iov_[2 * i + 1] = {const_cast<std::uint8_t*>(wire.data() + 2), wire.size() - 2};
    out_query_[i] = static_cast<std::uint32_t>(next_query_);
    out_start_[i] = start_ns;
    next_query_ = next_query_ + 1 == queries_.size() ? 0 : next_query_ + 1;
  }

  // Sends n staged messages; returns how many went out. The rest give their
  // IDs back and their queries are staged again next time.
  unsigned flush(unsigned n, bool record_lag) noexcept {
    const std::int64_t send_time = now_ns();
    int sent = ::sendmmsg(fd_, out_.get(), n, 0);
    if (sent < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS && errno != EINTR) {
        ++stats_.io_errors;
      }
      sent = 0;
    }
    for (unsigned i = 0; i < n; ++i) {
      const auto id = static_cast<std::uint16_t>(out_ids_[2 * i] << 8 | out_ids_[2 * i + 1]);
      if (i < static_cast<unsigned>(sent)) {
        const std::int64_t start = record_lag ? out_start_[i] : send_time;
        table_.start(id, out_query_[i], start, 0);
        if (record_lag) {
          stats_.send_lag.record(send_time - out_start_[i]);
        }
      } else {
        table_.return_id(id);
      }
    }
    // Unsent queries are staged again from where they were.
    const unsigned back = n - static_cast<unsigned>(sent);
    next_query_ = (next_query_ + queries_.size() * back - back) % queries_.size();
    stats_.sent += static_cast<unsigned>(sent);
    return static_cast<unsigned>(sent);
  }

  // Open loop: everything whose scheduled time has come, latency counted
  // from the schedule, so a stalled server (or generator) cannot hide its
  // delay by slowing the sender down.
  void send_scheduled(std::int64_t now) noexcept {
    for (;;) {
      unsigned n = 0;
      while (n < batch_ && !table_.full()) {
        const std::int64_t when = scheduled_ns(plan_, scheduled_ + n);
        if (when > now || when >= plan_.end_ns) {
          break;
        }
        stage(n, when);
        ++n;
      }
      if (n == 0) {
        return;
      }
      const unsigned sent = flush(n, true);
      scheduled_ += sent;
      if (sent < n) {
        if (sent == 0 && stats_.io_errors > io_errors_seen_) {
          // A refused send (ICMP unreachable) would repeat forever:
          // the query counts as unsent and the schedule moves on.
          io_errors_seen_ = stats_.io_errors;
          ++scheduled_;
          ++stats_.unsent;
          next_query_ = next_query_ + 1 == queries_.size() ? 0 : next_query_ + 1;
        }
        return;
      }
    }
  }

  // Closed loop: as many new queries as answers (or timeouts) came back.
  void send_window() noexcept {
    while (credit_ > 0 && !table_.full()) {
      unsigned n = 0;
      const std::int64_t now = now_ns();
      while (n < batch_ && n < credit_ && !table_.full()) {
        stage(n, now);
        ++n;
      }
      const unsigned sent = flush(n, false);
      credit_ -= sent;
      if (sent < n) {
        if (stats_.io_errors > io_errors_seen_) {
          // Nobody listening: do not spin on refused sends.
          io_errors_seen_ = stats_.io_errors;
          wait_until(now_ns() + 1'000'000);
        }
        return;
      }
    }
  }

  void receive() noexcept {
    for (;;) {
      const int got = ::recvmmsg(fd_, in_.get(), batch_, MSG_DONTWAIT, nullptr);
      if (got < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          return;
        }
        if (errno != EINTR) {
          ++stats_.io_errors;
          io_errors_seen_ = stats_.io_errors;
        }
        if (errno == ECONNREFUSED || errno == EINTR) {
          continue;  // reported once; the socket is still usable
        }
        return;
      }
      const std::int64_t now = now_ns();
      for (int i = 0; i < got; ++i) {
        const std::size_t length = std::min<std::size_t>(in_[i].msg_len, kAnswerBuffer);
        const std::span<const std::uint8_t> message(in_buffer_.get() + static_cast<std::size_t>(i) * kAnswerBuffer,
                                                    length);
        if (account_response(message, now, queries_, table_, stats_) >= 0) {
          ++credit_;
        }
      }
      if (got < static_cast<int>(batch_)) {
        return;
      }
    }
  }

  void expire(std::int64_t deadline) noexcept {
    credit_ += table_.expire(deadline, [this](const OutstandingTable::Slot&) { ++stats_.lost; });
  }

  const LoadPlan& plan_;
  const QuerySet& queries_;
  const int fd_;
  RunStats& stats_;
  const unsigned batch_;
  OutstandingTable table_;
  std::unique_ptr<mmsghdr[]> out_;
  std::unique_ptr<iovec[]> out_iov_;
  std::unique_ptr<std::uint8_t[]> out_ids_;
  std::unique_ptr<std::uint32_t[]> out_query_;
  std::unique_ptr<std::int64_t[]> out_start_;
  std::unique_ptr<mmsghdr[]> in_;
  std::unique_ptr<iovec[]> in_iov_;
  std::unique_ptr<std::uint8_t[]> in_buffer_;
  std::size_t next_query_;
  std::uint64_t scheduled_ = 0;  // open loop: schedule entries sent so far
  std::uint64_t credit_;         // closed loop: queries we may send now
  std::uint64_t io_errors_seen_ = 0;
};

}  // namespace

void run_udp_load(const LoadPlan& plan, int fd, RunStats& stats) {
  // Timer slack of 1 ns: ppoll wakes at the scheduled send time instead of
  // up to 50 µs after it, which would show up as latency.
  ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  auto load = std::make_unique<UdpLoad>(plan, fd, stats);
  load->run();
}

}  // namespace fdns_bench
