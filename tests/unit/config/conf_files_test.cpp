// Every example we ship must load: a broken example is a broken promise.
#include <doctest/doctest.h>

#include <algorithm>

#include "unit/config/config_fixture.hpp"

using namespace failoverdns;
using namespace failoverdns::testing;
using namespace std::chrono_literals;

namespace {

const std::filesystem::path kConf = std::filesystem::path(FAILOVERDNS_SOURCE_DIR) / "conf";

}  // namespace

TEST_CASE("every JSON file in conf/ loads without errors") {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(kConf))
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  std::ranges::sort(files);
  REQUIRE(files.size() >= 3);  // consul-seed.json, demo.json, failover-example.json at least
  for (const auto& file : files) {
    CAPTURE(file.string());
    const auto loaded = load_sources({{ConfigSource::Kind::file, file}});
    for (const auto& e : loaded.diagnostics.errors) MESSAGE(e);
    CHECK(loaded.diagnostics.errors.empty());
    CHECK(loaded.config);
  }
}

TEST_CASE("conf/demo.json is the demo the README and tools/demo describe") {
  const auto loaded = load_sources({{ConfigSource::Kind::file, kConf / "demo.json"}});
  REQUIRE(loaded.config);
  CHECK(loaded.diagnostics.warnings.empty());
  const Config& c = *loaded.config;
  CHECK(c.datacenter == "dc1");
  CHECK(c.listeners.addresses == std::vector<std::string>{"127.0.0.1"});
  CHECK(c.listeners.port == 8600);
  CHECK_FALSE(c.dns.service_ttl.empty());
  std::vector<std::tuple<std::string, std::string, std::string, int>> instances;  // name, id, address, port
  for (const auto& s : c.services) {
    CHECK(s.checks.empty());  // nothing needs to be running for the demo
    instances.emplace_back(s.name, s.id, s.address, s.port);
  }
  CHECK(std::ranges::count(instances, std::string("web"), [](auto& t) { return std::get<0>(t); }) == 3);
  CHECK(std::ranges::find(instances, std::tuple<std::string, std::string, std::string, int>{
                                         "mysql", "mysqlnode1", "127.0.0.11", 3306}) != instances.end());
  CHECK(std::ranges::find(instances, std::tuple<std::string, std::string, std::string, int>{
                                         "mysql", "mysqlnode2", "127.0.0.12", 3306}) != instances.end());
  for (const auto& s : c.services) {
    if (s.id == "mysqlnode1") CHECK(s.tags == std::vector<std::string>{"master"});
    if (s.id == "mysqlnode2") CHECK(s.tags == std::vector<std::string>{"replica"});
  }
}

TEST_CASE("conf/failover-example.json puts mysql under failover") {
  const auto loaded = load_sources({{ConfigSource::Kind::file, kConf / "failover-example.json"}});
  REQUIRE(loaded.config);
  REQUIRE(loaded.config->failover.size() == 1);
  CHECK(loaded.config->failover[0].service == "mysql");
}

TEST_CASE("the dnsmasq snippet forwards the consul domain to our DNS port") {
  std::ifstream in(kConf / "dnsmasq-failoverdns.conf");
  REQUIRE(in);
  bool found = false;
  for (std::string line; std::getline(in, line);) found = found || line == "server=/consul/127.0.0.1#8600";
  CHECK(found);
}
