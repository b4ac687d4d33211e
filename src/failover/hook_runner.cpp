#include "hook_runner.hpp"

#include <cctype>

#include <boost/asio/co_spawn.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "failoverdns/health/child_process.hpp"
#include "failoverdns/support/log_value.hpp"

namespace failoverdns {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

std::optional<std::string_view> hook_for(std::string_view event) {
  for (std::string_view same : {"failover_started", "failover_complete", "fenced"})
    if (event == same) return same;
  // Every way a failover ends without a new primary.
  for (std::string_view failed :
       {"failover_refused", "no_candidate", "failover_aborted", "relay_log_wait_failed", "promotion_abandoned"})
    if (event == failed) return "failover_failed";
  // How a planned switchover ended (FAILOVERDNS_DECIDER_EVENT says which).
  for (std::string_view ended : {"switchover_complete", "switchover_rolled_back", "switchover_failed"})
    if (event == ended) return "switchover";
  return std::nullopt;
}

std::vector<std::string> hook_environment(std::string_view hook, const LogEvent& event, std::string_view service) {
  std::vector<std::string> env{fmt::format("FAILOVERDNS_EVENT={}", hook),
                               fmt::format("FAILOVERDNS_DECIDER_EVENT={}", event.name),
                               fmt::format("FAILOVERDNS_SERVICE={}", service)};
  for (const auto& [key, value] : event.fields) {
    if (key == "service") continue;  // already there
    std::string name = "FAILOVERDNS_";
    for (char c : key) name += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(c)) : '_';
    // NUL cannot be in the environment; values come from the network too.
    std::string clean = value;
    std::erase(clean, '\0');
    env.push_back(fmt::format("{}={}", name, clean));
  }
  return env;
}

HookRunner::HookRunner(asio::any_io_executor executor, const FailoverSettings& settings)
    : executor_(std::move(executor)),
      service_(settings.service),
      hooks_(settings.hooks),
      timeout_(settings.hook_timeout) {}

void HookRunner::on_event(const LogEvent& event) {
  auto hook = hook_for(event.name);
  if (!hook) return;
  auto it = hooks_.find(std::string(*hook));
  if (it == hooks_.end()) return;
  if (queue_.size() >= max_queued) {
    spdlog::error("event=hook_dropped service={} hook={} decider_event={} reason=\"{} hooks already waiting behind {} "
                  "running ones; hooks that take long hold the others up (hook_timeout)\"",
                  service_, *hook, event.name, queue_.size(), running_);
    return;
  }
  queue_.push_back(Job{std::string(*hook), it->second, hook_environment(*hook, event, service_)});
  start_next();
}

void HookRunner::start_next() {
  while (running_ < max_running && !queue_.empty()) {
    ++running_;
    asio::co_spawn(executor_, run(shared_from_this(), std::move(queue_.front())), fail_loudly("failover hook"));
    queue_.pop_front();
  }
}

asio::awaitable<void> HookRunner::run(std::shared_ptr<HookRunner> self, Job job) {
  auto started = Clock::now();
  spdlog::info("event=hook_started service={} hook={}", self->service_, job.hook);
  ChildOutcome ran = co_await run_child(self->executor_, job.args, job.environment, self->timeout_);
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  const std::string output = logfmt_value(ran.output);
  if (!ran.spawn_error.empty()) {
    spdlog::error("event=hook_failed service={} hook={} error={}", self->service_, job.hook,
                  logfmt_value(ran.spawn_error));
  } else if (ran.timed_out) {
    spdlog::error("event=hook_timed_out service={} hook={} timeout={} killed=yes output={}", self->service_, job.hook,
                  format_duration(self->timeout_), output);
  } else if (ran.exit_code == 0) {
    spdlog::info("event=hook_done service={} hook={} exit=0 took={}ms output={}", self->service_, job.hook, took,
                 output);
  } else {
    std::string status = ran.exit_code ? fmt::format("exit={}", *ran.exit_code)
                                       : fmt::format("signal={}", ran.signal.value_or(0));
    spdlog::warn("event=hook_failed service={} hook={} {} took={}ms output={}", self->service_, job.hook, status, took,
                 output);
  }
  --self->running_;
  self->start_next();
}

}  // namespace failoverdns
