#include <doctest/doctest.h>

#include <filesystem>

#include "failoverdns/catalog/catalog.hpp"

using namespace failoverdns;
using namespace std::chrono_literals;

namespace {

ServiceDefinition service(std::string id, std::string name, std::string address = {}, std::string node = {}) {
  ServiceDefinition s;
  s.id = std::move(id);
  s.name = std::move(name);
  s.address = std::move(address);
  s.node = std::move(node);
  return s;
}

}  // namespace

TEST_CASE("IpAddress parses and prints IPv4 and IPv6 literals") {
  struct Case {
    const char* text;
    bool v6;
    const char* printed;
  };
  const Case cases[] = {
      {"127.0.0.1", false, "127.0.0.1"},
      {"0.0.0.0", false, "0.0.0.0"},
      {"255.255.255.255", false, "255.255.255.255"},
      {"172.25.0.11", false, "172.25.0.11"},
      {"::1", true, "::1"},
      {"::", true, "::"},
      {"2001:db8::1", true, "2001:db8::1"},
      {"2001:0DB8:0000:0000:0000:0000:0000:0001", true, "2001:db8::1"},
      {"fe80::1:2:3:4", true, "fe80::1:2:3:4"},
      {"::ffff:10.1.2.3", true, "::ffff:10.1.2.3"},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.text));
    auto ip = IpAddress::parse(c.text);
    REQUIRE(ip);
    CHECK(ip->v6 == c.v6);
    CHECK(ip->to_string() == c.printed);
    CHECK(IpAddress::parse(ip->to_string()) == ip);
  }
  const auto v4 = IpAddress::parse("10.1.2.3");
  REQUIRE(v4);
  CHECK(v4->bytes[0] == 10);
  CHECK(v4->bytes[3] == 3);
  CHECK(v4->bytes[4] == 0);
  const auto v6 = IpAddress::parse("2001:db8::ff");
  REQUIRE(v6);
  CHECK(v6->bytes[0] == 0x20);
  CHECK(v6->bytes[1] == 0x01);
  CHECK(v6->bytes[15] == 0xff);
}

TEST_CASE("IpAddress rejects what is not an IP literal") {
  for (const char* text : {"", "1.2.3", "256.0.0.1", "1.2.3.4 ", " 1.2.3.4", "db1.example.com", ":::", "1::2::3",
                           "[::1]", "::1%eth0", "127.0.0.1:53",
                           "1111:2222:3333:4444:5555:6666:7777:8888:9999:0000:1111:2222:3333:4444:5555:6666"}) {
    INFO(std::string(text));
    CHECK_FALSE(IpAddress::parse(text));
  }
}

// Names arrive lower-case and addresses filled in: load_config does that
// (tests/unit/config/services_test.cpp).
TEST_CASE("make_catalog carries the loaded services into instances") {
  Config config;
  config.datacenter = "dc1";
  config.domain = "consul";
  config.alt_domain = "example.org";
  config.advertise_addr = "10.0.0.9";
  auto db = service("MySQLNode1", "mysql", "172.25.0.11", "mysqlnode1");
  db.port = 3306;
  db.tags = {"master", "v1"};
  db.weight_passing = 10;
  db.weight_warning = 2;
  config.services.push_back(db);
  config.services.push_back(service("web1", "web", "10.0.0.9", "web1"));
  config.services.push_back(service("web2", "web", "::1", "host7"));
  FailoverSettings f;
  f.service = "mysql";
  config.failover.push_back(f);

  const Catalog c = make_catalog(config);
  CHECK(c.datacenter == "dc1");
  CHECK(c.domain == "consul");
  CHECK(c.alt_domain == "example.org");
  REQUIRE(c.instances.size() == 3);

  const Instance& m = c.instances[0];
  CHECK(m.id == "MySQLNode1");
  CHECK(m.service == "mysql");
  CHECK(m.node == "mysqlnode1");
  CHECK(m.address == *IpAddress::parse("172.25.0.11"));
  CHECK(m.port == 3306);
  CHECK(m.tags == std::vector<std::string>{"master", "v1"});
  CHECK(m.weight_passing == 10);
  CHECK(m.weight_warning == 2);
  CHECK(m.health == Health::passing);
  CHECK(m.role == Role::none);

  CHECK(c.instances[1].address == *IpAddress::parse("10.0.0.9"));
  CHECK(c.instances[1].node == "web1");
  CHECK(c.instances[1].port == 0);
  CHECK(c.instances[2].address == *IpAddress::parse("::1"));
  CHECK(c.instances[2].node == "host7");

  CHECK(c.failover_services == std::vector<std::string>{"mysql"});
  CHECK(c.under_failover("mysql"));
  CHECK_FALSE(c.under_failover("web"));
}

