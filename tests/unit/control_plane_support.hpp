// For unit tests that drive control-plane classes on a real io_context with
// fake I/O: run the io_context until a condition holds or a deadline
// passes (a deadline is a limit, never a sleep standing in for readiness),
// and read what was logged.
#pragma once

#include <algorithm>
#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

namespace failoverdns::testing {

// True once `done()` holds; false if the deadline passed first or the
// io_context ran out of work without it (then nothing could change it).
template <class Done>
bool run_until(boost::asio::io_context& io, Done done, std::chrono::milliseconds deadline = std::chrono::seconds(5)) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (!done()) {
    auto now = std::chrono::steady_clock::now();
    if (now >= end) return false;
    if (io.stopped()) io.restart();
    if (io.run_one_for(end - now) == 0 && io.stopped()) return done();
  }
  return true;
}

// True once the io_context has no work left: every timer and coroutine ended.
inline bool run_until_idle(boost::asio::io_context& io, std::chrono::milliseconds deadline = std::chrono::seconds(5)) {
  io.restart();
  io.run_for(deadline);
  return io.stopped();
}

// Sends spdlog's default logger into a string while it lives.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out_);
    sink->set_pattern("%v");
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", std::move(sink)));
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::string text() const { return out_.str(); }
  bool has(std::string_view needle) const { return text().find(needle) != std::string::npos; }
  // Lines holding every one of `needles`.
  template <class... Needles>
  int lines_with(Needles... needles) const {
    std::istringstream in(text());
    int n = 0;
    for (std::string line; std::getline(in, line);)
      if ((... && (line.find(needles) != std::string::npos))) ++n;
    return n;
  }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

}  // namespace failoverdns::testing
