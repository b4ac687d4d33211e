#include "failoverdns/catalog/catalog.hpp"

#include <arpa/inet.h>

#include <algorithm>

namespace failoverdns {

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  // inet_pton needs a terminated string; 64 bytes covers every literal.
  if (text.empty() || text.size() >= 64) return std::nullopt;
  char buf[64];
  std::ranges::copy(text, buf);
  buf[text.size()] = '\0';
  IpAddress ip;
  if (inet_pton(AF_INET, buf, ip.bytes.data()) == 1) return ip;
  ip.v6 = true;
  if (inet_pton(AF_INET6, buf, ip.bytes.data()) == 1) return ip;
  return std::nullopt;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf);
  return buf;
}

std::string_view to_string(Health h) {
  switch (h) {
    case Health::passing: return "passing";
    case Health::warning: return "warning";
    case Health::critical: return "critical";
  }
  return "?";
}

std::string_view to_string(Role r) {
  switch (r) {
    case Role::none: return "none";
    case Role::primary: return "primary";
    case Role::replica: return "replica";
    case Role::fenced: return "fenced";
  }
  return "?";
}

bool Catalog::under_failover(std::string_view service) const {
  return std::ranges::find(failover_services, service) != failover_services.end();
}

Catalog make_catalog(const Config& config) {
  Catalog catalog;
  // Names are lower-case and every instance has an address since config
  // loading (normalise in config_loader.cpp).
  catalog.datacenter = config.datacenter;
  catalog.domain = config.domain;
  catalog.alt_domain = config.alt_domain;
  catalog.dns = config.dns;
  for (const auto& a : config.listeners.addresses) {
    auto ip = IpAddress::parse(a);
    // A wildcard listener has no address of its own to give as glue.
    if (ip && ip != IpAddress::parse("0.0.0.0") && ip != IpAddress::parse("::")) catalog.ns_addresses.push_back(*ip);
  }
  if (catalog.ns_addresses.empty()) catalog.ns_addresses.push_back(*IpAddress::parse(config.advertise_addr));
  for (const auto& f : config.failover) catalog.failover_services.push_back(f.service);
  for (const auto& s : config.services) {
    Instance in;
    in.id = s.id;
    in.service = s.name;
    in.node = s.node;
    in.address = *IpAddress::parse(s.address);
    in.port = s.port;
    in.tags = s.tags;
    in.weight_passing = static_cast<std::uint16_t>(s.weight_passing);
    in.weight_warning = static_cast<std::uint16_t>(s.weight_warning);
    catalog.instances.push_back(std::move(in));
  }
  return catalog;
}

}  // namespace failoverdns
