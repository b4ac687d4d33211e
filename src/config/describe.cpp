#include <algorithm>

#include <fmt/format.h>

#include "failoverdns/config/config.hpp"

namespace failoverdns {
namespace {

std::string host_port(std::string_view ip, int port) {
  if (ip.find(':') != std::string_view::npos) return fmt::format("[{}]:{}", ip, port);
  return fmt::format("{}:{}", ip, port);
}

std::string describe_forwarding(const ResolverSettings& r) {
  std::vector<std::string> networks;
  for (const auto& n : r.acl) networks.push_back(fmt::format("{}/{}", n.address, n.prefix));
  const std::string acl = networks.empty() ? "nobody" : fmt::format("{}", fmt::join(networks, " "));
  if (r.recursors.empty())
    return "forwarding: off (no recursors): names outside our domains get REFUSED, no RA\n";
  std::vector<std::string> upstreams;
  for (const auto& u : r.recursors) upstreams.push_back(host_port(u.address, u.port));
  return fmt::format("forwarding: to {} ({}, timeout {} each), recursion for {}, cache {}, at most {} upstream "
                     "questions at once\n",
                     fmt::join(upstreams, " "),
                     r.strategy == ResolverSettings::Strategy::random ? "random order" : "in order",
                     format_duration(r.timeout), acl,
                     r.cache_size == 0 ? std::string("off") : fmt::format("{} answers", r.cache_size),
                     r.max_outstanding);
}

std::string describe_check(const CheckDefinition& c) {
  std::string what;
  switch (c.kind) {
    case CheckKind::script: what = fmt::format("script \"{}\"", fmt::join(c.args, " ")); break;
    case CheckKind::tcp: what = fmt::format("tcp {}", c.tcp); break;
    case CheckKind::mariadb: what = "mariadb"; break;
  }
  return fmt::format("{} every {} (timeout {})", what, format_duration(c.interval), format_duration(c.timeout));
}

std::string describe_http(const HttpSettings& http) {
  if (http.port < 0) return "HTTP API: off (ports.http = -1)\n";
  std::vector<std::string> listeners, acl;
  for (const auto& a : http.addresses) listeners.push_back(host_port(a, http.port));
  for (const auto& n : http.acl) acl.push_back(fmt::format("{}/{}", n.address, n.prefix));
  return fmt::format("HTTP API: on {}; writes from {}{}\n", fmt::join(listeners, " "),
                     acl.empty() ? std::string("nobody") : fmt::format("{}", fmt::join(acl, " ")),
                     http.token.empty() ? ", no token" : ", with the token");
}

}  // namespace

std::string describe(const Config& config) {
  std::string out;
  out += fmt::format("datacenter {}, domain {}", config.datacenter, config.domain);
  if (!config.alt_domain.empty()) out += fmt::format(" (also {})", config.alt_domain);
  out += fmt::format(", node {}\n", config.node_name);

  if (config.listeners.port < 0) {
    out += "DNS: off (ports.dns = -1)\n";
  } else {
    std::vector<std::string> listeners;
    for (const auto& a : config.listeners.addresses) listeners.push_back(host_port(a, config.listeners.port));
    out += fmt::format("DNS: udp+tcp on {}, workers {}", fmt::join(listeners, " "),
                       config.listeners.workers == 0 ? std::string("one per core") : std::to_string(config.listeners.workers));
    if (!config.dns.service_ttl.empty()) {
      std::vector<std::string> ttls;
      for (const auto& [name, ttl] : config.dns.service_ttl)
        ttls.push_back(fmt::format("{}={}", name, format_duration(ttl)));
      out += fmt::format(", service_ttl {}", fmt::join(ttls, " "));
    }
    out += "\n";
    out += describe_forwarding(config.resolver);
  }

  out += describe_http(config.http);

  if (!config.user.empty())
    out += fmt::format("runs as user {}, {} (switched to after binding the DNS sockets when started as root)\n",
                       config.user, config.group.empty() ? "its primary group" : "group " + config.group);

  // Grouped by service, in the order services first appear.
  std::vector<std::string> names;
  for (const auto& s : config.services)
    if (std::ranges::find(names, s.name) == names.end()) names.push_back(s.name);
  for (const auto& name : names) {
    std::vector<const ServiceDefinition*> instances;
    for (const auto& s : config.services)
      if (s.name == name) instances.push_back(&s);
    out += fmt::format("service {}: {} instance{}\n", name, instances.size(), instances.size() == 1 ? "" : "s");
    for (const auto* s : instances) {
      const std::string address = s->address.empty() ? config.advertise_addr : s->address;
      out += fmt::format("  {} {}", s->id, host_port(address, s->port));
      if (!s->tags.empty()) out += fmt::format(" tags [{}]", fmt::join(s->tags, ", "));
      if (s->checks.empty()) out += ", no checks";
      for (const auto& c : s->checks) out += ", check " + describe_check(c);
      out += "\n";
    }
  }
  if (names.empty()) out += "no services\n";

  for (const auto& f : config.failover) {
    out += fmt::format("failover {}: user {}, probe every {} (timeout {}, {} failures), auto_failover {}, "
                       "auto_rejoin {}, state {}",
                       f.service, f.user, format_duration(f.interval), format_duration(f.timeout), f.failcount,
                       f.auto_failover ? "on" : "off", f.auto_rejoin ? "on" : "off", f.state_file.string());
    if (!f.no_promotion.empty()) out += fmt::format(", never promote {}", fmt::join(f.no_promotion, " "));
    out += "\n";
  }
  return out;
}

}  // namespace failoverdns
