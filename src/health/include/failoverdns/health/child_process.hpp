// Runs a program without blocking the control plane: posix_spawn, exit
// awaited on a pidfd, output drained as it comes, the whole process group
// killed at the deadline. Script checks and failover hooks both use it.
#pragma once

#include "failoverdns/support/asio.hpp"  // first: Boost 1.74 (see there)

#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "failoverdns/config/duration.hpp"

namespace failoverdns {

struct ChildOutcome {
  std::string spawn_error;       // not started at all (then nothing else is set)
  bool timed_out = false;        // ran past its timeout and was killed
  std::optional<int> exit_code;  // exited by itself
  std::optional<int> signal;     // ended by this signal (our SIGKILL after a timeout too)
  std::string output;            // stdout and stderr interleaved, the first 4 KiB
};

// `args[0]` is looked up in PATH. `environment` ("NAME=value") is added to
// the daemon's own, replacing variables of the same name. Stdin is
// /dev/null. Takes copies: the coroutine may outlive the caller's arguments.
boost::asio::awaitable<ChildOutcome> run_child(boost::asio::any_io_executor executor, std::vector<std::string> args,
                                               std::vector<std::string> environment, Milliseconds timeout);

}  // namespace failoverdns
