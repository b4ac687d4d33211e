// HealthMonitor on a real io_context and a real LiveCatalog, with a fake
// check runner: scheduling, hysteresis into the catalog, restarts and
// stopping, without running scripts or connecting anywhere.
#include <utility>

#include <doctest/doctest.h>

#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "failoverdns/catalog/catalog.hpp"
#include "failoverdns/health/health_monitor.hpp"
#include "failoverdns/catalog/live_catalog.hpp"
#include "failoverdns/metrics/metrics_registry.hpp"
#include "unit/control_plane_support.hpp"
#include "unit/promtool_support.hpp"

using namespace failoverdns;
using namespace failoverdns::testing;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

// Check results as the test scripts them, per check id.
struct FakeChecks {
  explicit FakeChecks(asio::io_context& io) : gate(io) { gate.expires_at(asio::steady_timer::time_point::max()); }

  std::map<std::string, Health> result;  // what each check says now
  std::map<std::string, int> throws;     // how many of its next runs throw
  std::set<std::string> held;            // these wait at the gate (a check in flight)
  std::map<std::string, int> runs;       // started
  std::map<std::string, int> criticals;  // critical results returned
  int in_flight = 0;
  asio::steady_timer gate;

  void release() {
    gate.cancel();
    gate.expires_at(asio::steady_timer::time_point::max());
  }
};

// A free function, so its arguments live in the coroutine frame.
asio::awaitable<CheckResult> fake_check(FakeChecks* f, CheckDefinition check) {
  ++f->runs[check.id];
  if (f->throws[check.id] > 0) {
    --f->throws[check.id];
    throw std::runtime_error("fake check " + check.id + " blew up");
  }
  if (f->held.contains(check.id)) {
    ++f->in_flight;
    boost::system::error_code ec;
    co_await f->gate.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    --f->in_flight;
  }
  Health h = f->result.at(check.id);
  if (h == Health::critical) ++f->criticals[check.id];
  co_return CheckResult{h, "fake " + std::string(to_string(h))};
}

CheckDefinition tcp_check(std::string id, Milliseconds interval, int failures_before_critical = 0) {
  CheckDefinition c;
  c.id = std::move(id);
  c.kind = CheckKind::tcp;
  c.tcp = "127.0.0.1:80";
  c.interval = interval;
  c.timeout = 50ms;
  c.failures_before_critical = failures_before_critical;
  return c;
}

// One instance, web1, with checks `a` and `b`.
Config web_config(Milliseconds interval) {
  ServiceDefinition s;
  s.id = "web1";
  s.name = "web";
  s.address = "127.0.0.1";
  s.port = 80;
  s.checks = {tcp_check("a", interval, 2), tcp_check("b", interval)};
  Config c;
  c.services.push_back(s);
  return c;
}

struct Rig {
  asio::io_context io;
  FakeChecks fake{io};
  std::vector<Catalog> published;
  // Critical results check `a` had returned when web1 first went critical.
  std::optional<int> criticals_of_a_when_critical;
  Config config;
  LiveCatalog catalog;
  HealthMonitor monitor;

  explicit Rig(Milliseconds interval = 10ms)
      : config(web_config(interval)),
        catalog(make_catalog(config),
                [this](const Catalog& c) {
                  published.push_back(c);
                  if (!criticals_of_a_when_critical && c.instances.at(0).health == Health::critical)
                    criticals_of_a_when_critical = fake.criticals["a"];
                }),
        monitor(io, config, catalog,
                [f = &fake](asio::any_io_executor, CheckDefinition check, std::string, std::uint16_t) {
                  return fake_check(f, std::move(check));
                }) {
    fake.result = {{"a", Health::passing}, {"b", Health::passing}};
  }
  ~Rig() {
    monitor.stop();
    fake.held.clear();
    fake.release();
    run_until_idle(io);
  }

  Health health() const { return catalog.current().instances.at(0).health; }
};

}  // namespace

