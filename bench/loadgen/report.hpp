// The figures of one failoverdns-bench run, as text for a person or as one
// JSON object for bench/compare and the smoke test. Both carry the same keys.
#pragma once

#include <nlohmann/json.hpp>

#include "load.hpp"
#include "options.hpp"

namespace fdns_bench {

struct RunSummary {
  const Options& options;
  const RunStats& stats;
  std::size_t query_count;
  double elapsed_s;  // from the start to the last answer (the run time if none)
};

nlohmann::ordered_json to_json(const RunSummary& run);
void print_text(const RunSummary& run);

}  // namespace fdns_bench
