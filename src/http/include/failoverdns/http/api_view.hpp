// What the HTTP API may read: one immutable snapshot of the catalog, the
// agent's own facts and every failover service's status. The control plane
// builds a new one after every change and hands it to the HTTP thread
// whole, so a request never touches control-plane state.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "failoverdns/catalog/catalog.hpp"
#include "failoverdns/failover/failover_status.hpp"

namespace failoverdns {

// /v1/agent/self: what a script may learn about this agent; no secrets.
struct AgentInfo {
  std::string node_name;
  std::string datacenter;
  std::string advertise_addr;
  std::string version;
  std::vector<std::string> dns_addresses;
  int dns_port = 8600;
  std::vector<std::string> http_addresses;
  int http_port = 8500;
};

struct ApiView {
  // Consul's X-Consul-Index. Both only grow, also across restarts (they
  // start from the Unix time), so a watcher never sees one go backwards.
  std::uint64_t catalog_index = 0;   // the answers' serial: changes when DNS changes
  std::uint64_t failover_index = 0;  // changes when a FailoverStatus::same_state would not hold
  Catalog catalog;
  // Each instance's configured meta (Consul ServiceMeta), by instance id.
  std::map<std::string, std::map<std::string, std::string>> service_meta;
  AgentInfo agent;
  std::vector<FailoverStatus> failover;  // one per failover service, in configuration order
};

}  // namespace failoverdns
