#include "failoverdns/config/duration.hpp"

#include <cstdint>
#include <limits>

#include <fmt/format.h>

namespace failoverdns {
namespace {

struct Unit {
  std::string_view name;
  std::uint64_t nanoseconds;
};

// Longest spellings first so "ms" is not read as "m" followed by garbage.
constexpr Unit kUnits[] = {
    {"ns", 1},
    {"us", 1'000},
    {"\u00b5s", 1'000},  // micro sign, as Go accepts
    {"\u03bcs", 1'000},  // Greek mu, as Go accepts
    {"ms", 1'000'000},
    {"s", 1'000'000'000},
    {"m", 60'000'000'000},
    {"h", 3'600'000'000'000},
};

constexpr std::uint64_t kMaxNanoseconds = std::numeric_limits<std::int64_t>::max();

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Result<Milliseconds> parse_duration(std::string_view text) {
  const std::string quoted = fmt::format("\"{}\"", text);
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return Milliseconds{0};
  if (s.empty()) return fail(fmt::format("invalid duration {}: expected a number and a unit, like \"10s\"", quoted));

  // Go's algorithm: integer part exactly, fraction scaled into the unit, total
  // must fit in int64 nanoseconds.
  std::uint64_t total = 0;
  while (!s.empty()) {
    std::uint64_t whole = 0;
    bool whole_overflow = false;
    std::size_t i = 0;
    for (; i < s.size() && is_digit(s[i]); ++i) {
      if (whole > (kMaxNanoseconds - 9) / 10) whole_overflow = true;
      else whole = whole * 10 + static_cast<std::uint64_t>(s[i] - '0');
    }
    const bool had_whole = i > 0;
    std::uint64_t fraction = 0;
    double scale = 1;
    bool had_fraction = false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      for (; i < s.size() && is_digit(s[i]); ++i) {
        had_fraction = true;
        // Digits beyond what int64 can hold cannot change the result.
        if (fraction <= (kMaxNanoseconds - 9) / 10) {
          fraction = fraction * 10 + static_cast<std::uint64_t>(s[i] - '0');
          scale *= 10;
        }
      }
    }
    if (!had_whole && !had_fraction)
      return fail(fmt::format("invalid duration {}: expected a number and a unit, like \"10s\"", quoted));
    s.remove_prefix(i);

    std::size_t unit_len = 0;
    while (unit_len < s.size() && !is_digit(s[unit_len]) && s[unit_len] != '.') ++unit_len;
    const std::string_view unit_text = s.substr(0, unit_len);
    if (unit_text.empty())
      return fail(fmt::format("invalid duration {}: missing unit (use ns, us, ms, s, m or h)", quoted));
    const Unit* unit = nullptr;
    for (const auto& u : kUnits)
      if (u.name == unit_text) unit = &u;
    if (!unit)
      return fail(fmt::format("invalid duration {}: unknown unit \"{}\" (use ns, us, ms, s, m or h)", quoted,
                              unit_text));
    s.remove_prefix(unit_len);

    const auto too_large = [&] { return fail(fmt::format("invalid duration {}: too large", quoted)); };
    if (whole_overflow || whole > kMaxNanoseconds / unit->nanoseconds) return too_large();
    std::uint64_t part = whole * unit->nanoseconds;
    if (fraction > 0) {
      part += static_cast<std::uint64_t>(static_cast<double>(fraction) * (static_cast<double>(unit->nanoseconds) / scale));
      if (part > kMaxNanoseconds) return too_large();
    }
    if (total > kMaxNanoseconds - part) return too_large();
    total += part;
  }
  if (negative && total != 0) return fail(fmt::format("invalid duration {}: must not be negative", quoted));
  return Milliseconds{static_cast<std::int64_t>(total / 1'000'000)};
}

std::string format_duration(Milliseconds d) {
  if (d.count() == 0) return "0s";
  std::string out;
  std::int64_t ms = d.count();
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  if (ms < 1000) return out + fmt::format("{}ms", ms);
  const std::int64_t hours = ms / 3'600'000;
  const std::int64_t minutes = ms / 60'000 % 60;
  const std::int64_t seconds = ms / 1000 % 60;
  const std::int64_t millis = ms % 1000;
  if (hours) out += fmt::format("{}h", hours);
  if (minutes) out += fmt::format("{}m", minutes);
  if (seconds || millis) {
    out += fmt::format("{}", seconds);
    if (millis) {
      std::string frac = fmt::format("{:03}", millis);
      while (frac.back() == '0') frac.pop_back();
      out += "." + frac;
    }
    out += "s";
  }
  return out;
}

}  // namespace failoverdns
