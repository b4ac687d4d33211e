// MetricsRegistry and the family helpers: known values render to known
// text, families merge, expired collectors vanish, and promtool accepts
// what we write (and rejects what it should, so the check means something).
#include "failoverdns/metrics/metrics_registry.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "failoverdns/metrics/local_counter.hpp"
#include "failoverdns/metrics/local_histogram.hpp"
#include "failoverdns/metrics/metric_family.hpp"
#include "unit/promtool_support.hpp"

using namespace failoverdns;
using namespace std::chrono_literals;
namespace m = failoverdns::metrics;

namespace {

std::vector<prometheus::MetricFamily> service_families(std::string_view service, double role) {
  auto f = m::gauge("failoverdns_test_role", "Role of the instance.");
  m::add(f, {{"service", service}}, role);
  return {f};
}

}  // namespace

TEST_CASE("counters, gauges and labels render as Prometheus text with HELP and TYPE") {
  MetricsRegistry registry;
  auto collector = make_collector([] {
    auto queries = m::counter("failoverdns_test_queries_total", "Queries answered.");
    m::add(queries, {{"qtype", "A"}, {"rcode", "NOERROR"}}, 42);
    m::add(queries, {{"qtype", "SRV"}, {"rcode", "NXDOMAIN"}}, 7);
    auto serial = m::gauge("failoverdns_test_serial", "Serial in use.");
    m::add(serial, {}, 1764691200);
    return std::vector{queries, serial};
  });
  registry.add(collector);
  CHECK(registry.render() ==
        "# HELP failoverdns_test_queries_total Queries answered.\n"
        "# TYPE failoverdns_test_queries_total counter\n"
        "failoverdns_test_queries_total{qtype=\"A\",rcode=\"NOERROR\"} 42\n"
        "failoverdns_test_queries_total{qtype=\"SRV\",rcode=\"NXDOMAIN\"} 7\n"
        "# HELP failoverdns_test_serial Serial in use.\n"
        "# TYPE failoverdns_test_serial gauge\n"
        "failoverdns_test_serial 1764691200\n");
}

TEST_CASE("a histogram renders cumulative buckets, +Inf, sum and count") {
  m::LocalDurationHistogram h;
  h.observe(3us);        // <= 5 us
  h.observe(5us, 2);     // on a bound: that bucket
  h.observe(700ms);      // <= 1 s
  h.observe(2s);         // +Inf
  std::array<std::uint64_t, m::LocalDurationHistogram::bucket_count> counts{};
  double sum = 0;
  h.add_to(counts, sum);
  CHECK(counts[0] == 3);
  CHECK(counts[16] == 1);
  CHECK(counts[17] == 1);
  CHECK(sum == doctest::Approx(2.700013));

  auto f = m::histogram("failoverdns_test_duration_seconds", "How long.");
  const std::array<double, 2> bounds{0.001, 1};
  const std::array<std::uint64_t, 3> buckets{3, 1, 1};
  m::add_histogram(f, {{"transport", "udp"}}, bounds, buckets, 2.5);
  MetricsRegistry registry;
  auto collector = make_collector([&] { return std::vector{f}; });
  registry.add(collector);
  CHECK(registry.render() ==
        "# HELP failoverdns_test_duration_seconds How long.\n"
        "# TYPE failoverdns_test_duration_seconds histogram\n"
        "failoverdns_test_duration_seconds_count{transport=\"udp\"} 5\n"
        "failoverdns_test_duration_seconds_sum{transport=\"udp\"} 2.5\n"
        "failoverdns_test_duration_seconds_bucket{transport=\"udp\",le=\"0.001\"} 3\n"
        "failoverdns_test_duration_seconds_bucket{transport=\"udp\",le=\"1\"} 4\n"
        "failoverdns_test_duration_seconds_bucket{transport=\"udp\",le=\"+Inf\"} 5\n");
}

