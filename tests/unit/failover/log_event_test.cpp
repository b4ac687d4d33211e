#include <doctest/doctest.h>

#include "failoverdns/failover/log_event.hpp"

using namespace failoverdns;

TEST_CASE("events format as one key=value line") {
  LogEvent e{LogLevel::warn,
             "failover_vetoed",
             {{"service", "mysql"}, {"reason", "a b"}, {"q", "say \"hi\""}, {"empty", ""}, {"nl", "x\ny"}}};
  CHECK(format(e) == R"(event=failover_vetoed service=mysql reason="a b" q="say \"hi\"" empty="" nl="x\ny")");
  CHECK(e.field("q") == "say \"hi\"");
  CHECK(e.field("absent").empty());
}
