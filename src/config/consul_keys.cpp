#include "consul_keys.hpp"

namespace failoverdns::conf::consul_keys {
namespace {

// From Consul's agent configuration reference (1.x, including deprecated
// spellings still found in old config dirs).
constexpr std::string_view kTopLevel[] = {
    "acl_agent_master_token", "acl_agent_token", "acl_datacenter", "acl_default_policy",
    "acl_down_policy", "acl_enable_key_list_policy", "acl_enforce_version_8", "acl_master_token",
    "acl_replication_token", "acl_token", "acl_ttl", "advertise_addr_ipv4", "advertise_addr_ipv6",
    "advertise_addr_wan", "advertise_addr_wan_ipv4", "advertise_addr_wan_ipv6", "advertise_addrs",
    "advertise_reconnect_timeout", "audit", "auto_config", "auto_encrypt", "auto_reload_config", "autopilot",
    "bootstrap", "bootstrap_expect", "ca_file", "ca_path", "cert_file", "check_output_max_size",
    "check_update_interval", "cloud", "config_entries", "connect", "data_dir",
    "default_query_time", "disable_anonymous_signature", "disable_coordinates", "disable_host_node_id",
    "disable_http_unprintable_char_filter", "disable_keyring_file", "disable_remote_exec",
    "disable_update_check", "discard_check_output", "discovery_max_stale", "enable_acl_replication",
    "enable_agent_tls_for_checks", "enable_central_service_config", "enable_debug",
    "enable_syslog", "encrypt",
    "encrypt_verify_incoming", "encrypt_verify_outgoing", "experiments", "gossip_lan", "gossip_wan",
    "http_config", "key_file", "leave_on_terminate", "license_path", "locality", "log_file",
    "log_json", "log_level", "log_rotate_bytes", "log_rotate_duration", "log_rotate_max_files",
    "max_query_time", "node_id", "node_meta", "non_voting_server", "peering", "performance", "pid_file",
    "primary_datacenter", "primary_gateways", "primary_gateways_interval", "protocol", "raft_boltdb",
    "raft_logstore", "raft_protocol", "raft_snapshot_interval", "raft_snapshot_threshold",
    "raft_trailing_logs", "read_replica", "reconnect_timeout", "reconnect_timeout_wan", "rejoin_after_leave",
    "reporting", "retry_interval", "retry_interval_wan", "retry_join", "retry_join_wan", "retry_max",
    "retry_max_wan", "rpc", "segment", "segments", "serf_lan", "serf_lan_allowed_cidrs", "serf_wan",
    "serf_wan_allowed_cidrs", "server", "server_name", "server_rejoin_age_max", "session_ttl_min",
    "skip_leave_on_interrupt", "start_join", "start_join_wan", "syslog_facility", "telemetry", "tls",
    "tls_cipher_suites", "tls_min_version", "tls_prefer_server_cipher_suites", "translate_wan_addrs", "ui",
    "ui_config", "ui_content_path", "ui_dir", "unix_sockets", "use_streaming_backend", "verify_incoming",
    "verify_incoming_https", "verify_incoming_rpc", "verify_outgoing", "verify_server_hostname", "watches",
    "xds",
};

constexpr std::string_view kAddresses[] = {"https", "grpc", "grpc_tls"};

constexpr std::string_view kPorts[] = {
    "https", "grpc", "grpc_tls", "serf_lan", "serf_wan", "server", "sidecar_min_port",
    "sidecar_max_port", "expose_min_port", "expose_max_port",
};

constexpr std::string_view kLimits[] = {
    "https_handshake_timeout", "request_limits", "rpc_client_timeout",
    "rpc_handshake_timeout", "rpc_max_burst", "rpc_max_conns_per_client", "rpc_rate", "kv_max_value_size",
    "txn_max_req_len",
};

constexpr std::string_view kAcl[] = {
    "default_policy", "down_policy", "enable_key_list_policy", "enable_token_persistence",
    "enable_token_replication", "policy_ttl", "role_ttl", "token_ttl", "msp_disable_bootstrap",
};

constexpr std::string_view kAclTokens[] = {
    "agent", "agent_recovery", "agent_master", "default", "replication", "config_file_service_registration",
    "dns",
};

constexpr std::string_view kDnsConfig[] = {
    "allow_stale", "max_stale", "enable_additional_node_meta_txt", "cache_max_age",
    "use_cache", "prefer_namespace", "node_meta_txt",
};

constexpr std::string_view kService[] = {
    "tagged_addresses", "enable_tag_override", "kind", "proxy", "connect", "token", "namespace", "partition",
    "locality", "socket_path",
};

constexpr std::string_view kCheck[] = {
    "notes", "status", "deregister_critical_service_after", "shell", "method", "header", "body",
    "disable_redirects", "tls_skip_verify", "tls_server_name", "output_max_size", "failures_before_warning",
    "tcp_use_tls", "grpc_use_tls", "h2ping_use_tls", "service_id", "alias_node",
};

// The presence of one of these makes a check of a type we do not run.
constexpr std::string_view kCheckKinds[] = {
    "http", "ttl", "grpc", "h2ping", "udp", "os_service", "alias_service", "docker_container_id",
};

}  // namespace

std::span<const std::string_view> top_level() { return kTopLevel; }
std::span<const std::string_view> addresses() { return kAddresses; }
std::span<const std::string_view> ports() { return kPorts; }
std::span<const std::string_view> limits() { return kLimits; }
std::span<const std::string_view> acl() { return kAcl; }
std::span<const std::string_view> acl_tokens() { return kAclTokens; }
std::span<const std::string_view> dns_config() { return kDnsConfig; }
std::span<const std::string_view> service() { return kService; }
std::span<const std::string_view> check() { return kCheck; }
std::span<const std::string_view> check_kinds() { return kCheckKinds; }

}  // namespace failoverdns::conf::consul_keys
