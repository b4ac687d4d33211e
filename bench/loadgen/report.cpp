#include "report.hpp"

#include <cmath>
#include <cstdio>
#include <string>

namespace fdns_bench {

namespace {

constexpr std::array<const char*, 11> kRcodeNames{"NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
                                                  "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE"};

std::string rcode_name(std::size_t rcode) {
  return rcode < kRcodeNames.size() ? kRcodeNames[rcode] : "RCODE" + std::to_string(rcode);
}

double round2(double v) { return std::round(v * 100.0) / 100.0; }

struct Percentile {
  const char* name;
  double p;
};
constexpr std::array<Percentile, 4> kPercentiles{{{"p50", 50.0}, {"p90", 90.0}, {"p99", 99.0}, {"p99.9", 99.9}}};

nlohmann::ordered_json latency_json(const LatencyHistogram& h) {
  nlohmann::ordered_json j;
  j["min"] = round2(static_cast<double>(h.min_ns()) / 1e3);
  for (const auto& p : kPercentiles) {
    j[p.name] = round2(h.percentile_ns(p.p) / 1e3);
  }
  j["max"] = round2(static_cast<double>(h.max_ns()) / 1e3);
  j["mean"] = round2(h.mean_ns() / 1e3);
  return j;
}

void print_latency(const char* label, const LatencyHistogram& h) {
  std::printf("%-12s min %.1f", label, static_cast<double>(h.min_ns()) / 1e3);
  for (const auto& p : kPercentiles) {
    std::printf("  %s %.1f", p.name, h.percentile_ns(p.p) / 1e3);
  }
  std::printf("  max %.1f  mean %.1f\n", static_cast<double>(h.max_ns()) / 1e3, h.mean_ns() / 1e3);
}

}  // namespace

nlohmann::ordered_json to_json(const RunSummary& run) {
  const Options& o = run.options;
  const RunStats& s = run.stats;
  nlohmann::ordered_json j;
  j["server"] = o.server;
  j["port"] = o.port;
  j["protocol"] = o.tcp ? "tcp" : "udp";
  j["mode"] = o.rate > 0 ? "rate" : "max";
  j["rate"] = o.rate > 0 ? nlohmann::ordered_json(o.rate) : nlohmann::ordered_json(nullptr);
  j["window"] = o.rate > 0 ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(o.window);
  j["threads"] = o.threads;
  j["connections"] = o.tcp ? nlohmann::ordered_json(o.connections) : nlohmann::ordered_json(nullptr);
  j["duration_s"] = o.duration_s;
  j["timeout_s"] = o.timeout_s;
  j["spin"] = o.spin;
  j["queries_in_file"] = run.query_count;
  j["sent"] = s.sent;
  j["answered"] = s.answered;
  j["lost"] = s.lost;
  j["errors"] = s.errors();
  j["error_detail"] = {
      {"mismatched", s.mismatched}, {"malformed", s.malformed}, {"unexpected", s.unexpected}, {"io", s.io_errors}};
  j["late"] = s.late;
  j["unsent"] = s.unsent;
  j["truncated"] = s.truncated;
  j["elapsed_s"] = std::round(run.elapsed_s * 1e4) / 1e4;
  j["qps"] = std::round(static_cast<double>(s.answered) / run.elapsed_s * 10.0) / 10.0;
  nlohmann::ordered_json rcodes = nlohmann::ordered_json::object();
  for (std::size_t r = 0; r < s.rcodes.size(); ++r) {
    if (s.rcodes[r] != 0) {
      rcodes[rcode_name(r)] = s.rcodes[r];
    }
  }
  j["rcodes"] = rcodes;
  j["latency_us"] = latency_json(s.latency);
  j["send_lag_us"] = o.rate > 0 ? latency_json(s.send_lag) : nlohmann::ordered_json(nullptr);
  return j;
}

void print_text(const RunSummary& run) {
  const Options& o = run.options;
  const RunStats& s = run.stats;
  if (o.rate > 0) {
    std::printf("failoverdns-bench: %s %s port %u, open loop at %.0f qps, %u thread(s)", o.tcp ? "TCP" : "UDP",
                o.server.c_str(), o.port, o.rate, o.threads);
  } else {
    std::printf("failoverdns-bench: %s %s port %u, closed loop, %u in flight per thread, %u thread(s)",
                o.tcp ? "TCP" : "UDP", o.server.c_str(), o.port, o.window, o.threads);
  }
  if (o.tcp) {
    std::printf(", %u connection(s)", o.connections);
  }
  std::printf(", %g s, timeout %g s, %zu queries in the file\n", o.duration_s, o.timeout_s, run.query_count);
  std::printf("sent         %llu\n", static_cast<unsigned long long>(s.sent));
  std::printf("answered     %llu\n", static_cast<unsigned long long>(s.answered));
  std::printf("lost         %llu\n", static_cast<unsigned long long>(s.lost));
  std::printf("errors       %llu (mismatched %llu, malformed %llu, unexpected %llu, io %llu)\n",
              static_cast<unsigned long long>(s.errors()), static_cast<unsigned long long>(s.mismatched),
              static_cast<unsigned long long>(s.malformed), static_cast<unsigned long long>(s.unexpected),
              static_cast<unsigned long long>(s.io_errors));
  if (s.late != 0 || s.unsent != 0 || s.truncated != 0) {
    std::printf("late %llu, unsent %llu, truncated %llu\n", static_cast<unsigned long long>(s.late),
                static_cast<unsigned long long>(s.unsent), static_cast<unsigned long long>(s.truncated));
  }
  std::printf("qps          %.1f (answered / %.3f s)\n", static_cast<double>(s.answered) / run.elapsed_s,
              run.elapsed_s);
  std::printf("rcodes      ");
  for (std::size_t r = 0; r < s.rcodes.size(); ++r) {
    if (s.rcodes[r] != 0) {
      std::printf(" %s %llu", rcode_name(r).c_str(), static_cast<unsigned long long>(s.rcodes[r]));
    }
  }
  std::printf("\n");
  print_latency("latency us", s.latency);
  if (o.rate > 0) {
    print_latency("send lag us", s.send_lag);
  }
}

}  // namespace fdns_bench
