#include "failoverdns/failover/gtid.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace failoverdns;

namespace {

GtidPosition pos(const char* text) {
  auto p = GtidPosition::parse(text);
  REQUIRE_MESSAGE(p.has_value(), text);
  return *p;
}

}  // namespace

TEST_CASE("GTID positions parse, tolerate blanks and print canonically") {
  struct Case {
    const char* text;
    const char* canonical;
  };
  const std::vector<Case> cases = {
      {"", ""},
      {"   \n ", ""},
      {"0-1-100", "0-1-100"},
      {"0-1-100,1-2-5", "0-1-100,1-2-5"},
      {"1-2-5,0-1-100", "0-1-100,1-2-5"},    // sorted by domain
      {"0-1-100,\n1-2-5", "0-1-100,1-2-5"},  // SHOW SLAVE STATUS style
      {" 0-1-100 , 1-2-5 \r\n", "0-1-100,1-2-5"},
      {"0-2-7,0-1-9", "0-1-9,0-2-7"},  // a binlog state: two servers, one domain
      {"4294967295-4294967295-18446744073709551615", "4294967295-4294967295-18446744073709551615"},
      {"0-0-0", "0-0-0"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    auto p = GtidPosition::parse(c.text);
    REQUIRE(p.has_value());
    CHECK(p->to_string() == c.canonical);
  }
}

TEST_CASE("malformed GTID positions are errors that quote the text") {
  const std::vector<const char*> bad = {
      "0-1",                       // two parts
      "0-1-2-3",                   // four parts
      "a-1-2",                     // not a number
      "0-1-",                      // empty seq
      "-1-2",                      // empty domain
      "0--1-2",                    // negative-looking
      "0-+1-2",                    // sign
      "0-1-2,",                    // stray comma
      ",0-1-2",                    //
      "0-1-2,,1-1-1",              //
      "4294967296-1-1",            // domain beyond 32 bits
      "0-4294967296-1",            // server beyond 32 bits
      "0-1-18446744073709551616",  // seq beyond 64 bits
      "0-1-5,0-1-6",               // same (domain, server) twice
      "0 - 1 - 2",                 // blanks inside an element
      "0-1-2;1-1-1",               //
  };
  for (const char* text : bad) {
    CAPTURE(text);
    auto p = GtidPosition::parse(text);
    REQUIRE_FALSE(p.has_value());
    CHECK(p.error().message.find("GTID") != std::string::npos);
  }
  auto p = GtidPosition::parse("0-1-x");
  REQUIRE_FALSE(p);
  CHECK(p.error().message.find("\"0-1-x\"") != std::string::npos);
}

TEST_CASE("compare orders positions domain by domain") {
  struct Case {
    const char* a;
    const char* b;
    GtidOrder expected;
  };
  const std::vector<Case> cases = {
      {"", "", GtidOrder::equal},
      {"0-1-100", "0-1-100", GtidOrder::equal},
      {"0-1-101", "0-1-100", GtidOrder::ahead},
      {"0-1-99", "0-1-100", GtidOrder::behind},
      {"0-2-101", "0-1-100", GtidOrder::ahead},  // seq decides, whichever server wrote it
      {"0-1-100,1-1-5", "0-1-100", GtidOrder::ahead},
      {"0-1-100", "0-1-100,1-1-5", GtidOrder::behind},
      {"0-1-101,1-1-4", "0-1-100,1-1-5", GtidOrder::incomparable},
      {"0-1-100,1-1-5", "0-1-100,1-1-5", GtidOrder::equal},
      {"", "0-1-1", GtidOrder::behind},
      {"0-1-0", "", GtidOrder::equal},
  };
  for (const auto& c : cases) {
    CAPTURE(c.a);
    CAPTURE(c.b);
    CHECK(compare(pos(c.a), pos(c.b)) == c.expected);
  }
}

TEST_CASE("contains matches domain and server, so a new primary's seq does not hide a diverged one") {
  struct Case {
    const char* history;
    const char* position;
    bool expected;
  };
  const std::vector<Case> cases = {
      {"0-1-100", "0-1-90", true},
      {"0-1-100", "0-1-100", true},
      {"0-1-100", "0-1-101", false},
      {"0-2-110", "0-1-105", false},         // old primary's 0-1-105: the new one's 0-2-110 proves nothing
      {"0-1-103,0-2-110", "0-1-103", true},  // lineage says 0-1-103 made it
      {"0-1-103,0-2-110", "0-1-105", false},
      {"0-1-100", "", true},
      {"", "0-1-1", false},
      {"0-1-100,1-3-7", "1-3-7,0-1-50", true},
  };
  for (const auto& c : cases) {
    CAPTURE(c.history);
    CAPTURE(c.position);
    CHECK(contains(pos(c.history), pos(c.position)) == c.expected);
    CHECK(missing_from(pos(c.history), pos(c.position)).empty() == c.expected);
  }
}

TEST_CASE("missing_from names exactly the transactions a history lacks") {
  auto missing = missing_from(pos("0-1-103,0-2-110,1-2-4"), pos("0-1-105,1-2-4,2-1-9"));
  REQUIRE(missing.size() == 2);
  CHECK(missing[0] == GtidRange{0, 1, 103, 105});
  CHECK(missing[1] == GtidRange{2, 1, std::nullopt, 9});
  CHECK(to_string(missing) == "0-1-104..0-1-105,2-1-?..2-1-9");
  CHECK(to_string(GtidRange{0, 1, 104, 105}) == "0-1-105");
}

TEST_CASE("merge keeps the highest seq per domain and server; total_seq sums domain heads") {
  auto m = merge(pos("0-1-100,1-2-5"), pos("0-1-90,0-2-120,1-2-7"));
  CHECK(m.to_string() == "0-1-100,0-2-120,1-2-7");
  CHECK(m.seq_in_domain(0) == 120u);
  CHECK(m.seq_of(0, 1) == 100u);
  CHECK_FALSE(m.seq_of(2, 1).has_value());
  CHECK(total_seq(m) == 127u);
  CHECK(total_seq(pos("0-1-18446744073709551615,1-1-5")) == 18446744073709551615u);  // saturates
}
