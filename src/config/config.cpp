#include "failoverdns/config.hpp"

#include <algorithm>
#include <cctype>

namespace failoverdns {

const FailoverSettings* Config::failover_for(std::string_view service) const {
  auto same = [](std::string_view a, std::string_view b) {
    return std::ranges::equal(a, b, [](unsigned char x, unsigned char y) { return std::tolower(x) == std::tolower(y); });
  };
  for (const auto& f : failover)
    if (same(f.service, service)) return &f;
  return nullptr;
}

}  // namespace failoverdns
