// Starts a coroutine that must keep running, such as a probe loop. If it
// ends with an exception, that is logged (event=loop_failed) and a fresh
// coroutine from `make` starts after `pause` -- never the silent death of
// asio::detached, which would leave an instance frozen at its last
// observation ("up") forever. Stops restarting once `stopped()` is true.
// Control-plane thread only.
#pragma once

#include <utility>  // before boost/asio/awaitable.hpp on Boost 1.74

#include <chrono>
#include <exception>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "failoverdns/log_value.hpp"

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
