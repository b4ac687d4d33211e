#include <doctest/doctest.h>

#include "failoverdns/config/duration.hpp"

using namespace failoverdns;
using namespace std::chrono_literals;

TEST_CASE("parse_duration accepts Go duration syntax") {
  struct Case {
    const char* text;
    Milliseconds want;
  };
  const Case cases[] = {
      {"0", 0ms},         {"0s", 0ms},          {"-0s", 0ms},        {"+5s", 5s},          {"5s", 5s},
      {"250ms", 250ms},   {"1m30s", 90s},       {"1.5h", 90min},     {"2h", 2h},           {"1h2m3s4ms", 3723004ms},
      {".5s", 500ms},     {"5.s", 5s},          {"1.001s", 1001ms},  {"1500us", 1ms},      {"999999ns", 0ms},
      {"1000000ns", 1ms}, {"2000\u00b5s", 2ms}, {"3000\u03bcs", 3ms}, {"10m", 600s},        {"0.1s", 100ms},
      {"1s1s", 2s},       {"2562047h", 2562047h},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.text));
    auto d = parse_duration(c.text);
    REQUIRE(d.has_value());
    CHECK(*d == c.want);
  }
}

TEST_CASE("parse_duration rejects what Go rejects, and negatives") {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"", "invalid duration \"\": expected a number and a unit, like \"10s\""},
      {"5", "invalid duration \"5\": missing unit (use ns, us, ms, s, m or h)"},
      {"10", "invalid duration \"10\": missing unit (use ns, us, ms, s, m or h)"},
      {"5x", "invalid duration \"5x\": unknown unit \"x\" (use ns, us, ms, s, m or h)"},
      {"5 s", "invalid duration \"5 s\": unknown unit \" s\" (use ns, us, ms, s, m or h)"},
      {"5S", "invalid duration \"5S\": unknown unit \"S\" (use ns, us, ms, s, m or h)"},
      {"1d", "invalid duration \"1d\": unknown unit \"d\" (use ns, us, ms, s, m or h)"},
      {"s", "invalid duration \"s\": expected a number and a unit, like \"10s\""},
      {".s", "invalid duration \".s\": expected a number and a unit, like \"10s\""},
      {"-", "invalid duration \"-\": expected a number and a unit, like \"10s\""},
      {"-5s", "invalid duration \"-5s\": must not be negative"},
      {"1s-1s", "invalid duration \"1s-1s\": unknown unit \"s-\" (use ns, us, ms, s, m or h)"},
      {"2562048h", "invalid duration \"2562048h\": too large"},
      {"99999999999999999999s", "invalid duration \"99999999999999999999s\": too large"},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.text));
    auto d = parse_duration(c.text);
    REQUIRE_FALSE(d.has_value());
    CHECK(d.error().message == c.message);
  }
}

TEST_CASE("format_duration gives the shortest Go spelling, which parses back") {
  struct Case {
    Milliseconds d;
    const char* text;
  };
  const Case cases[] = {
      {0ms, "0s"},   {250ms, "250ms"},  {1s, "1s"},          {5s, "5s"},       {1500ms, "1.5s"}, {1001ms, "1.001s"},
      {90s, "1m30s"}, {60s, "1m"},      {2h, "2h"},          {3605s, "1h5s"},  {3723004ms, "1h2m3.004s"},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.text));
    CHECK(format_duration(c.d) == c.text);
    auto back = parse_duration(format_duration(c.d));
    REQUIRE(back.has_value());
    CHECK(*back == c.d);
  }
}
