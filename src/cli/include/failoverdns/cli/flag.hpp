// One command-line argument as Consul takes them: -flag, --flag,
// -flag=value and --flag value alike. Shared by the daemon's and the
// commands' parsers.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace failoverdns::cli {

struct Flag {
  std::string name;                  // without dashes; "" when the argument is not a flag
  std::optional<std::string> value;  // after '=', when given so
};

inline Flag parse_flag(std::string_view arg) {
  Flag f;
  if (arg.starts_with("--")) f.name = arg.substr(2);
  else if (arg.starts_with("-")) f.name = arg.substr(1);
  if (auto eq = f.name.find('='); eq != std::string::npos) {
    f.value = f.name.substr(eq + 1);
    f.name.resize(eq);
  }
  return f;
}

}  // namespace failoverdns::cli