TEST_CASE("make_catalog: name server glue comes from the DNS listeners, wildcards excepted") {
  Config config;
  config.advertise_addr = "10.0.0.9";
  SUBCASE("specific listeners") {
    config.listeners.addresses = {"127.0.0.1", "::1"};
    CHECK(make_catalog(config).ns_addresses ==
          std::vector<IpAddress>{*IpAddress::parse("127.0.0.1"), *IpAddress::parse("::1")});
  }
  SUBCASE("only wildcards: advertise_addr") {
    config.listeners.addresses = {"0.0.0.0", "::"};
    CHECK(make_catalog(config).ns_addresses == std::vector<IpAddress>{*IpAddress::parse("10.0.0.9")});
  }
}

TEST_CASE("make_catalog carries the DNS settings") {
  Config config;
  config.dns.service_ttl["web"] = 30s;
  config.dns.only_passing = true;
  const Catalog c = make_catalog(config);
  CHECK(c.dns.only_passing);
  CHECK(c.dns.ttl_for_service("web") == 30s);
}

TEST_CASE("ttl_for_service: exact name, then the longest prefix*, then *, then 0") {
  DnsSettings dns;
  CHECK(dns.ttl_for_service("web") == 0s);
  dns.service_ttl = {{"web", 10s}, {"w*", 20s}, {"web-*", 30s}, {"*", 40s}, {"db*", 50s}};
  struct Case {
    const char* service;
    Seconds ttl;
  };
  const Case cases[] = {
      {"web", 10s},      // exact beats every prefix, even "web-*" and "w*"
      {"web-api", 30s},  // longest prefix
      {"web-", 30s},     // a prefix matches itself
      {"wiki", 20s},
      {"webx", 20s},
      {"db", 50s},
      {"mysql", 40s},  // "*"
      {"", 40s},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.service));
    CHECK(dns.ttl_for_service(c.service) == c.ttl);
  }
  dns.service_ttl.erase("*");
  CHECK(dns.ttl_for_service("mysql") == 0s);
  dns.service_ttl = {{"mysql*", 5s}, {"mysql", 1s}};
  CHECK(dns.ttl_for_service("mysql") == 1s);
  CHECK(dns.ttl_for_service("mysql2") == 5s);
}

TEST_CASE("make_catalog from the shipped demo config") {
  ConfigDiagnostics diagnostics;
  auto config = load_config(
      {{ConfigSource::Kind::file, std::filesystem::path(FAILOVERDNS_SOURCE_DIR) / "conf" / "demo.json"}}, diagnostics);
  REQUIRE(config);
  const Catalog c = make_catalog(*config);
  CHECK(c.datacenter == "dc1");
  CHECK(c.domain == "consul");
  std::size_t web = 0;
  for (const auto& in : c.instances) {
    if (in.service == "web") {
      ++web;
      CHECK(in.port == 80);
    }
    if (in.id == "mysqlnode1") CHECK(in.address == *IpAddress::parse("127.0.0.11"));
  }
  CHECK(web == 3);
  CHECK(c.failover_services.empty());
}
