// Configuration in Consul's agent format (JSON), so an existing Consul
// config dir works as it is. load_config() is the only way to get a Config:
// it validates everything, and a Config it returns is complete and
// consistent. Called at start-up and on reload (SIGHUP), never on the
// DNS hot path.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "failoverdns/config/duration.hpp"
#include "failoverdns/support/network_acl.hpp"

namespace failoverdns {

using Seconds = std::chrono::seconds;

enum class CheckKind {
  script,   // Consul "script" (run by /bin/sh -c) or "args" (argv)
  tcp,      // Consul "tcp": connect to host:port
  mariadb,  // ours: an asynchronous MariaDB probe of the instance
};

struct CheckDefinition {
  std::string id;    // Consul "id" (default "service:<service id>[:<n>]")
  std::string name;  // Consul "name"
  CheckKind kind = CheckKind::script;
  std::vector<std::string> args;  // script: {"/bin/sh", "-c", script}; args: as given
  std::string tcp;                // "host:port" for tcp checks
  Milliseconds interval{std::chrono::seconds(10)};
  Milliseconds timeout{std::chrono::seconds(30)};  // Consul: 30s for scripts, 10s for tcp
  int success_before_passing = 0;    // Consul names; 0 = change on first result
  int failures_before_critical = 0;
  std::string path;  // where it was defined, e.g. "mysql.json: services[0].checks[0]"
};

// After load_config, names that go into DNS (name, node, tags) are
// lower-case and address is never empty: compare them with ==.
struct ServiceDefinition {
  std::string id;       // default: name
  std::string name;
  std::string node;     // ours: node used for SRV targets; default: id
  std::string address;  // an IP address; Consul's default: the agent's advertise_addr
  std::uint16_t port = 0;
  std::vector<std::string> tags;
  std::map<std::string, std::string> meta;
  int weight_passing = 1;  // Consul "weights": {"passing": 1, "warning": 1}
  int weight_warning = 1;
  std::vector<CheckDefinition> checks;
  std::string path;  // where it was defined, for messages
};

struct SoaSettings {
  std::uint32_t expire = 86400;
  std::uint32_t min_ttl = 0;
  std::uint32_t refresh = 3600;
  std::uint32_t retry = 600;
};

// What the answers need (catalog/ and dns/): Consul's "dns_config", less
// what the listeners take (ListenerSettings). A reload applies it at once.
struct DnsSettings {
  Seconds node_ttl{0};
  // Consul "service_ttl": exact service name, "prefix*", or "*" fallback.
  std::map<std::string, Seconds> service_ttl;
  bool only_passing = false;
  bool enable_truncate = true;  // Consul's default is false; silent truncation surprises people
  int udp_answer_limit = 3;
  int a_record_limit = 0;  // 0 = no limit
  SoaSettings soa;
  bool disable_compression = false;
  // Ours:
  std::uint16_t edns_buffer_size = 1232;  // our EDNS0 UDP payload size
  // Recursors are configured: every answer offers recursion (RA) and names
  // outside our zones go to the resolver. Set by load_config.
  bool recursion_available = false;

  // TTL for a service: exact match, else the longest matching "prefix*",
  // else "*", else 0 (Consul's rules).
  Seconds ttl_for_service(std::string_view service) const;
};

// What the DNS listeners (net/) need: where, how many threads, TCP limits.
// Sockets and threads are made at start: a reload that changes any of this
// is logged as needing a restart (Consul: addresses.dns, ports.dns; ours:
// dns_workers and dns_config.tcp_*).
struct ListenerSettings {
  std::vector<std::string> addresses{"127.0.0.1"};  // Consul addresses.dns
  int port = 8600;                                 // -1 disables DNS
  int workers = 0;                                 // ours; 0 = number of cores
  Milliseconds tcp_idle_timeout{std::chrono::seconds(10)};
  int tcp_max_connections = 1024;
  // Unless set, a quarter of tcp_max_connections (README says why).
  int tcp_max_connections_per_client = default_tcp_max_connections_per_client(tcp_max_connections);

  static constexpr int default_tcp_max_connections_per_client(int max_connections) {
    return (max_connections + 3) / 4;  // at least 1 for any max_connections >= 1
  }
};

// Forwarding of names outside our zones (resolver/): Consul's "recursors"
// and dns_config.recursor_*, plus ours. A reload applies all of it but the
// cache size (see reload_needs_restart).
struct ResolverSettings {
  struct Upstream {
    std::string address;  // an IP literal
    std::uint16_t port = 53;
    friend bool operator==(const Upstream&, const Upstream&) = default;
  };
  using Network = NetworkBlock;
  enum class Strategy { sequential, random };

  std::vector<Upstream> recursors;  // Consul "recursors" + "recursor", in order
  Strategy strategy = Strategy::sequential;  // Consul dns_config.recursor_strategy
  Milliseconds timeout{std::chrono::seconds(2)};  // Consul dns_config.recursor_timeout, per recursor
  // Ours: who may use recursion (no open resolver); others get REFUSED for
  // outside names and are still answered for ours.
  std::vector<Network> acl{{"127.0.0.0", 8}, {"::1", 128}};
  int cache_size = 10000;       // ours: forwarded answers kept; 0 = no cache
  int max_outstanding = 1000;   // ours: upstream questions in flight at once

