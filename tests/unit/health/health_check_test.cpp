#include "failoverdns/support/asio.hpp"  // first: Boost 1.74 (see there)

#include <doctest/doctest.h>

#include <signal.h>

#include <fstream>
#include <future>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_future.hpp>

#include "failoverdns/health/health_check.hpp"

using namespace failoverdns;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

CheckResult run(CheckDefinition check, std::string address = "127.0.0.1", std::uint16_t port = 0) {
  asio::io_context io;
  auto future = asio::co_spawn(io, run_check(io.get_executor(), check, address, port), asio::use_future);
  io.run();
  return future.get();
}

CheckDefinition script(std::string command, Milliseconds timeout = 5s) {
  CheckDefinition c;
  c.kind = CheckKind::script;
  c.args = {"/bin/sh", "-c", std::move(command)};
  c.timeout = timeout;
  return c;
}

}  // namespace

TEST_CASE("Hysteresis: the first result sets the status, then counts decide") {
  constexpr auto P = Health::passing, W = Health::warning, C = Health::critical;
  struct Case {
    const char* what;
    int success_before_passing, failures_before_critical;
    std::vector<Health> results, statuses;
  };
  const std::vector<Case> cases = {
      {"no hysteresis follows every result", 0, 0, {P, C, P, W}, {P, C, P, W}},
      {"first result sets critical directly", 3, 3, {C}, {C}},
      {"three failures to go critical", 0, 3, {P, C, C, C}, {P, P, P, C}},
      {"a success resets the failure count", 0, 3, {P, C, C, P, C, C, C}, {P, P, P, P, P, P, C}},
      {"two successes to come back", 2, 0, {C, P, P}, {C, C, P}},
      {"warning counts as a failure", 0, 2, {P, W, W}, {P, P, W}},
      {"a failure resets the success count", 3, 0, {C, P, P, C, P, P, P}, {C, C, C, C, C, C, P}},
      {"the worse failure shows once the count is reached", 0, 2, {P, W, C, C}, {P, P, C, C}},
      {"first result warning sets warning", 2, 2, {W, P, P}, {W, W, P}},
  };
  for (const auto& k : cases) {
    CAPTURE(k.what);
    Hysteresis h(k.success_before_passing, k.failures_before_critical);
    std::vector<Health> got;
    for (auto r : k.results) got.push_back(h.update(r));
    CHECK(got == k.statuses);
  }
}

TEST_CASE("script checks follow Consul's exit codes and capture output") {
  struct Case {
    const char* command;
    Health expected;
  };
  for (auto [command, expected] : {Case{"echo fine; exit 0", Health::passing}, Case{"exit 1", Health::warning},
                                   Case{"exit 2", Health::critical}, Case{"exit 77", Health::critical},
                                   Case{"kill -9 $$", Health::critical}}) {
    CAPTURE(command);
    CHECK(run(script(command)).health == expected);
  }
  CHECK(run(script("echo hello from the check")).output == "hello from the check\n");
  CheckDefinition missing;
  missing.args = {"/nonexistent/check"};
  auto r = run(missing);
  CHECK(r.health == Health::critical);
}

// Whether a process is gone: no longer there, or a zombie its new parent
// has not reaped yet (it runs no more either way).
static bool gone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
}

TEST_CASE("a script that overruns its timeout is killed with everything it started") {
  // The script starts a background child and says its pid: killing the
  // process group must take the child too, not only the shell.
  auto started = std::chrono::steady_clock::now();
  auto r = run(script("sleep 30 & echo $!; sleep 30", 200ms));
  auto took = std::chrono::steady_clock::now() - started;
  CHECK(r.health == Health::critical);
  CHECK(took >= 200ms);
  CHECK(took < 600ms);
  INFO(r.output);
  REQUIRE(r.output.find("timed out after 200ms, killed; it said: ") == 0);
  pid_t child = std::stoi(r.output.substr(r.output.find(": ") + 2));
  REQUIRE(child > 0);
  auto deadline = std::chrono::steady_clock::now() + 2s;
  while (!gone(child) && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
  CHECK(gone(child));
}

TEST_CASE("a check that writes a lot neither blocks nor floods the log") {
  // 300 KB is far more than a pipe holds: unread, the script would block on
  // write until its timeout.
  auto started = std::chrono::steady_clock::now();
  auto r = run(script("head -c 300000 /dev/zero | tr '\\0' x; exit 1", 5s));
  CHECK(r.health == Health::warning);
  CHECK(r.output.size() == 4096);
  CHECK(r.output.find_first_not_of('x') == std::string::npos);
  CHECK(std::chrono::steady_clock::now() - started < 2s);
}

TEST_CASE("a script that leaves a child holding its output still finishes") {
  auto started = std::chrono::steady_clock::now();
  auto r = run(script("echo started; sleep 2 & exit 0", 5s));
  CHECK(r.health == Health::passing);
  CHECK(r.output == "started\n");
  CHECK(std::chrono::steady_clock::now() - started < 1s);
}

TEST_CASE("script checks run side by side on one thread without blocking it") {
  asio::io_context io;
  std::vector<std::future<CheckResult>> results;
  for (int i = 0; i < 10; ++i) {
    auto check = script("sleep 0.3; exit " + std::to_string(i % 3));
    results.push_back(asio::co_spawn(io, run_check(io.get_executor(), check, "", 0), asio::use_future));
  }
  auto started = std::chrono::steady_clock::now();
  io.run();
  // One after another would take 3 s.
  CHECK(std::chrono::steady_clock::now() - started < 1500ms);
  for (int i = 0; i < 10; ++i) {
    CAPTURE(i);
    CHECK(results[i].get().health == (i % 3 == 0 ? Health::passing : i % 3 == 1 ? Health::warning : Health::critical));
  }
}

TEST_CASE("tcp checks: a listening port passes, a closed one is critical") {
  asio::io_context io;
  asio::ip::tcp::acceptor listening(io, {asio::ip::make_address("127.0.0.1"), 0});
  auto open_port = listening.local_endpoint().port();
  CheckDefinition c;
  c.kind = CheckKind::tcp;
  c.timeout = 2s;
  c.tcp = "127.0.0.1:" + std::to_string(open_port);
  CHECK(run(c).health == Health::passing);

  asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
  auto closed_port = probe.local_endpoint().port();
  probe.close();  // nothing listens there now
  c.tcp = "127.0.0.1:" + std::to_string(closed_port);
  CHECK(run(c).health == Health::critical);
  c.tcp = "not-an-address";
  CHECK(run(c).output.find("ip:port") != std::string::npos);
}

TEST_CASE("a mariadb check of a port where nothing listens is critical") {
  asio::io_context io;
  asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
  auto port = probe.local_endpoint().port();
  probe.close();
  CheckDefinition c;
  c.kind = CheckKind::mariadb;
  c.timeout = 2s;
  auto r = run(c, "127.0.0.1", port);
  CHECK(r.health == Health::critical);
}
