// Consul (Go time.ParseDuration) duration strings: "0s", "250ms", "1m30s",
// "1.5h". Used by every config key that holds a duration or a TTL.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "failoverdns/support/error.hpp"

namespace failoverdns {

using Milliseconds = std::chrono::milliseconds;

// Accepts Go syntax: an optional sign, then one or more <decimal><unit> with
// units ns, us, µs, ms, s, m, h; "0" alone is zero. Negative values and
// values that do not fit are errors. Sub-millisecond parts are rounded down.
Result<Milliseconds> parse_duration(std::string_view text);

// The shortest Go-style spelling: 0s, 250ms, 5s, 1m30s, 2h.
std::string format_duration(Milliseconds d);

}  // namespace failoverdns
