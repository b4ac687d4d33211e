// The HTTP API's answers as a pure function of a request and an ApiView:
// Consul's read endpoints with Consul's JSON names and shapes, and ours
// (/v1/failover). No I/O and no clock: http_server.cpp does the sockets,
// who may write, and the waiting of blocking queries (?index=).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "failoverdns/http/api_view.hpp"

namespace failoverdns {

struct ApiRequest {
  std::string method;                        // "GET", "PUT", ...
  std::string path;                          // percent-decoded, no query
  std::map<std::string, std::string> query;  // decoded; "?passing" maps "passing" to ""
};

struct ApiResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::optional<std::uint64_t> index;  // sent as X-Consul-Index
};

// "/v1/x?a=b&c" into an ApiRequest; nullopt when its percent-encoding is bad.
std::optional<ApiRequest> parse_target(std::string_view method, std::string_view target);

// Which index a blocking query on this request waits for.
enum class WatchedIndex { none, catalog, failover };
WatchedIndex watched_index(const ApiRequest& request);
std::uint64_t index_of(WatchedIndex watched, const ApiView& view);

// Consul's ?wait=: "30s", "5m", "500ms"; default 5m, capped at 10m.
// nullopt when it is not a duration.
std::optional<std::chrono::milliseconds> parse_wait(const ApiRequest& request);

// Answers a GET (or HEAD); anything else is 405 here (writes are routed
// before this).
ApiResponse answer(const ApiRequest& request, const ApiView& view);

// The writes the control plane carries out (http_server.cpp checks who
// may send them first).
struct SwitchoverWrite {
  std::string service;
  std::string to;  // "" = the best replica
};
struct MaintenanceWrite {
  std::string instance;
  bool enable = false;
  std::string reason;
};
using Write = std::variant<SwitchoverWrite, MaintenanceWrite>;
// The write this request asks for; nullopt when it is none (then answer()
// says 404 or 405). A malformed one (?enable=maybe) is an error response.
std::optional<std::variant<Write, ApiResponse>> parse_write(const ApiRequest& request);

// How a switchover ended (the event that ended it) as the answer to its
// POST: 200 when complete, 409 refused or rolled back, 500 failed.
ApiResponse switchover_response(const LogEvent& ended);
// How a maintenance request ended: 200 enabled/disabled, 409 refused (or
// the primary's switchover failed).
ApiResponse maintenance_response(const LogEvent& ended);

// {"error": message} with that status.
ApiResponse error_response(int status, std::string_view message);

}  // namespace failoverdns
