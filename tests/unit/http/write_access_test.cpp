// Who may write: http_acl first, then the token, compared in constant time.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <doctest/doctest.h>

#include "http/write_access.hpp"

using namespace failoverdns;
using namespace failoverdns::http;

namespace {

sockaddr_in v4(const char* address) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  inet_pton(AF_INET, address, &a.sin_addr);
  return a;
}

std::optional<std::string> refusal(const WriteAccess& w, const char* peer, std::string_view token = "",
                                   std::string_view authorization = "") {
  auto a = v4(peer);
  return w.refusal(reinterpret_cast<const sockaddr*>(&a), peer, token, authorization);
}

}  // namespace

TEST_CASE("without a token: loopback writes, others are told about http_acl") {
  const WriteAccess w{HttpSettings{}};
  CHECK_FALSE(refusal(w, "127.0.0.1"));
  auto outside = refusal(w, "10.53.0.2");
  REQUIRE(outside);
  CHECK(outside->starts_with("writes are allowed only from http_acl, and 10.53.0.2 is not in it"));
}

TEST_CASE("with a token: X-Consul-Token or Authorization: Bearer, and the ACL still applies") {
  HttpSettings s;
  s.token = "s3cret";
  const WriteAccess w{s};
  CHECK(refusal(w, "127.0.0.1")->starts_with("a token is required for writes"));
  CHECK_FALSE(refusal(w, "127.0.0.1", "s3cret"));
  CHECK_FALSE(refusal(w, "127.0.0.1", "", "Bearer s3cret"));
  CHECK(refusal(w, "127.0.0.1", "s3creT")->starts_with("the token is not the configured one"));
  CHECK(refusal(w, "127.0.0.1", "", "Basic s3cret")->starts_with("a token is required"));
  CHECK(refusal(w, "10.53.0.2", "s3cret")->starts_with("writes are allowed only from http_acl"));
}

TEST_CASE("same_secret") {
  CHECK(same_secret("abc", "abc"));
  CHECK_FALSE(same_secret("abc", "abd"));
  CHECK_FALSE(same_secret("abc", "abcd"));
  CHECK(same_secret("", ""));
}
