#include <arpa/inet.h>
#include <netinet/in.h>

#include <doctest/doctest.h>

#include "failoverdns/support/network_acl.hpp"

using namespace failoverdns;

namespace {

bool allows(const NetworkAcl& acl, const char* address) {
  sockaddr_storage s{};
  if (std::string(address).find(':') == std::string::npos) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&s);
    v4->sin_family = AF_INET;
    inet_pton(AF_INET, address, &v4->sin_addr);
  } else {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&s);
    v6->sin6_family = AF_INET6;
    inet_pton(AF_INET6, address, &v6->sin6_addr);
  }
  return acl.allows(reinterpret_cast<const sockaddr*>(&s));
}

}  // namespace

TEST_CASE("loopback blocks (the default recursor_acl and http_acl)") {
  const NetworkAcl acl({{"127.0.0.0", 8}, {"::1", 128}});
  CHECK(allows(acl, "127.0.0.1"));
  CHECK(allows(acl, "127.255.0.9"));
  CHECK(allows(acl, "::1"));
  CHECK(allows(acl, "::ffff:127.0.0.1"));  // IPv4-mapped: checked as IPv4
  CHECK_FALSE(allows(acl, "128.0.0.1"));
  CHECK_FALSE(allows(acl, "10.0.0.1"));
  CHECK_FALSE(allows(acl, "::2"));
  CHECK_FALSE(allows(acl, "::ffff:10.0.0.1"));
}

TEST_CASE("prefixes that do not end on a byte, single addresses, and nothing at all") {
  const NetworkAcl acl({{"10.53.0.0", 20}, {"192.0.2.7", 32}, {"fd00::", 7}});
  CHECK(allows(acl, "10.53.15.255"));
  CHECK_FALSE(allows(acl, "10.53.16.0"));
  CHECK(allows(acl, "192.0.2.7"));
  CHECK_FALSE(allows(acl, "192.0.2.8"));
  CHECK(allows(acl, "fdff::1"));
  CHECK(allows(acl, "fc00::1"));
  CHECK_FALSE(allows(acl, "fe00::1"));
  const NetworkAcl nobody({});
  CHECK_FALSE(allows(nobody, "127.0.0.1"));
  const NetworkAcl everybody({{"0.0.0.0", 0}});
  CHECK(allows(everybody, "203.0.113.1"));
  CHECK_FALSE(allows(everybody, "::1"));
}
