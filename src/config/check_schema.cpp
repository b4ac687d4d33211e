#include <algorithm>

#include <fmt/format.h>

#include "config_schema.hpp"
#include "consul_keys.hpp"

namespace failoverdns::conf {
namespace {

bool valid_host_port(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view host = text.substr(0, colon);
  const std::string_view port = text.substr(colon + 1);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return false;
    if (!is_ip_literal(host.substr(1, host.size() - 2))) return false;
  } else if (host.find(':') != std::string_view::npos) {
    return false;  // a bare IPv6 address needs brackets to carry a port
  }
  if (port.empty() || port.size() > 5 || !std::ranges::all_of(port, [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  const int n = std::stoi(std::string(port));
  return n >= 1 && n <= 65535;
}

}  // namespace

std::optional<CheckDefinition> read_check(const json& value, const std::string& path, ConfigReader& r) {
  if (!value.is_object()) {
    r.error(path, fmt::format("expected a check object, got {}", shown(value, path)));
    return std::nullopt;
  }
  // A Consul check type we cannot run is skipped as a whole: one warning, and
  // no noise about the keys that belong to it.
  for (std::string_view kind : consul_keys::check_kinds()) {
    if (value.contains(kind)) {
      r.warning(path, fmt::format("\"{}\" checks are not supported, check ignored", kind));
      return std::nullopt;
    }
  }

  CheckDefinition check;
  check.path = r.where(path);
  std::vector<std::string_view> kinds;  // which of script/args/tcp/mariadb were given
  std::optional<Milliseconds> timeout;
  bool ok = true;
  const auto bad = [&] { ok = false; };
  const auto count_at_least_zero = [&](auto& v, auto& p, int& out) {
    if (auto n = r.integer(v, p, 0, 1'000'000, "integer >= 0")) out = static_cast<int>(*n);
    else bad();
  };
  r.walk(value, path,
         {
             {"id", [&](auto& v, auto& p) { if (auto s = r.string(v, p)) check.id = *s; else bad(); }},
             {"name", [&](auto& v, auto& p) { if (auto s = r.string(v, p)) check.name = *s; else bad(); }},
             {"script",
              [&](auto& v, auto& p) {
                kinds.push_back("script");
                auto s = r.string(v, p);
                if (s && s->empty()) r.error(p, "expected a shell command, got \"\"");
                if (!s || s->empty()) return bad();
                check.kind = CheckKind::script;
                check.args = {"/bin/sh", "-c", *s};
              }},
             {"args",
              [&](auto& v, auto& p) {
                kinds.push_back("args");
                auto a = r.strings(v, p);
                if (a && a->empty()) r.error(p, "expected a non-empty array: the program and its arguments");
                if (!a || a->empty()) return bad();
                check.kind = CheckKind::script;
                check.args = std::move(*a);
              }},
             {"tcp",
              [&](auto& v, auto& p) {
                kinds.push_back("tcp");
                auto s = r.string(v, p);
                if (s && !valid_host_port(*s))
                  r.error(p, fmt::format("expected \"host:port\" (port 1-65535, IPv6 as \"[::1]:3306\"), got {}",
                                         shown(v, p)));
                if (!s || !valid_host_port(*s)) return bad();
                check.kind = CheckKind::tcp;
                check.tcp = *s;
              }},
             {"mariadb",
              [&](auto& v, auto& p) {
                auto b = r.boolean(v, p);
                if (!b || *b) kinds.push_back("mariadb");
                if (!b) return bad();
                if (*b) check.kind = CheckKind::mariadb;
              }},
             {"interval",
              [&](auto& v, auto& p) {
                if (auto d = r.duration(v, p, DurationRange::positive)) check.interval = *d;
                else bad();
              }},
             {"timeout",
              [&](auto& v, auto& p) {
                if (auto d = r.duration(v, p, DurationRange::positive)) timeout = *d;
                else bad();
              }},
             {"success_before_passing", [&](auto& v, auto& p) { count_at_least_zero(v, p, check.success_before_passing); }},
             {"failures_before_critical",
              [&](auto& v, auto& p) { count_at_least_zero(v, p, check.failures_before_critical); }},
         },
         consul_keys::check());

  if (kinds.empty()) {
    r.error(path, "a check needs one of \"script\", \"args\", \"tcp\" or \"mariadb\": true");
    return std::nullopt;
  }
  if (kinds.size() > 1) {
    r.error(path, fmt::format("a check runs one thing; found \"{}\"", fmt::join(kinds, "\", \"")));
    return std::nullopt;
  }
  if (!ok) return std::nullopt;
  // Consul's defaults for scripts (30s) and tcp (10s); a MariaDB ping that
  // takes a second is already a sick server.
  switch (check.kind) {
    case CheckKind::script: check.timeout = std::chrono::seconds(30); break;
    case CheckKind::tcp: check.timeout = std::chrono::seconds(10); break;
    case CheckKind::mariadb: check.timeout = std::chrono::seconds(1); break;
  }
  if (timeout) check.timeout = *timeout;
  return check;
}

}  // namespace failoverdns::conf
