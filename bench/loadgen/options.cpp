#include "options.hpp"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace fdns_bench {

namespace {

constexpr const char* kUsage = R"(usage: failoverdns-bench -d FILE [options]
Sends DNS queries from FILE (dnsperf's format: "name TYPE" per line; lines
starting with ; are comments, as for dnsperf, and so are lines with #)
round-robin to a server and reports throughput, rcodes and latency percentiles.

  -s ADDR            server address, IPv4 or IPv6 (127.0.0.1)
  -p PORT            server port (53)
  -d FILE            query file
  -l SECONDS         how long to send (10)
  -T, --threads N    load threads, each with its own socket(s) and ID space (1)
  --tcp              DNS over TCP, queries pipelined on each connection
  -c, --connections N  TCP connections over all threads (one per thread)
  -Q, --rate QPS     open loop: offer QPS queries/s in all, on a fixed schedule;
                     latency counts from each query's scheduled send time
  --max              closed loop (the default): keep --window queries in
                     flight per thread, as fast as the server answers
  -q, --window W     closed loop: queries in flight per thread (100)
  -t, --timeout S    a query unanswered after S seconds is lost (1)
  --batch N          messages per sendmmsg/recvmmsg, 1-256 (32)
  --edns             send an EDNS0 OPT record (payload 1232)
  --spin             busy-poll instead of sleeping: sends leave on schedule and
                     answers are timed as they land, at the cost of one core
                     per thread (a sleeping thread wakes tens of µs late on a VM)
  --json             print the results as one JSON object
  -h, --help         this text

Answers are checked: ID in flight, same question (name in any case, type,
class); anything else counts as an error. Latency comes from a log-linear
histogram (< 0.4% relative error), reported in microseconds.
)";

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "failoverdns-bench: %s (see --help)\n", message.c_str());
  std::exit(2);
}

double to_double(std::string_view flag, std::string_view text, double low, double high) {
  double value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size() || !(value >= low && value <= high)) {
    char range[64];
    std::snprintf(range, sizeof range, "from %g to %g", low, high);
    usage_error(std::string(flag) + ": expected a number " + range + ", got \"" + std::string(text) + "\"");
  }
  return value;
}

unsigned to_unsigned(std::string_view flag, std::string_view text, unsigned low, unsigned high) {
  unsigned value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size() || value < low || value > high) {
    usage_error(std::string(flag) + ": expected an integer from " + std::to_string(low) + " to " +
                std::to_string(high) + ", got \"" + std::string(text) + "\"");
  }
  return value;
}

}  // namespace

Options parse_options(int argc, char** argv) {
  Options o;
  bool max = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) {
        usage_error(std::string(arg) + " needs a value");
      }
      return argv[++i];
    };
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (arg == "-s" || arg == "--server") {
      o.server = value();
    } else if (arg == "-p" || arg == "--port") {
      o.port = static_cast<std::uint16_t>(to_unsigned(arg, value(), 1, 65535));
    } else if (arg == "-d" || arg == "--queries") {
      o.query_file = value();
    } else if (arg == "-l" || arg == "--duration") {
      o.duration_s = to_double(arg, value(), 0.01, 86400);
    } else if (arg == "-T" || arg == "--threads") {
      o.threads = to_unsigned(arg, value(), 1, 256);
    } else if (arg == "--tcp") {
      o.tcp = true;
    } else if (arg == "-c" || arg == "--connections") {
      o.connections = to_unsigned(arg, value(), 1, 65535);
    } else if (arg == "-Q" || arg == "--rate") {
      o.rate = to_double(arg, value(), 1, 1e8);
    } else if (arg == "--max") {
      max = true;
    } else if (arg == "-q" || arg == "--window") {
      o.window = to_unsigned(arg, value(), 1, 60000);
    } else if (arg == "-t" || arg == "--timeout") {
      o.timeout_s = to_double(arg, value(), 0.001, 60);
    } else if (arg == "--batch") {
      o.batch = to_unsigned(arg, value(), 1, 256);
    } else if (arg == "--spin") {
      o.spin = true;
    } else if (arg == "--edns") {
      o.edns = true;
    } else if (arg == "--json") {
      o.json = true;
    } else {
      usage_error("unknown argument \"" + std::string(arg) + "\"");
    }
  }
  if (o.query_file.empty()) {
    usage_error("no query file (-d FILE)");
  }
  if (max && o.rate > 0) {
    usage_error("--max and --rate exclude each other: closed loop or open loop");
  }
  if (o.tcp) {
    if (o.connections == 0) {
      o.connections = o.threads;
    }
    if (o.connections < o.threads) {
      usage_error("--connections must be at least --threads (each thread needs one)");
    }
  } else if (o.connections != 0) {
    usage_error("--connections is for --tcp");
  }
  return o;
}

}  // namespace fdns_bench
