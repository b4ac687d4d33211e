#include "failoverdns/http/api.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "api_json.hpp"
#include "failoverdns/config/duration.hpp"

namespace failoverdns {
namespace {

using http::json;

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+' && plus_is_space) {
      out += ' ';
    } else if (c == '%') {
      if (i + 2 >= text.size() || !std::isxdigit(static_cast<unsigned char>(text[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(text[i + 2])))
        return std::nullopt;
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The rest of `path` after `prefix`, when it is one non-empty segment.
std::optional<std::string> segment_after(std::string_view path, std::string_view prefix) {
  if (!path.starts_with(prefix)) return std::nullopt;
  std::string_view rest = path.substr(prefix.size());
  if (rest.empty() || rest.find('/') != std::string_view::npos) return std::nullopt;
  return lower(rest);
}

bool has(const ApiRequest& r, const std::string& key) { return r.query.contains(key); }
std::string param(const ApiRequest& r, const std::string& key) {
  auto it = r.query.find(key);
  return it == r.query.end() ? std::string() : it->second;
}

ApiResponse json_response(const json& body, std::optional<std::uint64_t> index = std::nullopt) {
  ApiResponse r;
  r.body = body.dump(2);
  r.body += '\n';
  r.index = index;
  return r;
}

const FailoverStatus* failover_of(const ApiView& view, std::string_view service) {
  for (const auto& s : view.failover)
    if (s.service == service) return &s;
  return nullptr;
}

}  // namespace

std::optional<ApiRequest> parse_target(std::string_view method, std::string_view target) {
  ApiRequest r;
  r.method = std::string(method);
  const auto q = target.find('?');
  auto path = percent_decode(target.substr(0, q), false);
  if (!path) return std::nullopt;
  r.path = std::move(*path);
  if (q == std::string_view::npos) return r;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq), true);
    auto value = eq == std::string_view::npos ? std::optional<std::string>("") : percent_decode(pair.substr(eq + 1), true);
    if (!key || !value) return std::nullopt;
    r.query[*key] = *value;
  }
  return r;
}

WatchedIndex watched_index(const ApiRequest& r) {
  const std::string_view p = r.path;
  if (p.starts_with("/v1/failover")) return WatchedIndex::failover;
  if (p.starts_with("/v1/health/service/") || p.starts_with("/v1/catalog/") || p == "/v1/agent/services")
    return WatchedIndex::catalog;
  return WatchedIndex::none;
}

std::uint64_t index_of(WatchedIndex watched, const ApiView& view) {
  switch (watched) {
    case WatchedIndex::catalog:
      return view.catalog_index;
    case WatchedIndex::failover:
      return view.failover_index;
    case WatchedIndex::none:
      break;
  }
  return 0;
}

std::optional<std::chrono::milliseconds> parse_wait(const ApiRequest& r) {
  constexpr std::chrono::milliseconds kDefault = std::chrono::minutes(5), kMax = std::chrono::minutes(10);
  if (!has(r, "wait")) return kDefault;
  auto d = parse_duration(param(r, "wait"));
  if (!d || d->count() < 0) return std::nullopt;
  return std::min<std::chrono::milliseconds>(*d, kMax);
}

std::optional<std::variant<Write, ApiResponse>> parse_write(const ApiRequest& r) {
  const std::string_view p = r.path;
  constexpr std::string_view failover = "/v1/failover/", switchover = "/switchover";
  if (r.method == "POST" && p.starts_with(failover) && p.ends_with(switchover) &&
      p.size() > failover.size() + switchover.size()) {
    std::string service = lower(p.substr(failover.size(), p.size() - failover.size() - switchover.size()));
    if (service.find('/') != std::string::npos) return std::nullopt;
    return Write{SwitchoverWrite{std::move(service), lower(param(r, "to"))}};
  }
  if (auto id = segment_after(p, "/v1/agent/service/maintenance/"); id && r.method == "PUT") {
    const std::string enable = param(r, "enable");
    if (enable != "true" && enable != "false")
      return error_response(400, "enable must be true or false, as in Consul: ?enable=true&reason=...");
    return Write{MaintenanceWrite{*id, enable == "true", param(r, "reason")}};
  }
  return std::nullopt;
}

