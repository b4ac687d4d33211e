// The operator's commands for failover events (failover.<svc>.hooks): each
// decider event that maps to a hook starts its command with the event's
// fields in the environment. Off the decision path: on_event() only queues;
// the command runs on the control-plane io_context (run_child: pidfd, no
// blocking), at most max_running at a time, killed after hook_timeout, its
// output and exit status logged.
#pragma once

#include "failoverdns/support/asio.hpp"  // first: Boost 1.74 (see there)

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "failoverdns/config/config.hpp"
#include "failoverdns/failover/log_event.hpp"

namespace failoverdns {

// The hook a decider event starts, if any: failover_started,
// failover_complete, fenced by their own name; failover_refused,
// no_candidate, failover_aborted, relay_log_wait_failed and
// promotion_abandoned as failover_failed. (switchover: not emitted yet.)
std::optional<std::string_view> hook_for(std::string_view decider_event);

// FAILOVERDNS_EVENT=<hook>, FAILOVERDNS_DECIDER_EVENT=<event name>,
// FAILOVERDNS_SERVICE=<service>, and FAILOVERDNS_<FIELD> for each field
// (upper case, anything but letters and digits as '_').
std::vector<std::string> hook_environment(std::string_view hook, const LogEvent& event, std::string_view service);

class HookRunner : public std::enable_shared_from_this<HookRunner> {
 public:
  static constexpr std::size_t max_running = 4;
  static constexpr std::size_t max_queued = 32;  // beyond that a hook is dropped, and that is logged

  HookRunner(boost::asio::any_io_executor executor, const FailoverSettings& settings);

  // Never waits: starts or queues the hook for `event`, if one is configured.
  void on_event(const LogEvent& event);

 private:
  struct Job {
    std::string hook;
    std::vector<std::string> args;
    std::vector<std::string> environment;
  };
  void start_next();
  static boost::asio::awaitable<void> run(std::shared_ptr<HookRunner> self, Job job);

  boost::asio::any_io_executor executor_;
  std::string service_;
  std::map<std::string, std::vector<std::string>> hooks_;
  Milliseconds timeout_;
  std::deque<Job> queue_;
  std::size_t running_ = 0;
};

}  // namespace failoverdns
