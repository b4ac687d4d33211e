// One HTTP request to failoverdns's API, with a deadline for all of it
// (connect, send, receive). For the command line only: it runs its own
// io_context and blocks its caller until the answer or the deadline.
#pragma once

#include <chrono>
#include <string>

#include "failoverdns/support/error.hpp"

namespace failoverdns::cli {

struct HttpReply {
  int status = 0;
  std::string body;
};

// `address`: "host:port" or "[v6]:port" (an "http://" prefix is allowed);
// the error names the address and what to check.
Result<HttpReply> http_call(const std::string& address, const std::string& method, const std::string& target,
                            const std::string& token, std::chrono::milliseconds timeout);

}  // namespace failoverdns::cli
