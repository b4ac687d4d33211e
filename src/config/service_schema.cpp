#include <fmt/format.h>

#include "config_schema.hpp"
#include "consul_keys.hpp"

namespace failoverdns::conf {
namespace {

// SRV targets and <node>.node.<dc>.<domain> carry the node as one label.
std::string as_dns_label(std::string_view id) {
  std::string out;
  for (char c : id.substr(0, 63)) out += is_dns_label(std::string_view(&c, 1)) ? c : '-';
  return out;
}

}  // namespace

std::optional<ServiceDefinition> read_service(const ServiceSource& source, ConfigDiagnostics& diagnostics) {
  ConfigReader r(diagnostics, source.file);
  const std::size_t errors_before = diagnostics.errors.size();
  const std::string& path = source.path;

  ServiceDefinition s;
  s.path = r.where(path);
  bool have_name = false;
  std::vector<std::pair<const json*, std::string>> checks;  // value, path; "check" first, as Consul numbers them
  const json* single_check = nullptr;
  std::string single_check_path;

  const auto weight = [&](auto& v, auto& p, int& out) {
    if (auto n = r.integer(v, p, 1, 65535)) out = static_cast<int>(*n);
  };
  const bool is_object = r.walk(
      source.value, path,
      {
          {"id",
           [&](auto& v, auto& p) {
             auto id = r.string(v, p);
             if (id && id->empty()) r.error(p, "expected a non-empty string, got \"\"");
             else if (id) s.id = *id;
           }},
          {"name",
           [&](auto& v, auto& p) {
             have_name = true;
             auto name = r.string(v, p);
             if (!name) return;
             if (!is_dns_label(*name))
               r.error(p, fmt::format("{} cannot be served over DNS: a service name must be 1-63 letters, digits "
                                      "or hyphens",
                                      shown(v, p)));
             else s.name = *name;
           }},
          {"tags",
           [&](auto& v, auto& p) {
             auto t = r.strings(v, p);
             if (!t) return;
             for (std::size_t i = 0; i < t->size(); ++i) {
               if ((*t)[i].find('.') == std::string::npos) continue;
               r.warning(fmt::format("{}[{}]", p, i),
                         fmt::format("\"{}\" contains a dot, so no DNS name can look it up "
                                     "(<tag>.<service>.service takes the tag as one label); the instance is still "
                                     "served under its other names",
                                     (*t)[i]));
             }
             s.tags = std::move(*t);
           }},
          {"address",
           [&](auto& v, auto& p) {
             // Empty means "the agent's address", as in Consul.
             if (v.is_string() && v.template get<std::string>().empty()) return;
             if (auto a = r.ip_address(v, p)) s.address = *a;
           }},
          {"port",
           [&](auto& v, auto& p) {
             if (auto n = r.integer(v, p, 1, 65535)) s.port = static_cast<std::uint16_t>(*n);
           }},
          {"meta",
           [&](auto& v, auto& p) {
             if (auto m = r.string_map(v, p)) s.meta = std::move(*m);
           }},
          {"weights",
           [&](auto& v, auto& p) {
             r.walk(v, p,
                    {
                        {"passing", [&](auto& w, auto& wp) { weight(w, wp, s.weight_passing); }},
                        {"warning", [&](auto& w, auto& wp) { weight(w, wp, s.weight_warning); }},
                    });
           }},
          {"node",
           [&](auto& v, auto& p) {
             auto node = r.string(v, p);
             if (!node) return;
             if (!is_dns_label(*node))
               r.error(p, fmt::format("{} cannot be served over DNS: a node name must be 1-63 letters, digits or "
                                      "hyphens",
                                      shown(v, p)));
             else s.node = *node;
           }},
          {"check",
           [&](auto& v, auto& p) {
             single_check = &v;
             single_check_path = p;
           }},
          {"checks",
           [&](auto& v, auto& p) {
             if (!v.is_array()) return r.error(p, fmt::format("expected an array of checks, got {}", shown(v, p)));
             for (std::size_t i = 0; i < v.size(); ++i) checks.emplace_back(&v[i], index_path(p, i));
           }},
      },
      consul_keys::service());
  if (!is_object) return std::nullopt;
  if (single_check) checks.insert(checks.begin(), {single_check, single_check_path});

  if (!have_name) r.error(path, "missing \"name\": every service needs one");
  if (s.id.empty()) s.id = s.name;
  if (s.node.empty() && !s.id.empty()) {
    s.node = as_dns_label(s.id);
    if (s.node != s.id)
      r.warning(child_path(path, "id"),
                fmt::format("\"{}\" is not a DNS label, so SRV targets name its node \"{}\"; set \"node\" to choose "
                            "another",
                            s.id, s.node));
  }

  for (std::size_t i = 0; i < checks.size(); ++i) {
    auto check = read_check(*checks[i].first, checks[i].second, r);
    if (!check) continue;
    // Consul's check ids and names for checks defined inside a service.
    if (check->id.empty()) {
      check->id = "service:" + s.id;
      if (checks.size() > 1) check->id += fmt::format(":{}", i + 1);
    }
    if (check->name.empty()) check->name = fmt::format("Service '{}' check", s.name);
    s.checks.push_back(std::move(*check));
  }
  if (diagnostics.errors.size() != errors_before) return std::nullopt;
  return s;
}

}  // namespace failoverdns::conf
