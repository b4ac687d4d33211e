// Log lines are logfmt (key=value ...), read by people and by grep/awk
// alike. A value that came from outside (an error text, a config message, a
// check's output) can hold quotes, blanks or newlines that would otherwise
// end the value early or split the line: log it through logfmt_value().
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

namespace failoverdns {

// `v` as is when it is a plain token, else in double quotes with `"` and `\`
// escaped, newlines as \n and other control characters as blanks.
inline std::string logfmt_value(std::string_view v) {
  bool plain = !v.empty() && std::ranges::none_of(v, [](char c) {
    return c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
  });
  if (plain) return std::string(v);
  std::string out;
  out.reserve(v.size() + 2);
  out += '"';
  for (char c : v) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

}  // namespace failoverdns
