// The catalog: an immutable snapshot of what DNS should say — services,
// their instances, each instance's health and role. The control plane builds
// a new Catalog whenever configuration, health or roles change; the DNS
// plane never sees a Catalog, only the AnswerTable compiled from it.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "failoverdns/config/config.hpp"

namespace failoverdns {

struct IpAddress {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};  // v4 uses the first 4

  static std::optional<IpAddress> parse(std::string_view text);
  std::string to_string() const;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

enum class Health : std::uint8_t { passing, warning, critical };

// Only meaningful for services under failover; others are always `none`.
enum class Role : std::uint8_t {
  none,     // not under failover: configured tags apply
  primary,  // writable, not replicating, agreed by the failover state
  replica,  // replicating from the primary, healthy
  fenced,   // a former primary kept read-only and out of DNS
};

std::string_view to_string(Health h);
std::string_view to_string(Role r);

struct Instance {
  std::string id;       // Consul service id, unique
  std::string service;  // Consul service name, lower-case
  std::string node;     // lower-case, for SRV targets and <node>.node.<dc>.<domain>
  IpAddress address;
  std::uint16_t port = 0;
  std::vector<std::string> tags;  // configured tags, lower-case
  std::uint16_t weight_passing = 1;
  std::uint16_t weight_warning = 1;
  Health health = Health::passing;
  Role role = Role::none;
  // Whole seconds behind the primary (Seconds_Behind_Master; 0 for the
  // primary itself); nullopt = unknown (NULL, unreachable, not replicating).
  // Only set for services under failover.
  std::optional<std::uint32_t> lag;
};

// What failover knows of a service beyond roles, for the _status TXT names.
struct FailoverSummary {
  std::uint64_t epoch = 0;
  std::optional<std::chrono::sys_seconds> primary_since;  // when the current primary became primary
  friend bool operator==(const FailoverSummary&, const FailoverSummary&) = default;
};

struct Catalog {
  std::string datacenter;  // lower-case
  std::string domain;      // lower-case, no trailing dot
  std::string alt_domain;  // lower-case, empty = none
  std::vector<IpAddress> ns_addresses;  // glue for ns.<domain>
  DnsSettings dns;
  std::vector<Instance> instances;
  // Services whose names and master/primary/replica/slave tags follow
  // Instance::role instead of configured tags.
  std::vector<std::string> failover_services;
  std::map<std::string, FailoverSummary> failover_summary;  // by service; absent = nothing known yet

  bool under_failover(std::string_view service) const;
};

// The catalog as configured, before any health check has run: every
// instance passing, every role `none` (failover sets roles later).
Catalog make_catalog(const Config& config);

}  // namespace failoverdns
