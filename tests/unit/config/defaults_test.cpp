#include <doctest/doctest.h>
#include <unistd.h>

#include <climits>

#include "unit/config/config_fixture.hpp"

using namespace failoverdns;
using namespace failoverdns::testing;
using namespace std::chrono_literals;

namespace {

std::string this_host() {
  char buf[HOST_NAME_MAX + 1] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

}  // namespace

TEST_CASE("an empty config file gives Consul's defaults and ours") {
  const auto loaded = load_text("{}");
  REQUIRE(loaded.diagnostics.errors.empty());
  CHECK(loaded.diagnostics.warnings.empty());
  REQUIRE(loaded.config);
  const Config& c = *loaded.config;
  CHECK(c.datacenter == "dc1");
  CHECK(c.domain == "consul");
  CHECK(c.alt_domain.empty());
  CHECK(c.node_name == this_host());
  CHECK(c.advertise_addr == "127.0.0.1");
  CHECK(c.listeners.addresses == std::vector<std::string>{"127.0.0.1"});
  CHECK(c.listeners.port == 8600);
  CHECK(c.listeners.workers == 0);
  CHECK(c.resolver.recursors.empty());
  CHECK(c.resolver.strategy == ResolverSettings::Strategy::sequential);
  CHECK(c.resolver.timeout == 2s);
  CHECK(c.resolver.acl == std::vector<ResolverSettings::Network>{{"127.0.0.0", 8}, {"::1", 128}});
  CHECK(c.resolver.cache_size == 10000);
  CHECK(c.resolver.max_outstanding == 1000);
  CHECK(c.services.empty());
  CHECK(c.failover.empty());
  REQUIRE(c.files.size() == 1);
  CHECK(c.files[0].string() == loaded.file);

  const DnsSettings& d = c.dns;
  CHECK(d.node_ttl == 0s);
  CHECK(d.service_ttl.empty());
  CHECK_FALSE(d.only_passing);
  CHECK(d.enable_truncate);  // ours; Consul's is false
  CHECK(d.udp_answer_limit == 3);
  CHECK(d.a_record_limit == 0);
  CHECK(d.soa.expire == 86400);
  CHECK(d.soa.min_ttl == 0);
  CHECK(d.soa.refresh == 3600);
  CHECK(d.soa.retry == 600);
  CHECK_FALSE(d.recursion_available);
  CHECK_FALSE(d.disable_compression);
  CHECK(d.edns_buffer_size == 1232);
  CHECK(c.listeners.tcp_idle_timeout == 10s);
  CHECK(c.listeners.tcp_max_connections == 1024);
  CHECK(c.listeners.tcp_max_connections_per_client == 256);
}

TEST_CASE("no sources at all is a valid, default config") {
  const auto loaded = load_sources({});
  REQUIRE(loaded.config);
  CHECK(loaded.diagnostics.errors.empty());
  CHECK(loaded.config->datacenter == "dc1");
  CHECK(loaded.config->files.empty());
}

TEST_CASE("every top-level and dns_config key is read") {
  const auto loaded = load_text(R"({
    "datacenter": "east-1", "domain": "example.", "alt_domain": "alt.example", "node_name": "box.example.com",
    "advertise_addr": "10.0.0.5",
    "addresses": {"dns": "127.0.0.1 ::1"}, "ports": {"dns": 5353}, "dns_workers": 4,
    "recursors": ["9.9.9.9", "1.1.1.1:5353", "[2001:db8::1]:53", "2001:db8::2"], "recursor": "8.8.8.8",
    "dns_config": {
      "node_ttl": "30s", "service_ttl": {"*": "5s", "web*": "1m", "mysql": "0s"},
      "only_passing": true, "enable_truncate": false, "udp_answer_limit": 1, "a_record_limit": 2,
      "soa": {"expire": 1, "min_ttl": 2, "refresh": 3, "retry": 4},
      "recursor_timeout": "500ms", "recursor_strategy": "random", "recursor_acl": ["10.0.0.0/8", "::1", "fd00::/8"],
      "recursor_cache_size": 0, "recursor_max_outstanding": 20, "disable_compression": true,
      "edns_buffer_size": 4096, "tcp_idle_timeout": "1m30s", "tcp_max_connections": 7,
      "tcp_max_connections_per_client": 3
    }
  })");
  REQUIRE(loaded.diagnostics.errors.empty());
  REQUIRE(loaded.config);
  const Config& c = *loaded.config;
  CHECK(c.datacenter == "east-1");
  CHECK(c.domain == "example");  // trailing dot dropped
  CHECK(c.alt_domain == "alt.example");
  CHECK(c.node_name == "box.example.com");
  CHECK(c.advertise_addr == "10.0.0.5");
  CHECK(c.listeners.addresses == std::vector<std::string>{"127.0.0.1", "::1"});
  CHECK(c.listeners.port == 5353);
  CHECK(c.listeners.workers == 4);
  using Upstream = ResolverSettings::Upstream;
  CHECK(c.resolver.recursors == std::vector<Upstream>{{"9.9.9.9", 53}, {"1.1.1.1", 5353}, {"2001:db8::1", 53},
                                                      {"2001:db8::2", 53}, {"8.8.8.8", 53}});
  CHECK(c.resolver.strategy == ResolverSettings::Strategy::random);
  CHECK(c.resolver.timeout == 500ms);
  CHECK(c.resolver.acl == std::vector<ResolverSettings::Network>{{"10.0.0.0", 8}, {"::1", 128}, {"fd00::", 8}});
  CHECK(c.resolver.cache_size == 0);
  CHECK(c.resolver.max_outstanding == 20);
  const DnsSettings& d = c.dns;
  CHECK(d.node_ttl == 30s);
  CHECK(d.service_ttl == std::map<std::string, Seconds>{{"*", 5s}, {"web*", 60s}, {"mysql", 0s}});
  CHECK(d.only_passing);
  CHECK_FALSE(d.enable_truncate);
  CHECK(d.udp_answer_limit == 1);
  CHECK(d.a_record_limit == 2);
  CHECK(d.soa.expire == 1);
  CHECK(d.soa.min_ttl == 2);
  CHECK(d.soa.refresh == 3);
  CHECK(d.soa.retry == 4);
  CHECK(d.recursion_available);
  CHECK(d.disable_compression);
  CHECK(d.edns_buffer_size == 4096);
  CHECK(c.listeners.tcp_idle_timeout == 90s);
  CHECK(c.listeners.tcp_max_connections == 7);
  CHECK(c.listeners.tcp_max_connections_per_client == 3);
}

