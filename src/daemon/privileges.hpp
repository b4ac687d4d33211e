// Running as the configured account: started as root, failoverdns switches
// to `user`/`group` after binding its sockets (Knot's order), then checks
// that the account can still reach everything it reads or writes later —
// the config and password files every reload (SIGHUP) reads again, and each
// failover state file, saved on every decision. Called once, at start.
#pragma once

#include <string>
#include <vector>

#include "failoverdns/config/config.hpp"
#include "failoverdns/support/error.hpp"

namespace failoverdns {

// Nothing without `user`. As root: supplementary groups of the user, the
// group, then the user, for good. Not root: fine when already that
// user (systemd's User=), else an error saying how to start it.
Result<void> drop_privileges(const Config& config);

// One message per file the process, as it now runs, could not read (or
// write, for state files), naming the config key, the file, its mode and
// owner, and the command that fixes it. Empty when all is well.
std::vector<std::string> unreachable_files(const Config& config, const std::vector<ConfigSource>& sources);

}  // namespace failoverdns
