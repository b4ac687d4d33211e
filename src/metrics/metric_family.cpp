#include "failoverdns/metrics/metric_family.hpp"

#include <limits>

namespace failoverdns::metrics {

namespace {

// The text format escapes `\` and newline in HELP; prometheus-cpp 1.0.1
// escapes label values but writes HELP as given (promtool then rejects it).
std::string escaped_help(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\' || c == '\n') out.push_back('\\');
    out.push_back(c == '\n' ? 'n' : c);
  }
  return out;
}

prometheus::MetricFamily family(std::string name, std::string_view help, prometheus::MetricType type) {
  prometheus::MetricFamily f;
  f.name = std::move(name);
  f.help = escaped_help(help);
  f.type = type;
  return f;
}

prometheus::ClientMetric& sample(prometheus::MetricFamily& family, std::initializer_list<Label> labels) {
  auto& m = family.metric.emplace_back();
  m.label.reserve(labels.size());
  for (const auto& [name, value] : labels) m.label.push_back({std::string(name), std::string(value)});
  return m;
}

}  // namespace

prometheus::MetricFamily counter(std::string name, std::string help) {
  return family(std::move(name), help, prometheus::MetricType::Counter);
}

prometheus::MetricFamily gauge(std::string name, std::string help) {
  return family(std::move(name), help, prometheus::MetricType::Gauge);
}

prometheus::MetricFamily histogram(std::string name, std::string help) {
  return family(std::move(name), help, prometheus::MetricType::Histogram);
}

void add(prometheus::MetricFamily& family, std::initializer_list<Label> labels, double value) {
  auto& m = sample(family, labels);
  switch (family.type) {
    case prometheus::MetricType::Counter: m.counter.value = value; break;
    case prometheus::MetricType::Gauge: m.gauge.value = value; break;
    default: m.untyped.value = value; break;
  }
}

void add_histogram(prometheus::MetricFamily& family, std::initializer_list<Label> labels,
                   std::span<const double> bounds, std::span<const std::uint64_t> counts, double sum) {
  auto& m = sample(family, labels);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= bounds.size(); ++i) {
    cumulative += i < counts.size() ? counts[i] : 0;
    m.histogram.bucket.push_back(
        {cumulative, i < bounds.size() ? bounds[i] : std::numeric_limits<double>::infinity()});
  }
  m.histogram.sample_count = cumulative;
  m.histogram.sample_sum = sum;
}

}  // namespace failoverdns::metrics
