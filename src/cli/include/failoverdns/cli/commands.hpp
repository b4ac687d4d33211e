// The operator's commands (failoverdns status | members | switchover |
// maint): readable tables over a running failoverdns's HTTP API, with exit
// codes scripts can test. Run in their own short-lived process; every
// request has a deadline.
#pragma once

#include <string_view>

namespace failoverdns::cli {

// Exit codes, the same for every command.
enum Exit : int {
  ok = 0,
  refused = 1,      // the API answered no: no primary, switchover refused or rolled back, unknown service
  usage = 2,        // bad arguments
  unreachable = 3,  // no answer from the API, or an answer we cannot read
};

bool is_command(std::string_view word);
// argv[1] is the command.
int run_command(int argc, char** argv);

}  // namespace failoverdns::cli