TEST_CASE("tcp_max_connections_per_client follows tcp_max_connections unless set") {
  const struct {
    const char* json;
    int per_client;
  } cases[] = {
      {R"({"dns_config": {"tcp_max_connections": 7}})", 2},  // a quarter, rounded up
      {R"({"dns_config": {"tcp_max_connections": 1}})", 1},
      {R"({"dns_config": {"tcp_max_connections": 4, "tcp_max_connections_per_client": 4}})", 4},
  };
  for (const auto& c : cases) {
    CAPTURE(c.json);
    const auto loaded = load_text(c.json);
    REQUIRE(loaded.config);
    CHECK(loaded.config->listeners.tcp_max_connections_per_client == c.per_client);
  }
}

TEST_CASE("addresses.dns takes a JSON list as well as Consul's space-separated string") {
  const auto loaded = load_text(R"({"addresses": {"dns": ["127.0.0.2", "::1"]}, "ports": {"dns": -1}})");
  REQUIRE(loaded.config);
  CHECK(loaded.config->listeners.addresses == std::vector<std::string>{"127.0.0.2", "::1"});
  CHECK(loaded.config->listeners.port == -1);
}

TEST_CASE("Consul fallbacks: bind_addr for advertise_addr, client_addr for addresses.dns") {
  SUBCASE("used when the specific key is absent") {
    const auto loaded = load_text(R"({"bind_addr": "10.1.2.3", "client_addr": "127.0.0.5 ::1"})");
    REQUIRE(loaded.config);
    CHECK(loaded.diagnostics.warnings.empty());
    CHECK(loaded.config->advertise_addr == "10.1.2.3");
    CHECK(loaded.config->listeners.addresses == std::vector<std::string>{"127.0.0.5", "::1"});
  }
  SUBCASE("the specific key wins") {
    const auto loaded = load_text(
        R"({"bind_addr": "10.1.2.3", "advertise_addr": "10.9.9.9", "client_addr": "0.0.0.0", "addresses": {"dns": "127.0.0.7"}})");
    REQUIRE(loaded.config);
    CHECK(loaded.config->advertise_addr == "10.9.9.9");
    CHECK(loaded.config->listeners.addresses == std::vector<std::string>{"127.0.0.7"});
  }
  SUBCASE("a wildcard bind_addr says nothing about the address to advertise") {
    const auto loaded = load_text(R"({"bind_addr": "0.0.0.0"})");
    REQUIRE(loaded.config);
    CHECK(loaded.config->advertise_addr == "127.0.0.1");
  }
  SUBCASE("a client_addr template is not used, with a warning") {
    const auto loaded = load_text(R"({"client_addr": "{{ GetPrivateIP }}"})");
    REQUIRE(loaded.config);
    CHECK(loaded.config->listeners.addresses == std::vector<std::string>{"127.0.0.1"});
    REQUIRE(loaded.diagnostics.warnings.size() == 1);
    CHECK(loaded.diagnostics.warnings[0] ==
          loaded.file + ": client_addr: \"{{ GetPrivateIP }}\" is not a list of IP addresses; not used as the DNS listen address");
  }
}
