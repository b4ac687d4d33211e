// Hooks: which decider event starts which hook, what its environment holds,
// and that a hook really runs off the caller (on the io_context).
#include "failoverdns/support/asio.hpp"  // first: Boost 1.74 (see there)

#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/asio/io_context.hpp>

#include "failover/hook_runner.hpp"

using namespace failoverdns;

TEST_CASE("decider events map to hooks; every failover that ends without a new primary is failover_failed") {
  CHECK(hook_for("failover_started") == "failover_started");
  CHECK(hook_for("failover_complete") == "failover_complete");
  CHECK(hook_for("fenced") == "fenced");
  for (const char* failed :
       {"failover_refused", "no_candidate", "failover_aborted", "relay_log_wait_failed", "promotion_abandoned"}) {
    CAPTURE(failed);
    CHECK(hook_for(failed) == "failover_failed");
  }
  for (const char* ended : {"switchover_complete", "switchover_rolled_back", "switchover_failed"}) {
    CAPTURE(ended);
    CHECK(hook_for(ended) == "switchover");
  }
  for (const char* other : {"primary_down", "made_read_only", "fencing", "state_saved", "promote_failed",
                            "switchover_started", "switchover_refused"}) {
    CAPTURE(other);
    CHECK_FALSE(hook_for(other));
  }
}

TEST_CASE("a hook's environment: the hook, the decider's event, the service, each field in upper case") {
  LogEvent e{LogLevel::info, "failover_complete",
             {{"service", "mysql"}, {"primary", "db2"}, {"old_primary", "db1"}, {"epoch", "3"}, {"a-b", "x\0y"}}};
  e.fields.back().second = std::string("x\0y", 3);
  CHECK(hook_environment("failover_complete", e, "mysql") ==
        std::vector<std::string>{"FAILOVERDNS_EVENT=failover_complete", "FAILOVERDNS_DECIDER_EVENT=failover_complete",
                                 "FAILOVERDNS_SERVICE=mysql", "FAILOVERDNS_PRIMARY=db2",
                                 "FAILOVERDNS_OLD_PRIMARY=db1", "FAILOVERDNS_EPOCH=3", "FAILOVERDNS_A_B=xy"});
}

TEST_CASE("on_event returns at once; the hook runs on the io_context with its environment") {
  auto file = std::filesystem::temp_directory_path() / ("hook_runner_test." + std::to_string(::getpid()));
  std::filesystem::remove(file);
  FailoverSettings settings;
  settings.service = "mysql";
  settings.hooks["failover_failed"] = {"/bin/sh", "-c", "env | grep -E '^FAILOVERDNS_(EVENT|DECIDER_EVENT|SERVICE|CANDIDATE)=' | sort > " + file.string()};
  settings.hooks["fenced"] = {"/bin/sh", "-c", "echo fenced >> " + file.string() + ".fenced"};
  boost::asio::io_context io;
  auto runner = std::make_shared<HookRunner>(io.get_executor(), settings);
  runner->on_event(LogEvent{LogLevel::error, "failover_refused", {{"service", "mysql"}, {"candidate", "db2"}}});
  runner->on_event(LogEvent{LogLevel::info, "primary_down", {{"service", "mysql"}}});  // no hook
  CHECK_FALSE(std::filesystem::exists(file));  // nothing ran yet: the caller never waits
  io.run();
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str() ==
        "FAILOVERDNS_CANDIDATE=db2\nFAILOVERDNS_DECIDER_EVENT=failover_refused\nFAILOVERDNS_EVENT=failover_failed\n"
        "FAILOVERDNS_SERVICE=mysql\n");
  CHECK_FALSE(std::filesystem::exists(file.string() + ".fenced"));
  std::filesystem::remove(file);
}
