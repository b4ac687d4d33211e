// Consul-style health checks of services that are not under failover:
// script/args (exit 0 passing, 1 warning, else critical), tcp (connects),
// mariadb (the server answers the protocol handshake), each with a timeout,
// and Consul's hysteresis. Run on the control-plane io_context.
#pragma once

#include "failoverdns/support/asio.hpp"  // first: Boost 1.74 (see there)

#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "failoverdns/catalog/catalog.hpp"
#include "failoverdns/config/config.hpp"

namespace failoverdns {

struct CheckResult {
  Health health = Health::critical;
  std::string output;  // what the check said, for the log (at most 4 KiB)
};

// One run of `check` against an instance at `address:port`. Takes copies:
// the coroutine may outlive the caller's arguments.
boost::asio::awaitable<CheckResult> run_check(boost::asio::any_io_executor executor, CheckDefinition check,
                                              std::string address, std::uint16_t port);

// Consul's success_before_passing / failures_before_critical: a status
// changes only after that many consecutive results in its favour. The very
// first result sets the status directly.
class Hysteresis {
 public:
  Hysteresis(int success_before_passing, int failures_before_critical);
  Health update(Health result);
  Health current() const { return current_; }

 private:
  int success_before_passing_;
  int failures_before_critical_;
  bool first_ = true;
  Health current_ = Health::passing;
  int successes_ = 0;
  int failures_ = 0;
};

}  // namespace failoverdns