  friend bool operator==(const ResolverSettings&, const ResolverSettings&) = default;
};

// The HTTP API (http/): Consul's addresses.http and ports.http, who may
// write, and the limits that keep a hostile client from hurting anyone.
// Where it listens and the limits are fixed at start; the ACL and the token
// follow a reload.
struct HttpSettings {
  std::vector<std::string> addresses{"127.0.0.1"};  // Consul addresses.http (else client_addr)
  int port = 8500;                                 // Consul ports.http; -1 disables
  // Ours: who may send anything but GET/HEAD (no open control port).
  std::vector<NetworkBlock> acl{{"127.0.0.0", 8}, {"::1", 128}};
  // Writes also need this token (X-Consul-Token or Authorization: Bearer)
  // when set: from http_token_file (ours) or Consul's acl.tokens
  // (initial_management, its older name master) with acl.enabled.
  std::string token;
  std::filesystem::path token_file;
  int max_connections = 256;              // ours: open connections in all
  int max_connections_per_client = 200;   // Consul limits.http_max_conns_per_client

  friend bool operator==(const HttpSettings&, const HttpSettings&) = default;
};

// Ours: "failover": {"<service>": {...}}. Roles of that service's instances
// come from observation, and failoverdns promotes a replica when the
// primary dies. See README "Failover".
struct FailoverSettings {
  std::string service;
  std::string user = "failoverdns";
  std::string password;  // from "password" or the file named by "password_file"
  std::string replication_user = "slave";
  std::string replication_password;
  Milliseconds interval{std::chrono::seconds(1)};
  Milliseconds timeout{std::chrono::seconds(1)};
  int failcount = 3;
  Milliseconds recheck_interval{200};
  bool auto_failover = true;
  bool auto_rejoin = true;
  bool verify_with_replicas = true;
  // Promote even when the candidate lacks transactions the primary had (or
  // was not receiving from it): the operator accepts losing them.
  bool accept_data_loss = false;
  // Replicas found with read_only=0 are set read_only=1 (MaxScale's
  // enforce_read_only_slaves).
  bool enforce_read_only_replicas = true;
  Milliseconds relay_log_wait{std::chrono::seconds(30)};
  // A planned switchover: refused when the target lags more than this
  // (Seconds_Behind_Master); rolled back when, the primary read-only, the
  // target has not applied everything within switchover_timeout.
  Milliseconds switchover_max_lag{std::chrono::seconds(5)};
  Milliseconds switchover_timeout{std::chrono::seconds(10)};
  std::vector<std::string> no_promotion;  // instance ids never promoted
  std::filesystem::path state_file;       // default /var/lib/failoverdns/<service>.state
  Milliseconds cooldown{std::chrono::seconds(60)};
  std::optional<Milliseconds> max_replica_lag;  // replicas lagging more leave replica.<svc>
  // MariaDB's extra_port: failoverdns's own connections (probes, actions) go
  // there, so a server at max_connections can still be probed and fenced.
  // Replication keeps the service port.
  std::optional<std::uint16_t> extra_port;
  // Fencing or demoting a former primary also ends its client sessions.
  bool kill_sessions_on_demote = true;
  // failover.<svc>.hooks: event name (failover_started, failover_complete,
  // failover_failed, switchover, fenced) -> argv (a string is run by
  // /bin/sh -c). Run off the decision path, killed after hook_timeout.
  std::map<std::string, std::vector<std::string>> hooks;
  Milliseconds hook_timeout{std::chrono::seconds(30)};
  // The files the passwords came from (empty when given inline): once
  // failoverdns runs as `user`, it checks that a reload can still read them.
  std::filesystem::path password_file;
  std::filesystem::path replication_password_file;
  std::string path;

  friend bool operator==(const FailoverSettings&, const FailoverSettings&) = default;
};

struct Config {
  std::string datacenter = "dc1";
  std::string domain = "consul";
  std::string alt_domain;  // empty = none
  std::string node_name;   // default: the host name
  std::string advertise_addr = "127.0.0.1";  // address of services that give none

  ListenerSettings listeners;
  DnsSettings dns;
  ResolverSettings resolver;
  HttpSettings http;
  // Consul's enable_script_checks / enable_local_script_checks: script
  // checks run only when one is true (Consul's default is false too).
  bool enable_script_checks = false;
  // Ours: the account to run as. Started as root, failoverdns switches to it
  // after binding its sockets; empty = stay whoever started it. `group`
  // (needs `user`) defaults to the user's primary group. Fixed at start.
  std::string user;
  std::string group;

  std::vector<ServiceDefinition> services;
  std::vector<FailoverSettings> failover;

  std::vector<std::filesystem::path> files;  // every file read, in merge order

  // The failover settings of `service` (names compare case-insensitively,
  // as DNS does), or nullptr when it is not under failover.
  const FailoverSettings* failover_for(std::string_view service) const;
};

struct ConfigSource {
  enum class Kind { file, dir };
  Kind kind;
  std::filesystem::path path;
};

struct ConfigDiagnostics {
  std::vector<std::string> errors;    // "FILE: json.path: what is wrong"
  std::vector<std::string> warnings;  // ignored Consul keys, weak permissions, ...
};

// Reads every source (a dir contributes its *.json files in name order) and
// merges them as Consul does: objects merge key by key, later scalars win,
// "services"/"service" accumulate. Returns the Config, or nullopt with at
// least one error in `diagnostics`. Warnings are added either way.
std::optional<Config> load_config(const std::vector<ConfigSource>& sources, ConfigDiagnostics& diagnostics);

// A few lines for --check-config: services, instances, listeners, failover.
std::string describe(const Config& config);

}  // namespace failoverdns
