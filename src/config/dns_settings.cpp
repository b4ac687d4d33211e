#include "failoverdns/config/config.hpp"

namespace failoverdns {

Seconds DnsSettings::ttl_for_service(std::string_view service) const {
  if (auto it = service_ttl.find(std::string(service)); it != service_ttl.end()) return it->second;
  // Consul picks the longest "prefix*" that matches; "*" is the empty prefix.
  const Seconds* best = nullptr;
  std::size_t best_len = 0;
  for (const auto& [key, ttl] : service_ttl) {
    if (key.empty() || key.back() != '*') continue;
    std::string_view prefix(key.data(), key.size() - 1);
    if (service.starts_with(prefix) && (!best || prefix.size() >= best_len)) {
      best = &ttl;
      best_len = prefix.size();
    }
  }
  return best ? *best : Seconds{0};
}

}  // namespace failoverdns
