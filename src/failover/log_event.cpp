#include "failoverdns/failover/log_event.hpp"

#include "failoverdns/support/log_value.hpp"

namespace failoverdns {

std::string LogEvent::field(std::string_view key) const {
  for (const auto& [k, v] : fields)
    if (k == key) return v;
  return {};
}

std::string format(const LogEvent& event) {
  std::string out = "event=" + event.name;
  for (const auto& [key, value] : event.fields) {
    out += ' ';
    out += key;
    out += '=';
    out += logfmt_value(value);
  }
  return out;
}

}  // namespace failoverdns
