#include "failoverdns/support/asio.hpp"  // first: Boost 1.74 (see there)

#include <doctest/doctest.h>

#include <stdexcept>

#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>


using namespace failoverdns;
using namespace std::chrono_literals;

namespace {

struct Counts {
  int runs = 0;
  int fail_until = 0;  // runs before this one throw
  bool stopped = false;
  bool stop_when_failing = false;
};

// Free functions, so their arguments live in the coroutine frame.
boost::asio::awaitable<void> flaky_loop(Counts* c) {
  ++c->runs;
  if (c->stop_when_failing) c->stopped = true;
  if (c->runs < c->fail_until || c->stop_when_failing) throw std::runtime_error("probe blew up");
  c->stopped = true;  // ends on purpose
  co_return;
}

struct Raced {
  bool done = false;
  bool expired = false;
  int interrupts = 0;
  boost::system::error_code ec;
};

// Waits on `operation` (a timer standing for any I/O) under a deadline
// whose interrupt cancels it.
boost::asio::awaitable<void> wait_under_deadline(boost::asio::steady_timer* operation,
                                                 std::chrono::steady_clock::time_point deadline, Raced* r) {
  OperationDeadline guard(operation->get_executor(), deadline, [operation, r] {
    ++r->interrupts;
    operation->cancel();
  });
  co_await operation->async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, r->ec));
  r->expired = guard.expired();
  r->done = true;
}

}  // namespace

TEST_CASE("OperationDeadline: the deadline interrupts a pending operation and says so") {
  boost::asio::io_context io;
  boost::asio::steady_timer operation(io, std::chrono::steady_clock::time_point::max());
  Raced r;
  boost::asio::co_spawn(io, wait_under_deadline(&operation, std::chrono::steady_clock::now() + 20ms, &r),
                        fail_loudly("test"));
  io.run_for(5s);
  REQUIRE(r.done);
  CHECK(r.expired);
  CHECK(r.interrupts == 1);
  CHECK(r.ec == boost::asio::error::operation_aborted);
}

TEST_CASE("OperationDeadline: an operation that ends first is left alone, and so is the frame after it") {
  boost::asio::io_context io;
  boost::asio::steady_timer operation(io, std::chrono::steady_clock::now() + 1ms);
  Raced r;
  boost::asio::co_spawn(io, wait_under_deadline(&operation, std::chrono::steady_clock::now() + 50ms, &r),
                        fail_loudly("test"));
  io.run();  // returns once nothing is pending: the guard's timer was cancelled too
  REQUIRE(r.done);
  CHECK_FALSE(r.expired);
  CHECK(r.interrupts == 0);
  CHECK_FALSE(r.ec);
}

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
