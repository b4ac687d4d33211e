// Which instances a failover service is made of: the service's instances
// from the configuration, as the decider and the executor address them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "failoverdns/config/config.hpp"

namespace failoverdns {

// One instance of the service, in configuration order (the final
// tie-breaker). host/port are what replicas show as Master_Host/Port, and
// what Redirect/Rejoin put into CHANGE MASTER TO.
struct FailoverMember {
  std::string id;
  std::string host;
  std::uint16_t port = 3306;

  friend bool operator==(const FailoverMember&, const FailoverMember&) = default;
};

// The members of settings.service, in configuration order (names and
// addresses are normalised by load_config: compared as they are).
std::vector<FailoverMember> failover_members(const Config& config, const FailoverSettings& settings);

}  // namespace failoverdns
