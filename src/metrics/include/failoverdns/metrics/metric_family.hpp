// Building prometheus::MetricFamily values by hand, at scrape time, from
// counters a collector owns: short helpers so a collector reads as the list
// of its metrics. Names and labels follow Prometheus conventions (base
// units, `_total` on counters); see src/metrics/README.md.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include <prometheus/metric_family.h>

namespace failoverdns::metrics {

using Label = std::pair<std::string_view, std::string_view>;

prometheus::MetricFamily counter(std::string name, std::string help);
prometheus::MetricFamily gauge(std::string name, std::string help);
prometheus::MetricFamily histogram(std::string name, std::string help);

// Appends one sample (the value goes to the field the family's type reads).
void add(prometheus::MetricFamily& family, std::initializer_list<Label> labels, double value);

// Appends one histogram sample. `bounds` are the buckets' upper bounds in
// increasing order; `counts[i]` counts observations in (bounds[i-1],
// bounds[i]], and `counts[bounds.size()]` those above the last bound (the
// +Inf bucket). `sum` is in the family's base unit.
void add_histogram(prometheus::MetricFamily& family, std::initializer_list<Label> labels,
                   std::span<const double> bounds, std::span<const std::uint64_t> counts, double sum);

}  // namespace failoverdns::metrics
