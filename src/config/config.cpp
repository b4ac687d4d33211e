#include "failoverdns/config/config.hpp"


namespace failoverdns {

const FailoverSettings* Config::failover_for(std::string_view service) const {
  for (const auto& f : failover)
    if (f.service == service) return &f;
  return nullptr;
}

}  // namespace failoverdns
