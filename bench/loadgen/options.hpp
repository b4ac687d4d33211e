// failoverdns-bench's command line. The short letters follow dnsperf's where
// the meaning is the same (-s -p -d -l -c -q -Q -t -T), so a dnsperf command
// line mostly carries over.
#pragma once

#include <cstdint>
#include <string>

namespace fdns_bench {

struct Options {
  std::string server = "127.0.0.1";
  std::uint16_t port = 53;
  std::string query_file;
  double duration_s = 10.0;
  unsigned threads = 1;
  bool tcp = false;
  unsigned connections = 0;  // TCP, over all threads; 0 = one per thread
  double rate = 0.0;         // open loop, total over all threads; 0 = closed loop (--max)
  unsigned window = 100;     // closed loop, per thread
  double timeout_s = 1.0;
  unsigned batch = 32;
  bool edns = false;
  bool spin = false;
  bool json = false;
};

// Parses argv; on --help prints the usage and exits 0, on a bad argument
// prints what is wrong and exits 2.
Options parse_options(int argc, char** argv);

}  // namespace fdns_bench
