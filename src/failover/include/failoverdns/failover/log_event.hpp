// The decider's log events: one line each, key=value, a timeline for 3 a.m.
// The decider produces them; the controller writes them with spdlog.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace failoverdns {

enum class LogLevel { info, warn, error };

struct LogEvent {
  LogLevel level = LogLevel::info;
  std::string name;
  std::vector<std::pair<std::string, std::string>> fields;

  // The value of a field, "" when absent.
  std::string field(std::string_view key) const;
};

// "event=primary_down service=mysql instance=db1 failures=3" with values
// quoted when they hold blanks, quotes or '='.
std::string format(const LogEvent& event);

}  // namespace failoverdns
