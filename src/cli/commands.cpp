#include "failoverdns/cli/commands.hpp"

#include <cstdlib>
#include <iostream>
#include <map>
#include <cctype>
#include <optional>
#include <variant>
#include <string>

#include <fmt/format.h>

#include "api_client.hpp"
#include "failoverdns/cli/flag.hpp"
#include "render.hpp"

namespace failoverdns::cli {
namespace {

constexpr auto kTimeout = std::chrono::seconds(5);
// A switchover waits for the target to catch up (switchover_timeout) and
// for the promotion; the API answers when it is over.
constexpr auto kSwitchoverTimeout = std::chrono::seconds(120);

constexpr const char* kUsage = R"(Usage: failoverdns COMMAND [options]

Commands, over a running failoverdns's HTTP API:
  status [-service NAME]          who is primary, since when, each instance, why a
                                  failover could not happen now
  members                         every instance of every service, tags and health
  switchover -service NAME [-to ID]
                                  planned switchover to ID (default: the best replica)
  maint -enable|-disable -service-id ID [-reason TEXT]
                                  take an instance out of DNS and promotion, or back

Options:
  -http-addr HOST:PORT   the API (default $FAILOVERDNS_HTTP_ADDR, $CONSUL_HTTP_ADDR,
                         else 127.0.0.1:8500)
  -token TOKEN           for writes (default $FAILOVERDNS_HTTP_TOKEN, $CONSUL_HTTP_TOKEN)

Exit codes: 0 done (status: every service has a primary); 1 refused, no primary,
rolled back or unknown; 2 bad arguments; 3 the API did not answer.
)";

std::string env(const char* a, const char* b, std::string fallback) {
  for (const char* name : {a, b})
    if (const char* v = std::getenv(name); v && *v) return v;
  return fallback;
}

std::string encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
    else out += fmt::format("%{:02X}", c);
  }
  return out;
}

struct Args {
  std::string http_addr = env("FAILOVERDNS_HTTP_ADDR", "CONSUL_HTTP_ADDR", "127.0.0.1:8500");
  std::string token = env("FAILOVERDNS_HTTP_TOKEN", "CONSUL_HTTP_TOKEN", "");
  std::map<std::string, std::string> values;  // -service, -to, -service-id, -reason
  std::optional<bool> enable;                 // maint
};

std::optional<Args> parse(int argc, char** argv) {
  Args a;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    Flag flag = parse_flag(arg);
    const std::string& name = flag.name;
    std::optional<std::string>& value = flag.value;
    if (name == "enable" || name == "disable") {
      a.enable = name == "enable";
      continue;
    }
    if (name != "http-addr" && name != "token" && name != "service" && name != "to" && name != "service-id" &&
        name != "reason") {
      std::cerr << "failoverdns " << argv[1] << ": unknown argument \"" << arg << "\"\n\n" << kUsage;
      return std::nullopt;
    }
    if (!value) {
      if (i + 1 >= argc) {
        std::cerr << "failoverdns " << argv[1] << ": -" << name << " needs a value\n";
        return std::nullopt;
      }
      value = argv[++i];
    }
    if (name == "http-addr") a.http_addr = *value;
    else if (name == "token") a.token = *value;
    else a.values[name] = *value;
  }
  return a;
}

// The reply, or the exit code after saying what went wrong.
std::variant<HttpReply, int> call(const Args& a, const std::string& method, const std::string& target,
                                  std::chrono::milliseconds timeout = kTimeout) {
  auto reply = http_call(a.http_addr, method, target, a.token, timeout);
  if (!reply) {
    std::cerr << "failoverdns: " << reply.error().message << "\n";
    return Exit::unreachable;
  }
  return *reply;
}

std::optional<json> parsed(const HttpReply& r) {
  try {
    return json::parse(r.body);
  } catch (const json::exception&) {
    std::cerr << "failoverdns: the API answered " << r.status << " with something that is not JSON\n";
    return std::nullopt;
  }
}