TEST_CASE("check results reach the catalog through hysteresis, the worst check per instance") {
  LogCapture log;
  INFO(log.text());
  Rig rig;
  rig.monitor.start();
  REQUIRE(run_until(rig.io, [&] { return rig.fake.runs["a"] >= 2 && rig.fake.runs["b"] >= 2; }));
  CHECK(rig.health() == Health::passing);

  // `b` has no hysteresis: its warning is the instance's at once.
  rig.fake.result["b"] = Health::warning;
  REQUIRE(run_until(rig.io, [&] { return rig.health() == Health::warning; }));

  // `a` needs two failures in a row; until then `b`, passing again, decides.
  rig.fake.result["b"] = Health::passing;
  REQUIRE(run_until(rig.io, [&] { return rig.health() == Health::passing; }));
  rig.fake.result["a"] = Health::critical;
  REQUIRE(run_until(rig.io, [&] { return rig.health() == Health::critical; }));
  CHECK(rig.criticals_of_a_when_critical == 2);
}

TEST_CASE("a check runner that throws is logged and restarted, not left frozen") {
  LogCapture log;
  INFO(log.text());
  Rig rig;
  rig.fake.throws["b"] = 1;
  rig.fake.result["b"] = Health::critical;
  rig.monitor.start();

  // The restart comes after must_live's pause (a second).
  REQUIRE(run_until(rig.io, [&] { return rig.health() == Health::critical; }));
  CHECK(log.lines_with("event=loop_failed", "fake check b blew up") == 1);
  CHECK(rig.fake.runs["b"] >= 2);
}

TEST_CASE("stop() cancels the check timers and drops what checks in flight return") {
  LogCapture log;
  INFO(log.text());
  Rig rig(60s);  // after its first run every check waits on its timer
  rig.fake.held = {"b"};
  rig.fake.result["b"] = Health::critical;
  rig.monitor.start();
  REQUIRE(run_until(rig.io, [&] { return rig.fake.runs["a"] == 1 && rig.fake.in_flight == 1; }));

  rig.monitor.stop();
  const auto publications = rig.published.size();
  rig.fake.release();  // the check in flight ends (by its timeout, for a real one)
  CHECK(run_until_idle(rig.io));

  CHECK(rig.published.size() == publications);
  CHECK(rig.health() == Health::passing);
  CHECK(rig.fake.runs["a"] == 1);
  CHECK(rig.fake.runs["b"] == 1);
}

TEST_CASE("metrics: each check's results by outcome, its durations and its status after hysteresis") {
  LogCapture log;
  Rig rig;
  MetricsRegistry registry;
  registry.add(rig.monitor.metrics());
  rig.fake.result["a"] = Health::critical;  // `a` turns critical after two failures
  rig.monitor.start();
  REQUIRE(run_until(rig.io, [&] { return rig.fake.criticals["a"] >= 3 && rig.fake.runs["b"] >= 3; }));
  rig.monitor.stop();
  run_until_idle(rig.io);

  auto value = [&](const std::string& family, const std::map<std::string, std::string>& labels) {
    for (const auto& f : registry.collect()) {
      if (f.name != family) continue;
      for (const auto& m : f.metric) {
        std::map<std::string, std::string> have;
        for (const auto& l : m.label) have[l.name] = l.value;
        if (have != labels) continue;
        if (f.type == prometheus::MetricType::Histogram) return static_cast<double>(m.histogram.sample_count);
        return f.type == prometheus::MetricType::Gauge ? m.gauge.value : m.counter.value;
      }
    }
    FAIL("no sample " << family);
    return -1.0;
  };
  auto results = [&](const char* check, const char* result) {
    return value("failoverdns_check_results_total",
                 {{"service", "web"}, {"instance", "web1"}, {"check", check}, {"result", result}});
  };
  auto runs_of = [&](const char* check) {
    return value("failoverdns_check_duration_seconds", {{"service", "web"}, {"instance", "web1"}, {"check", check}});
  };
  auto status = [&](const char* check, const char* s) {
    return value("failoverdns_check_status",
                 {{"service", "web"}, {"instance", "web1"}, {"check", check}, {"status", s}});
  };
  CHECK(results("a", "critical") == rig.fake.criticals["a"]);
  CHECK(results("a", "passing") == 0);
  CHECK(results("b", "passing") == rig.fake.runs["b"]);
  CHECK(results("b", "warning") == 0);
  CHECK(runs_of("a") == rig.fake.runs["a"]);
  CHECK(runs_of("b") == rig.fake.runs["b"]);
  CHECK(status("a", "critical") == 1);
  CHECK(status("a", "passing") == 0);
  CHECK(status("b", "passing") == 1);

  const auto verdict = testing::promtool_check(registry.render());
  INFO(registry.render());
  INFO(verdict.output);
  CHECK(verdict.exit_code == 0);
  CHECK(verdict.output.empty());
}
