// What every Asio user here shares. Include this instead of
// <boost/asio/awaitable.hpp>, and before any other Asio header:
// - Boost 1.74's awaitable.hpp uses std::exchange without including
//   <utility>; it is included here, first, once for the whole program.
// - Boost 1.74 has no awaitable operators to race an operation against a
//   timer: OperationDeadline does it.
// - A coroutine is never co_spawned with asio::detached, which swallows its
//   exception: a loop that must keep running uses spawn_must_live (restarted),
//   anything else fail_loudly (a bug: logged, then abort).
// Control-plane or per-thread executors; nothing here locks.
#pragma once

#include <utility>  // first: see above

#include <chrono>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "failoverdns/support/log_value.hpp"

namespace failoverdns {

// What an exception that ended a coroutine said, for the log.
inline std::string exception_text(std::exception_ptr failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
  }
  return "unknown exception";
}

// Ends a pending operation at a deadline: unless the guard is gone by then,
// `interrupt` runs at `deadline` and must make the operation end (cancel or
// close its I/O object). Put the guard right before the co_await:
//   OperationDeadline guard(executor, deadline, [&socket] { socket.cancel(); });
//   co_await socket.async_wait(...);
//   if (guard.expired()) ...
// The timer's handler may already be queued when the operation completes;
// it then touches nothing of the caller's frame (the shared flag says so).
class OperationDeadline {
 public:
  template <class Interrupt>
  OperationDeadline(boost::asio::any_io_executor executor, std::chrono::steady_clock::time_point deadline,
                    Interrupt interrupt)
      : timer_(std::move(executor), deadline), state_(std::make_shared<State>()) {
    timer_.async_wait([state = state_, interrupt](const boost::system::error_code& ec) {
      if (ec || !state->open) return;
      state->expired = true;
      interrupt();
    });
  }
  ~OperationDeadline() {
    state_->open = false;
    timer_.cancel();
  }
  OperationDeadline(const OperationDeadline&) = delete;
  OperationDeadline& operator=(const OperationDeadline&) = delete;

  // The deadline came first and interrupted the operation.
  bool expired() const { return state_->expired; }

 private:
  struct State {
    bool open = true;
    bool expired = false;
  };
  boost::asio::steady_timer timer_;
  std::shared_ptr<State> state_;
};

// Completion handler for a coroutine that has no reason to throw: if it
// does, that is a bug, and a daemon that carries on with half its state is
// worse than one that stops and is restarted (systemd Restart=).
inline auto fail_loudly(std::string what) {
  return [what = std::move(what)](std::exception_ptr failure) {
    if (!failure) return;
    spdlog::critical("event=coroutine_failed what={} error={} next=abort", logfmt_value(what),
                     logfmt_value(exception_text(failure)));
    std::abort();
  };
}

// Starts a coroutine that must keep running, such as a probe loop. If it
// ends with an exception, that is logged (event=loop_failed) and a fresh
// coroutine from `make` starts after `pause` -- never the silent death of
// asio::detached, which would leave an instance frozen at its last
// observation ("up") forever. Stops restarting once `stopped()` is true.
template <class Make, class Stopped>
void spawn_must_live(boost::asio::any_io_executor executor, std::string what, Make make, Stopped stopped,
                     std::chrono::milliseconds pause = std::chrono::seconds(1)) {
  boost::asio::co_spawn(executor, make(), [=](std::exception_ptr failure) {
    if (!failure) return;  // ended on purpose
    if (stopped()) return;
    spdlog::error("event=loop_failed loop={} error={} next=\"restarted in {}ms\"", logfmt_value(what),
                  logfmt_value(exception_text(failure)), pause.count());
    auto timer = std::make_shared<boost::asio::steady_timer>(executor, pause);
    timer->async_wait([=, keep = timer](const boost::system::error_code&) {
      if (!stopped()) spawn_must_live(executor, what, make, stopped, pause);
    });
  });
}

}  // namespace failoverdns
