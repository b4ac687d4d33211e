#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <sstream>

#include <fmt/format.h>

#include "config_reader.hpp"
#include "config_schema.hpp"
#include "config_sources.hpp"
#include "consul_keys.hpp"
#include "failoverdns/config/config.hpp"

namespace failoverdns {
namespace {

using conf::ConfigReader;
using conf::DurationRange;
using conf::json;
using conf::shown;

constexpr std::int64_t kIntMax = INT_MAX;
constexpr std::string_view kAgentChecks =
    "agent-level checks are not supported and are ignored; define the check inside its service";

std::string host_name() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

// A domain as Consul takes it ("consul" or "consul."), stored without the
// trailing dot; nullopt unless every label is DNS-safe.
std::optional<std::string> domain_name(std::string_view text) {
  if (text.ends_with('.')) text.remove_suffix(1);
  if (text.empty() || text.size() > 253) return std::nullopt;
  for (std::size_t start = 0;;) {
    const auto dot = text.find('.', start);
    if (!conf::is_dns_label(text.substr(start, dot - start))) return std::nullopt;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return std::string(text);
}

// "ip", "ip:port" or "[ipv6]:port", as Consul's "recursors".
std::optional<ResolverSettings::Upstream> parse_recursor(std::string_view text) {
  if (conf::is_ip_literal(text)) return ResolverSettings::Upstream{std::string(text), 53};
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  const std::string_view port = text.substr(colon + 1);
  if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
  else if (host.find(':') != std::string_view::npos) return std::nullopt;
  if (!conf::is_ip_literal(host) || port.empty() || port.size() > 5) return std::nullopt;
  if (!std::ranges::all_of(port, [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  const int n = std::stoi(std::string(port));
  if (n < 1 || n > 65535) return std::nullopt;
  return ResolverSettings::Upstream{std::string(host), static_cast<std::uint16_t>(n)};
}

// "address/prefix" or a single address, as recursor_acl takes them.
std::optional<ResolverSettings::Network> parse_network(std::string_view text) {
  const auto slash = text.find('/');
  const std::string_view address = text.substr(0, slash);
  if (!conf::is_ip_literal(address)) return std::nullopt;
  const int bits = address.find(':') == std::string_view::npos ? 32 : 128;
  if (slash == std::string_view::npos) return ResolverSettings::Network{std::string(address), bits};
  const std::string_view prefix = text.substr(slash + 1);
  if (prefix.empty() || prefix.size() > 3 || !std::ranges::all_of(prefix, [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  const int n = std::stoi(std::string(prefix));
  if (n > bits) return std::nullopt;
  return ResolverSettings::Network{std::string(address), n};
}

std::vector<std::string> split_spaces(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::vector<std::string> out;
  for (std::string word; in >> word;) out.push_back(word);
  return out;
}

bool is_wildcard(std::string_view ip) { return ip == "0.0.0.0" || ip == "::" || ip == "[::]"; }

// addresses.dns and addresses.http: Consul takes a space-separated string; a JSON list is
// accepted too because people write one.
std::optional<std::vector<std::string>> listen_addresses(const json& v, const std::string& path, ConfigReader& r,
                                                         std::string_view what, std::string_view off_key) {
  std::vector<std::string> list;
  if (v.is_string()) list = split_spaces(v.get<std::string>());
  else if (v.is_array()) {
    auto strings = r.strings(v, path);
    if (!strings) return std::nullopt;
    list = std::move(*strings);
  } else {
    r.error(path, fmt::format("expected IP addresses (a list, or a space-separated string), got {}", shown(v, path)));
    return std::nullopt;
  }
  if (list.empty()) {
    r.error(path, fmt::format("expected at least one IP address (to turn {} off, set {} to -1)", what, off_key));
    return std::nullopt;
  }
  bool ok = true;
  for (const auto& a : list) {
    if (conf::is_ip_literal(a)) continue;
    ok = false;
    r.error(path, fmt::format("expected an IP address, got \"{}\"; only IP addresses are supported", a));
  }
  if (!ok) return std::nullopt;
  return list;
}

Seconds whole_seconds(Milliseconds d) { return std::chrono::duration_cast<Seconds>(d); }

// dns_config: the answers' part into `dns`, the TCP limits into
// `listeners`, forwarding into `resolver`.
void read_dns_config(const json& value, const std::string& path, ConfigReader& r, DnsSettings& dns,
                     ListenerSettings& listeners, ResolverSettings& resolver) {
  const auto flag = [&r](bool& out) {
    return [&r, &out](auto& v, auto& p) {
      if (auto b = r.boolean(v, p)) out = *b;
    };
  };
  const auto duration = [&r](Milliseconds& out) {
    return [&r, &out](auto& v, auto& p) {
      if (auto d = r.duration(v, p, DurationRange::positive)) out = *d;
    };
  };
  const auto soa_field = [&r](std::uint32_t& out) {
    return [&r, &out](auto& v, auto& p) {
      if (auto n = r.integer(v, p, 0, UINT32_MAX)) out = static_cast<std::uint32_t>(*n);
    };
  };
  // Its range ends at tcp_max_connections, which may come after it: read
  // once the walk is done.
  const json* per_client = nullptr;
  std::string per_client_path;
  r.walk(value, path,
         {
             {"node_ttl",
              [&](auto& v, auto& p) {
                if (auto d = r.duration(v, p)) dns.node_ttl = whole_seconds(*d);
              }},
             {"service_ttl",
              [&](auto& v, auto& p) {
                if (!v.is_object())
                  return r.error(p, fmt::format("expected an object of service name to TTL, got {}", shown(v, p)));
                for (const auto& [name, ttl] : v.items()) {
                  const std::string ttl_path = conf::child_path(p, name);
                  const auto star = name.find('*');
                  if (name.empty() || (star != std::string::npos && star != name.size() - 1)) {
                    r.error(ttl_path, "expected a service name, \"prefix*\" or \"*\"; a \"*\" may only end the key");
                    continue;
                  }
                  if (auto d = r.duration(ttl, ttl_path)) dns.service_ttl[name] = whole_seconds(*d);
                }
              }},
             {"only_passing", flag(dns.only_passing)},
             {"enable_truncate", flag(dns.enable_truncate)},
             {"disable_compression", flag(dns.disable_compression)},
             {"udp_answer_limit",
              [&](auto& v, auto& p) {
                if (auto n = r.integer(v, p, 1, kIntMax, "integer >= 1")) dns.udp_answer_limit = static_cast<int>(*n);
              }},
             {"a_record_limit",
              [&](auto& v, auto& p) {
                if (auto n = r.integer(v, p, 0, kIntMax, "integer >= 0 (0 = no limit)"))
                  dns.a_record_limit = static_cast<int>(*n);
              }},
             {"soa",
              [&](auto& v, auto& p) {
                r.walk(v, p,
                       {
                           {"expire", soa_field(dns.soa.expire)},
                           {"min_ttl", soa_field(dns.soa.min_ttl)},
                           {"refresh", soa_field(dns.soa.refresh)},
                           {"retry", soa_field(dns.soa.retry)},
                       });
              }},
             {"recursor_timeout", duration(resolver.timeout)},
             {"recursor_strategy",
              [&](auto& v, auto& p) {
                auto s = r.string(v, p);
                if (!s) return;
                if (*s == "sequential") resolver.strategy = ResolverSettings::Strategy::sequential;
                else if (*s == "random") resolver.strategy = ResolverSettings::Strategy::random;
                else r.error(p, fmt::format("expected \"sequential\" or \"random\", got {}", shown(v, p)));
              }},
             {"recursor_acl",
              [&](auto& v, auto& p) {
                auto list = r.strings(v, p);
                if (!list) return;
                resolver.acl.clear();
                for (std::size_t i = 0; i < list->size(); ++i) {
                  if (auto n = parse_network((*list)[i])) resolver.acl.push_back(*n);
                  else
                    r.error(conf::index_path(p, i),
                            fmt::format("expected \"IP/prefix\" or \"IP\", got {}", shown(v[i], conf::index_path(p, i))));
                }
              }},
             {"recursor_cache_size",
              [&](auto& v, auto& p) {
                if (auto n = r.integer(v, p, 0, 10'000'000, "integer 0-10000000 (0 = no cache)"))
                  resolver.cache_size = static_cast<int>(*n);
              }},
             {"recursor_max_outstanding",
              [&](auto& v, auto& p) {
                if (auto n = r.integer(v, p, 1, 100'000)) resolver.max_outstanding = static_cast<int>(*n);
              }},
             {"edns_buffer_size",
              [&](auto& v, auto& p) {
                if (auto n = r.integer(v, p, 512, 4096)) dns.edns_buffer_size = static_cast<std::uint16_t>(*n);
              }},
             {"tcp_idle_timeout", duration(listeners.tcp_idle_timeout)},
             {"tcp_max_connections",
              [&](auto& v, auto& p) {
                if (auto n = r.integer(v, p, 1, 1'000'000)) listeners.tcp_max_connections = static_cast<int>(*n);
              }},
             {"tcp_max_connections_per_client",
              [&](auto& v, auto& p) {
                per_client = &v;
                per_client_path = p;
              }},
         },
         conf::consul_keys::dns_config());
  const int max = listeners.tcp_max_connections;
  listeners.tcp_max_connections_per_client = ListenerSettings::default_tcp_max_connections_per_client(max);
  if (!per_client) return;
  if (auto n = r.integer(*per_client, per_client_path, 1, max,
                         fmt::format("integer 1-{} (at most dns_config.tcp_max_connections)", max)))
    listeners.tcp_max_connections_per_client = static_cast<int>(*n);
}

// Consul's "acl": with "enabled", the management token (initial_management,
// formerly master) is what failoverdns's HTTP writes need too, so the
// token an operator's scripts already send keeps working. "" = none.
std::string acl_token(const json& value, const std::string& path, ConfigReader& r) {
  bool enabled = false;
  std::string token;
  const auto token_key = [&](auto& v, auto& p) {
    if (auto s = r.string(v, p); s && token.empty()) token = *s;
  };
  r.walk(value, path,
         {
             {"enabled",
              [&](auto& v, auto& p) {
                if (auto b = r.boolean(v, p)) enabled = *b;
              }},
             {"tokens",
              [&](auto& v, auto& p) {
                r.walk(v, p, {{"initial_management", token_key}, {"master", token_key}}, conf::consul_keys::acl_tokens());
              }},
         },
         conf::consul_keys::acl());
  return enabled ? token : std::string();
}

void check_unique_ids(const std::vector<ServiceDefinition>& services, ConfigDiagnostics& diagnostics) {
  for (std::size_t i = 0; i < services.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (services[i].id != services[j].id) continue;
      diagnostics.errors.push_back(fmt::format("{}.id: duplicate service id \"{}\", already defined at {}",
                                               services[i].path, services[i].id, services[j].path));
      break;
    }
  }
}

// Names and addresses in the one form the rest of the program uses: DNS
// names lower-case, every instance with an address (Consul's fallback is
// the agent's advertise_addr).
void normalise(Config& config) {
  for (auto* name : {&config.datacenter, &config.domain, &config.alt_domain}) *name = conf::lower_ascii(*name);
  for (auto& s : config.services) {
    s.name = conf::lower_ascii(s.name);
    s.node = conf::lower_ascii(s.node);  // read_service defaults it to the id
    for (auto& tag : s.tags) tag = conf::lower_ascii(tag);
    if (s.address.empty()) s.address = config.advertise_addr;
  }
}

// A recursor that is failoverdns itself would bounce every outside name
// between us until the client gave up.
// `from_list`: how many came from "recursors" (the rest from "recursor").
void check_recursors(const Config& config, std::size_t from_list, ConfigReader& r) {
  const auto& listen = config.listeners;
  for (std::size_t i = 0; i < config.resolver.recursors.size(); ++i) {
    const auto& u = config.resolver.recursors[i];
    if (listen.port != u.port) continue;
    const bool ours = std::ranges::any_of(listen.addresses, [&](const std::string& a) {
      const bool loopback = u.address.starts_with("127.") || u.address == "::1";
      return a == u.address || (is_wildcard(a) && loopback);
    });
    if (ours)
      r.error(i < from_list ? conf::index_path("recursors", i) : "recursor",
              fmt::format("{} port {} is failoverdns's own DNS listener (addresses.dns, ports.dns): forwarding "
                          "there would loop; give the upstream resolver (your network's, or 127.0.0.1 port 5353 of a "
                          "local one)",
                          u.address, u.port));
  }
}

// The group whose members may read password files: the one failoverdns
// will run as. Names that do not exist here are warned about, not errors:
// a config may be checked on another machine, and the daemon refuses to
// switch to a missing account anyway, saying so.
conf::SecretReaders secret_readers(const Config& config, ConfigReader& r) {
  conf::SecretReaders readers{::getegid(), {}};
  if (config.user.empty()) return readers;
  const passwd* pw = ::getpwnam(config.user.c_str());
  if (!pw)
    r.warning("user", fmt::format("no user \"{}\" on this machine; failoverdns started as root cannot switch to it: "
                                  "create it (adduser --system --group {}) or change \"user\"",
                                  config.user, config.user));
  if (config.group.empty()) {
    if (!pw) return readers;
    readers.gid = pw->pw_gid;
    const group* gr = ::getgrgid(pw->pw_gid);
    readers.group = gr ? gr->gr_name : std::to_string(pw->pw_gid);
    return readers;
  }
  readers.group = config.group;
  if (const group* gr = ::getgrnam(config.group.c_str())) readers.gid = gr->gr_gid;
  else
    r.warning("group", fmt::format("no group \"{}\" on this machine; failoverdns started as root cannot switch to it: "
                                   "create it (addgroup --system {}) or change \"group\"",
                                   config.group, config.group));
  return readers;
}

}  // namespace

std::optional<Config> load_config(const std::vector<ConfigSource>& sources, ConfigDiagnostics& diagnostics) {
  const std::size_t errors_before = diagnostics.errors.size();
  conf::MergedSources merged = conf::read_sources(sources, diagnostics);
  ConfigReader r(diagnostics, merged.origins);
  Config config;
  config.files = merged.files;

  bool have_advertise_addr = false, have_dns_addresses = false, have_http_addresses = false;
  const json* acl = nullptr;
  std::string acl_path;
  std::optional<std::pair<std::string, std::string>> http_token_file;  // name, path
  std::optional<std::string> bind_addr;
  std::optional<std::vector<std::string>> client_addr;
  std::vector<ResolverSettings::Upstream> single_recursor;
  const json* failover = nullptr;

  const auto label = [&r](std::string& out, std::string_view what) {
    return [&r, &out, what](auto& v, auto& p) {
      auto s = r.string(v, p);
      if (s && !conf::is_dns_label(*s))
        r.error(p, fmt::format("{} cannot be served over DNS: a {} must be 1-63 letters, digits or hyphens",
                               shown(v, p), what));
      else if (s) out = *s;
    };
  };
  const auto domain = [&r](std::string& out, bool may_be_empty) {
    return [&r, &out, may_be_empty](auto& v, auto& p) {
      auto s = r.string(v, p);
      if (!s || (may_be_empty && s->empty())) return;
      if (auto d = domain_name(*s)) out = *d;
      else
        r.error(p,
                fmt::format("expected a domain name like \"consul\" (dot-separated DNS labels), got {}", shown(v, p)));
    };
  };

  const auto account_name = [&r](std::string& out, std::string_view what) {
    return [&r, &out, what](auto& v, auto& p) {
      auto s = r.string(v, p);
      if (s && s->empty()) r.error(p, fmt::format("expected {}, got \"\"", what));
      else if (s) out = *s;
    };
  };

  r.walk(
      merged.root, "",
      {
          {"datacenter", label(config.datacenter, "datacenter")},
          {"domain", domain(config.domain, false)},
          {"alt_domain", domain(config.alt_domain, true)},
          {"node_name",
           [&](auto& v, auto& p) {
             auto s = r.string(v, p);
             if (s && s->empty()) r.error(p, "expected a non-empty string, got \"\"");
             else if (s) config.node_name = *s;
           }},
          {"advertise_addr",
           [&](auto& v, auto& p) {
             have_advertise_addr = true;
             if (auto a = r.ip_address(v, p)) config.advertise_addr = *a;
           }},
          // Consul advertises bind_addr when advertise_addr is absent; a
          // wildcard bind says nothing about the address to give out.
          {"bind_addr",
           [&](auto& v, auto& p) {
             if (auto s = r.string(v, p); s && conf::is_ip_literal(*s) && !is_wildcard(*s)) bind_addr = *s;
           }},
          // Consul serves DNS on client_addr unless addresses.dns says otherwise.
          {"client_addr",
           [&](auto& v, auto& p) {
             auto s = r.string(v, p);
             if (!s) return;
             auto list = split_spaces(*s);
             if (!list.empty() && std::ranges::all_of(list, [](const auto& a) { return conf::is_ip_literal(a); }))
               client_addr = list;
             else
               r.warning(
                   p, fmt::format("{} is not a list of IP addresses; not used as the DNS listen address", shown(v, p)));
           }},
          {"addresses",
           [&](auto& v, auto& p) {
             r.walk(v, p,
                    {{"dns",
                      [&](auto& a, auto& ap) {
                        have_dns_addresses = true;
                        if (auto list = listen_addresses(a, ap, r, "DNS", "ports.dns")) config.listeners.addresses = std::move(*list);
                      }},
                     {"http",
                      [&](auto& a, auto& ap) {
                        have_http_addresses = true;
                        if (auto list = listen_addresses(a, ap, r, "the HTTP API", "ports.http")) config.http.addresses = std::move(*list);
                      }}},
                    conf::consul_keys::addresses());
           }},
          {"ports",
           [&](auto& v, auto& p) {
             r.walk(v, p,
                    {{"dns",
                      [&](auto& port, auto& pp) {
                        constexpr std::string_view expected = "integer 1-65535, or -1 to turn DNS off";
                        auto n = r.integer(port, pp, -1, 65535, expected);
                        if (n && *n == 0) r.error(pp, fmt::format("expected {}, got 0", expected));
                        else if (n) config.listeners.port = static_cast<int>(*n);
                      }},
                     {"http",
                      [&](auto& port, auto& pp) {
                        constexpr std::string_view expected = "integer 1-65535, or -1 to turn the HTTP API off";
                        auto n = r.integer(port, pp, -1, 65535, expected);
                        if (n && *n == 0) r.error(pp, fmt::format("expected {}, got 0", expected));
                        else if (n) config.http.port = static_cast<int>(*n);
                      }}},
                    conf::consul_keys::ports());
           }},
          {"dns_workers",
           [&](auto& v, auto& p) {
             if (auto n = r.integer(v, p, 0, 1024, "integer 0-1024 (0 = one per CPU core)"))
               config.listeners.workers = static_cast<int>(*n);
           }},
          {"dns_config", [&](auto& v, auto& p) { read_dns_config(v, p, r, config.dns, config.listeners, config.resolver); }},
          // As in Consul, scripts from configuration run only when allowed;
          // every config file is local, so either key allows them.
          {"enable_script_checks",
           [&](auto& v, auto& p) {
             if (auto b = r.boolean(v, p)) config.enable_script_checks |= *b;
           }},
          {"enable_local_script_checks",
           [&](auto& v, auto& p) {
             if (auto b = r.boolean(v, p)) config.enable_script_checks |= *b;
           }},
          {"recursors",
           [&](auto& v, auto& p) {
             auto list = r.strings(v, p);
             if (!list) return;
             for (std::size_t i = 0; i < list->size(); ++i) {
               const std::string at = conf::index_path(p, i);
               if (auto u = parse_recursor((*list)[i])) config.resolver.recursors.push_back(*u);
               else r.error(at, fmt::format("expected \"IP\" or \"IP:port\", got {}", shown(v[i], at)));
             }
           }},
          {"recursor",
           [&](auto& v, auto& p) {
             auto s = r.string(v, p);
             if (!s) return;
             if (auto u = parse_recursor(*s)) single_recursor.push_back(*u);
             else r.error(p, fmt::format("expected \"IP\" or \"IP:port\", got {}", shown(v, p)));
           }},
          {"failover", [&](auto& v, auto&) { failover = &v; }},
          {"http_acl",
           [&](auto& v, auto& p) {
             auto list = r.strings(v, p);
             if (!list) return;
             config.http.acl.clear();
             for (std::size_t i = 0; i < list->size(); ++i) {
               if (auto n = parse_network((*list)[i])) config.http.acl.push_back(*n);
               else
                 r.error(conf::index_path(p, i),
                         fmt::format("expected \"IP/prefix\" or \"IP\", got {}", shown(v[i], conf::index_path(p, i))));
             }
           }},
          {"http_token_file",
           [&](auto& v, auto& p) {
             if (auto s = r.string(v, p)) http_token_file = {*s, p};
           }},
          {"http_max_connections",
           [&](auto& v, auto& p) {
             if (auto n = r.integer(v, p, 1, 100'000)) config.http.max_connections = static_cast<int>(*n);
           }},
          {"limits",
           [&](auto& v, auto& p) {
             r.walk(v, p,
                    {{"http_max_conns_per_client",
                      [&](auto& n, auto& np) {
                        if (auto c = r.integer(n, np, 1, 100'000))
                          config.http.max_connections_per_client = static_cast<int>(*c);
                      }}},
                    conf::consul_keys::limits());
           }},
          {"acl",
           [&](auto& v, auto& p) {
             acl = &v;
             acl_path = p;
           }},
          {"user", account_name(config.user, "a user name")},
          {"group", account_name(config.group, "a group name")},
          // Agent-level checks (node checks, or checks bound by service_id)
          // are a separate Consul feature; say so rather than "ignored key".
          {"check", [&](auto&, auto& p) { r.warning(p, kAgentChecks); }},
          {"checks", [&](auto&, auto& p) { r.warning(p, kAgentChecks); }},
      },
      conf::consul_keys::top_level());

  if (config.node_name.empty()) config.node_name = host_name();
  if (!have_advertise_addr && bind_addr) config.advertise_addr = *bind_addr;
  if (!have_dns_addresses && client_addr) config.listeners.addresses = *client_addr;
  if (!have_http_addresses && client_addr) config.http.addresses = *client_addr;
  auto& recursors = config.resolver.recursors;
  const std::size_t from_list = recursors.size();
  recursors.insert(recursors.end(), single_recursor.begin(), single_recursor.end());
  config.dns.recursion_available = !recursors.empty();
  check_recursors(config, from_list, r);

  for (const auto& source : merged.services)
    if (auto s = conf::read_service(source, diagnostics)) config.services.push_back(std::move(*s));
  check_unique_ids(config.services, diagnostics);
  normalise(config);
  if (!config.group.empty() && config.user.empty())
    r.error("group", "set \"user\" too: failoverdns switches to a user and a group together");
  const conf::SecretReaders readers = secret_readers(config, r);
  if (failover) config.failover = conf::read_failover(*failover, r, config.services, readers);
  if (acl) config.http.token = acl_token(*acl, acl_path, r);
  if (http_token_file) {
    if (auto t = conf::read_secret_file(http_token_file->first, http_token_file->second, readers, r,
                                        config.http.token_file)) {
      if (t->empty()) r.error(http_token_file->second, fmt::format("\"{}\" is empty: write the token into it",
                                                                   config.http.token_file.string()));
      config.http.token = *t;
    }
  }
  // Checks that will not run are said here rather than when checks start,
  // so --check-config says it too.
  for (const auto& s : config.services) {
    for (const auto& c : s.checks) {
      if (config.failover_for(s.name)) {
        // The seed's script promotes replicas by itself: running it next to
        // our failover would be two cooks, and split brain.
        diagnostics.warnings.push_back(fmt::format(
            "{}: this check will not run: service \"{}\" is under failover, failoverdns probes its instances and "
            "decides their roles itself",
            c.path, s.name));
      } else if (c.kind == CheckKind::script && !config.enable_script_checks) {
        diagnostics.warnings.push_back(fmt::format(
            "{}: this script check will not run: set enable_script_checks (or enable_local_script_checks) to "
            "true, as Consul requires; until then it does not affect DNS",
            c.path));
      }
    }
  }

  if (diagnostics.errors.size() != errors_before) return std::nullopt;
  return config;
}

}  // namespace failoverdns
