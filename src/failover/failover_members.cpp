#include "failoverdns/failover/failover_members.hpp"

namespace failoverdns {

std::vector<FailoverMember> failover_members(const Config& config, const FailoverSettings& settings) {
  std::vector<FailoverMember> out;
  for (const auto& svc : config.services) {
    if (svc.name != settings.service) continue;  // both lower-case since config loading
    out.push_back(FailoverMember{svc.id, svc.address,
                                 svc.port ? svc.port : std::uint16_t{3306}});
  }
  return out;
}

}  // namespace failoverdns
