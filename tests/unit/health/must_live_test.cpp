#include <utility>

#include <doctest/doctest.h>

#include <stdexcept>

#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "failoverdns/must_live.hpp"

using namespace failoverdns;
using namespace std::chrono_literals;

namespace {

struct Counts {
  int runs = 0;
  int fail_until = 0;  // runs before this one throw
  bool stopped = false;
  bool stop_when_failing = false;
};

// A free function, so its arguments live in the coroutine frame.
boost::asio::awaitable<void> flaky_loop(Counts* c) {
  ++c->runs;
  if (c->stop_when_failing) c->stopped = true;
  if (c->runs < c->fail_until || c->stop_when_failing) throw std::runtime_error("probe blew up");
  c->stopped = true;  // ends on purpose
  co_return;
}

}  // namespace

TEST_CASE("a loop that must live is restarted after an exception") {
  boost::asio::io_context io;
  Counts c{.fail_until = 3};
  spawn_must_live(io.get_executor(), "test", [&] { return flaky_loop(&c); }, [&] { return c.stopped; }, 10ms);
  io.run_for(2s);
  CHECK(c.runs == 3);
}

TEST_CASE("a loop that fails after it was stopped is not restarted") {
  boost::asio::io_context io;
  Counts c{.stop_when_failing = true};
  spawn_must_live(io.get_executor(), "test", [&] { return flaky_loop(&c); }, [&] { return c.stopped; }, 10ms);
  io.run_for(200ms);
  CHECK(c.runs == 1);
}