ApiResponse switchover_response(const LogEvent& e) {
  if (e.name == "switchover_complete") {
    ApiResponse r = json_response(json{{"Outcome", "complete"},
                                       {"Primary", e.field("primary")},
                                       {"OldPrimary", e.field("old_primary")},
                                       {"Epoch", std::stoull(e.field("epoch"))},
                                       {"Took", e.field("took")},
                                       {"Message", fmt::format("{} is the primary (epoch {}), {} was demoted",
                                                               e.field("primary"), e.field("epoch"),
                                                               e.field("old_primary"))}});
    return r;
  }
  const std::string outcome = e.name == "switchover_refused"       ? "refused"
                              : e.name == "switchover_rolled_back" ? "rolled_back"
                                                                   : "failed";
  ApiResponse r = error_response(e.name == "switchover_failed" ? 500 : 409,
                                 outcome == "rolled_back" ? fmt::format("rolled back, nothing promoted: {}", e.field("reason"))
                                                          : e.field("reason"));
  auto with = json::parse(r.body);
  with["Outcome"] = outcome;
  with["Primary"] = e.field("primary");
  r.body = with.dump(2) + "\n";
  return r;
}

ApiResponse maintenance_response(const LogEvent& e) {
  if (e.name == "maintenance_enabled" || e.name == "maintenance_disabled") {
    const bool on = e.name == "maintenance_enabled";
    return json_response(json{{"ID", e.field("instance")},
                              {"Maintenance", on},
                              {"Reason", on ? e.field("reason") : ""},
                              {"Message", on ? e.field("meaning") : e.field("next")}});
  }
  if (e.name == "maintenance_refused") return error_response(409, e.field("reason"));
  ApiResponse r = switchover_response(e);  // the primary's switchover did not happen
  auto body = json::parse(r.body);
  body["error"] = fmt::format("the primary could not be switched over first: {}", body.value("error", std::string()));
  r.body = body.dump(2) + "\n";
  return r;
}

ApiResponse error_response(int status, std::string_view message) {
  ApiResponse r = json_response(json{{"error", message}});
  r.status = status;
  return r;
}

ApiResponse answer(const ApiRequest& r, const ApiView& view) {
  if (r.method != "GET" && r.method != "HEAD")
    return error_response(405, fmt::format("{} {}: method not allowed; this endpoint is read-only (GET)", r.method, r.path));
  if (has(r, "dc") && lower(param(r, "dc")) != view.catalog.datacenter)
    return error_response(500, fmt::format("No path to datacenter \"{}\": this failoverdns serves datacenter \"{}\" only",
                                           param(r, "dc"), view.catalog.datacenter));
  const std::string_view p = r.path;
  const std::uint64_t catalog = view.catalog_index;
  if (auto s = segment_after(p, "/v1/health/service/"))
    return json_response(http::health_service(view, *s, param(r, "tag"), has(r, "passing")), catalog);
  if (auto s = segment_after(p, "/v1/catalog/service/"))
    return json_response(http::catalog_service(view, *s, param(r, "tag")), catalog);
  if (p == "/v1/catalog/services") return json_response(http::catalog_services(view), catalog);
  if (p == "/v1/catalog/nodes") return json_response(http::catalog_nodes(view), catalog);
  if (p == "/v1/agent/services") return json_response(http::agent_services(view), catalog);
  if (p == "/v1/agent/self") return json_response(http::agent_self(view));
  // One instance, no Raft: the instance that decides is this one.
  if (p == "/v1/status/leader") return json_response(json(view.agent.advertise_addr + ":8300"));
  if (p == "/v1/status/peers") return json_response(json::array({view.agent.advertise_addr + ":8300"}));
  if (p == "/v1/failover") {
    json all = json::array();
    for (const auto& s : view.failover) all.push_back(http::failover_status(view, s));
    return json_response(all, view.failover_index);
  }
  if (auto s = segment_after(p, "/v1/failover/")) {
    if (const auto* status = failover_of(view, *s))
      return json_response(http::failover_status(view, *status), view.failover_index);
    std::vector<std::string> names;
    for (const auto& f : view.failover) names.push_back(f.service);
    return error_response(404, fmt::format("service \"{}\" is not under failover (failover services: {})", *s,
                                           names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", "))));
  }
  return error_response(404, fmt::format("no endpoint {}; see the README's \"Operate\" section for the API", r.path));
}

}  // namespace failoverdns
