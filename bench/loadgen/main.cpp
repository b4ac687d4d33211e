// failoverdns-bench: a DNS load generator for benchmarking failoverdns beside
// other servers (bench/compare). Open loop at a fixed offered rate with
// latency counted from the schedule, or closed loop for maximum throughput;
// UDP with batched syscalls or TCP pipelined. See --help and bench/README.md.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <thread>
#include <vector>

#include "load.hpp"
#include "options.hpp"
#include "report.hpp"

using namespace fdns_bench;

namespace {

Target resolve(const Options& o) {
  Target t;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&t.address);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&t.address);
  if (::inet_pton(AF_INET, o.server.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(o.port);
    t.length = sizeof(sockaddr_in);
  } else if (::inet_pton(AF_INET6, o.server.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(o.port);
    t.length = sizeof(sockaddr_in6);
  } else {
    std::fprintf(stderr, "failoverdns-bench: -s %s: expected an IPv4 or IPv6 address\n", o.server.c_str());
    std::exit(2);
  }
  return t;
}

int open_socket(const Options& o, const Target& target) {
  const int fd = connect_socket(target, o.tcp ? SOCK_STREAM : SOCK_DGRAM);
  if (fd < 0) {
    std::fprintf(stderr, "failoverdns-bench: cannot %s %s port %u: %s\n", o.tcp ? "connect over TCP to" : "use",
                 o.server.c_str(), o.port, std::strerror(errno));
    std::exit(1);
  }
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse_options(argc, argv);
  std::unique_ptr<QuerySet> queries;
  try {
    queries = std::make_unique<QuerySet>(QuerySet::load(options.query_file, options.edns));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "failoverdns-bench: %s\n", e.what());
    return 2;
  }
  const Target target = resolve(options);

  // Sockets are set up before the clock starts, so connecting is not load.
  std::vector<std::vector<int>> fds(options.threads);
  for (unsigned t = 0; t < options.threads; ++t) {
    const unsigned count =
        options.tcp ? options.connections / options.threads + (t < options.connections % options.threads ? 1 : 0) : 1;
    for (unsigned c = 0; c < count; ++c) {
      fds[t].push_back(open_socket(options, target));
    }
  }

  const auto timeout_ns = static_cast<std::int64_t>(options.timeout_s * 1e9);
  const std::int64_t start = now_ns() + 20'000'000;
  const std::int64_t end = start + static_cast<std::int64_t>(options.duration_s * 1e9);
  std::vector<LoadPlan> plans(options.threads);
  std::vector<std::unique_ptr<RunStats>> stats;
  for (unsigned t = 0; t < options.threads; ++t) {
    LoadPlan& p = plans[t];
    p.queries = queries.get();
    p.first_query = queries->size() * t / options.threads;
    p.start_ns = start;
    p.end_ns = end;
    p.timeout_ns = timeout_ns;
    p.rate = options.rate / options.threads;
    p.phase = static_cast<double>(t) / options.threads;
    p.window = options.window;
    p.batch = options.batch;
    p.spin = options.spin;
    stats.push_back(std::make_unique<RunStats>());
  }

  std::vector<std::thread> threads;
  for (unsigned t = 0; t < options.threads; ++t) {
    threads.emplace_back([&, t] {
      if (options.tcp) {
        run_tcp_load(plans[t], target, fds[t], *stats[t]);
      } else {
        run_udp_load(plans[t], fds[t][0], *stats[t]);
        ::close(fds[t][0]);
      }
    });
  }
  auto total = std::make_unique<RunStats>();
  for (unsigned t = 0; t < options.threads; ++t) {
    threads[t].join();
    total->merge(*stats[t]);
  }

  const double elapsed_s =
      total->answered > 0 ? static_cast<double>(total->last_answer_ns - start) / 1e9 : options.duration_s;
  const RunSummary run{options, *total, queries->size(), elapsed_s};
  if (options.json) {
    std::printf("%s\n", to_json(run).dump().c_str());
  } else {
    print_text(run);
  }
  return 0;
}
