#include <doctest/doctest.h>

#include "failoverdns/failover/failover_members.hpp"

using namespace failoverdns;

TEST_CASE("failover_members lists the service's instances in configuration order") {
  Config config;
  auto svc = [](std::string id, std::string name, std::string address, std::uint16_t port) {
    ServiceDefinition s;
    s.id = std::move(id);
    s.name = std::move(name);
    s.address = std::move(address);
    s.port = port;
    return s;
  };
  // As load_config leaves them: names lower-case, every address filled in.
  config.services = {svc("n1", "mysql", "127.0.0.11", 3306), svc("web", "web", "127.0.0.20", 80),
                     svc("n2", "mysql", "127.0.0.9", 3307)};
  FailoverSettings settings;
  settings.service = "mysql";
  auto members = failover_members(config, settings);
  REQUIRE(members.size() == 2);
  CHECK(members[0].id == "n1");
  CHECK(members[0].host == "127.0.0.11");
  CHECK(members[1].id == "n2");
  CHECK(members[1].host == "127.0.0.9");
  CHECK(members[1].port == 3307);
}