// An error answer: its message, and the exit code it means.
int answered_error(const HttpReply& r, const json& body) {
  std::cerr << "failoverdns: " << r.status << ": " << body.value("error", r.body) << "\n";
  return Exit::refused;
}

int status(const Args& a) {
  auto service = a.values.find("service");
  auto reply = call(a, "GET", service == a.values.end() ? std::string("/v1/failover") : fmt::format("/v1/failover/{}", encode(service->second)));
  if (auto* code = std::get_if<int>(&reply)) return *code;
  const auto& r = std::get<HttpReply>(reply);
  auto body = parsed(r);
  if (!body) return Exit::unreachable;
  if (r.status != 200) return answered_error(r, *body);
  std::vector<json> services = body->is_array() ? body->get<std::vector<json>>() : std::vector<json>{*body};
  if (services.empty()) std::cout << "no service is under failover\n";
  int code = Exit::ok;
  for (const auto& s : services) {
    std::cout << render_status(s);
    if (s.value("Primary", "").empty()) code = Exit::refused;
  }
  return code;
}

int members(const Args& a) {
  auto reply = call(a, "GET", "/v1/catalog/services");
  if (auto* code = std::get_if<int>(&reply)) return *code;
  auto body = parsed(std::get<HttpReply>(reply));
  if (!body) return Exit::unreachable;
  std::vector<json> entries;
  for (const auto& [name, tags] : body->items()) {
    auto health = call(a, "GET", fmt::format("/v1/health/service/{}", encode(name)));
    if (auto* code = std::get_if<int>(&health)) return *code;
    auto list = parsed(std::get<HttpReply>(health));
    if (!list) return Exit::unreachable;
    entries.push_back(*list);
  }
  std::cout << render_members(entries);
  return Exit::ok;
}

int switchover(const Args& a) {
  auto service = a.values.find("service");
  if (service == a.values.end()) {
    std::cerr << "failoverdns switchover: -service NAME is required\n";
    return Exit::usage;
  }
  std::string target = fmt::format("/v1/failover/{}/switchover", encode(service->second));
  if (auto to = a.values.find("to"); to != a.values.end()) target += fmt::format("?to={}", encode(to->second));
  auto reply = call(a, "POST", target, kSwitchoverTimeout);
  if (auto* code = std::get_if<int>(&reply)) return *code;
  const auto& r = std::get<HttpReply>(reply);
  auto body = parsed(r);
  if (!body) return Exit::unreachable;
  if (r.status != 200) return answered_error(r, *body);
  std::cout << render_switchover(*body);
  return Exit::ok;
}

int maint(const Args& a) {
  auto id = a.values.find("service-id");
  if (id == a.values.end() || !a.enable) {
    std::cerr << "failoverdns maint: give -enable or -disable, and -service-id ID\n";
    return Exit::usage;
  }
  std::string target =
      fmt::format("/v1/agent/service/maintenance/{}?enable={}", encode(id->second), *a.enable ? "true" : "false");
  if (auto reason = a.values.find("reason"); reason != a.values.end())
    target += fmt::format("&reason={}", encode(reason->second));
  auto reply = call(a, "PUT", target);
  if (auto* code = std::get_if<int>(&reply)) return *code;
  const auto& r = std::get<HttpReply>(reply);
  if (r.status != 200) {
    auto body = parsed(r);
    return body ? answered_error(r, *body) : Exit::unreachable;
  }
  std::cout << fmt::format("{}: maintenance {}\n", id->second, *a.enable ? "enabled" : "disabled");
  return Exit::ok;
}

}  // namespace

bool is_command(std::string_view word) {
  return word == "status" || word == "members" || word == "switchover" || word == "maint";
}

int run_command(int argc, char** argv) {
  const std::string_view command = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "-h" || arg == "-help" || arg == "--help") {
      std::cout << kUsage;
      return Exit::ok;
    }
  }
  auto args = parse(argc, argv);
  if (!args) return Exit::usage;
  if (command == "status") return status(*args);
  if (command == "members") return members(*args);
  if (command == "switchover") return switchover(*args);
  return maint(*args);
}

}  // namespace failoverdns::cli