TEST_CASE("a duration lands in the first bucket whose bound it does not exceed") {
  using H = m::LocalDurationHistogram;
  std::vector<std::int64_t> durations{0, 1, 2, 3, 1023, 1024, 1025};
  for (double bound : H::bounds_seconds) {
    const auto ns = static_cast<std::int64_t>(bound * 1e9 + 0.5);
    durations.insert(durations.end(), {ns - 1, ns, ns + 1});
  }
  for (std::int64_t ns = 1; ns < 4'000'000'000; ns = ns * 3 / 2 + 1) durations.push_back(ns);
  for (std::int64_t ns : durations) {
    CAPTURE(ns);
    std::size_t expected = 0;
    while (expected < H::bounds_seconds.size() && static_cast<double>(ns) > H::bounds_seconds[expected] * 1e9 + 0.5)
      ++expected;
    H h;
    h.observe(std::chrono::nanoseconds(ns));
    std::array<std::uint64_t, H::bucket_count> counts{};
    double sum = 0;
    h.add_to(counts, sum);
    CHECK(counts[expected] == 1);
  }
}

TEST_CASE("a LocalCounter counts what its owner adds") {
  m::LocalCounter c;
  c.add();
  c.add(41);
  CHECK(c.load() == 42);
}

TEST_CASE("families of one name from several collectors become one family") {
  MetricsRegistry registry;
  auto mysql = make_collector([] { return service_families("mysql", 1); });
  auto web = make_collector([] { return service_families("web", 0); });
  registry.add(mysql);
  registry.add(web);
  registry.add(mysql);  // again (kept across a reload): still once
  CHECK(registry.render() ==
        "# HELP failoverdns_test_role Role of the instance.\n"
        "# TYPE failoverdns_test_role gauge\n"
        "failoverdns_test_role{service=\"mysql\"} 1\n"
        "failoverdns_test_role{service=\"web\"} 0\n");
  CHECK(testing::promtool_check(registry.render()).exit_code == 0);
}

TEST_CASE("a collector whose owner let it go is no longer asked") {
  MetricsRegistry registry;
  int asked = 0;
  auto kept = make_collector([] { return service_families("mysql", 1); });
  auto dropped = make_collector([&] {
    ++asked;
    return service_families("web", 0);
  });
  registry.add(kept);
  registry.add(dropped);
  CHECK(registry.collect().front().metric.size() == 2);
  dropped.reset();
  CHECK(registry.collect().front().metric.size() == 1);
  CHECK(asked == 1);
}

TEST_CASE("promtool accepts our families and rejects a malformed text") {
  MetricsRegistry registry;
  auto collector = make_collector([] {
    auto queries =
        m::counter("failoverdns_test_queries_total", "Queries answered, with \"quotes\", \\ and\na newline.");
    m::add(queries, {{"qtype", "A"}, {"name", "odd \"value\"\n"}}, 1);
    auto h = m::histogram("failoverdns_test_duration_seconds", "How long.");
    m::LocalDurationHistogram local;
    local.observe(20us, 3);
    std::array<std::uint64_t, m::LocalDurationHistogram::bucket_count> counts{};
    double sum = 0;
    local.add_to(counts, sum);
    m::add_histogram(h, {{"transport", "tcp"}}, m::LocalDurationHistogram::bounds_seconds, counts, sum);
    return std::vector{queries, h};
  });
  registry.add(collector);
  const auto verdict = testing::promtool_check(registry.render());
  INFO(registry.render());
  INFO(verdict.output);
  CHECK(verdict.exit_code == 0);
  CHECK(verdict.output.empty());
  CHECK(registry.render().starts_with(
      "# HELP failoverdns_test_queries_total Queries answered, with \"quotes\", \\\\ and\\na newline.\n"));

  // The check can fail: a counter without _total is a lint error, a broken
  // label set a parse error.
  CHECK(testing::promtool_check("# HELP x_count y\n# TYPE x_count counter\nx_count 1\n").exit_code != 0);
  CHECK(testing::promtool_check("failoverdns_x{ 1\n").exit_code != 0);
}
