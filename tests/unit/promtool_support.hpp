// Runs `promtool check metrics` (Debian's prometheus package) on a text:
// what Prometheus itself would say of our /metrics output, lint included.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace failoverdns::testing {

struct PromtoolVerdict {
  int exit_code = -1;  // 0: accepted without a remark
  std::string output;  // its complaints
};

inline PromtoolVerdict promtool_check(const std::string& text) {
  char path[] = "/tmp/failoverdns-metrics-XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) return {-1, "mkstemp failed"};
  ::close(fd);
  std::ofstream(path) << text;
  PromtoolVerdict verdict;
  const std::string command = std::string("promtool check metrics < ") + path + " 2>&1";
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buffer[512];
    while (std::fgets(buffer, sizeof buffer, pipe)) verdict.output += buffer;
    const int status = ::pclose(pipe);
    verdict.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  ::unlink(path);
  return verdict;
}

}  // namespace failoverdns::testing
