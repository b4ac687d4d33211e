// The HTTP API's keys: Consul's addresses.http, ports.http, limits and acl
// tokens, and ours (http_acl, http_token_file, http_max_connections).
#include <doctest/doctest.h>

#include "config_fixture.hpp"

using namespace failoverdns;
using namespace failoverdns::testing;

TEST_CASE("the HTTP API defaults to Consul's 127.0.0.1:8500, writes from loopback, no token") {
  const auto loaded = load_text("{}");
  REQUIRE(loaded.config);
  const auto& h = loaded.config->http;
  CHECK(h.addresses == std::vector<std::string>{"127.0.0.1"});
  CHECK(h.port == 8500);
  CHECK(h.acl == std::vector<NetworkBlock>{{"127.0.0.0", 8}, {"::1", 128}});
  CHECK(h.token.empty());
  CHECK(h.max_connections == 256);
  CHECK(h.max_connections_per_client == 200);
}

TEST_CASE("addresses.http and ports.http as Consul writes them; client_addr when addresses.http is absent") {
  auto loaded = load_text(R"({"addresses": {"http": "127.0.0.2 ::1"}, "ports": {"http": 18500},
                              "limits": {"http_max_conns_per_client": 10, "rpc_rate": 5},
                              "http_max_connections": 20, "http_acl": ["10.0.0.0/8", "::1"]})");
  REQUIRE(loaded.config);
  CHECK(loaded.config->http.addresses == std::vector<std::string>{"127.0.0.2", "::1"});
  CHECK(loaded.config->http.port == 18500);
  CHECK(loaded.config->http.max_connections_per_client == 10);
  CHECK(loaded.config->http.max_connections == 20);
  CHECK(loaded.config->http.acl == std::vector<NetworkBlock>{{"10.0.0.0", 8}, {"::1", 128}});
  CHECK(loaded.diagnostics.warnings ==
        std::vector<std::string>{loaded.file + ": limits.rpc_rate: ignored Consul key (failoverdns does not use it)"});

  loaded = load_text(R"({"client_addr": "127.0.0.3", "ports": {"http": -1}})");
  REQUIRE(loaded.config);
  CHECK(loaded.config->http.addresses == std::vector<std::string>{"127.0.0.3"});
  CHECK(loaded.config->http.port == -1);
}

TEST_CASE("bad HTTP settings are errors naming the key") {
  struct Case {
    const char* json;
    const char* error;
  };
  const Case cases[] = {
      {R"({"ports": {"http": 0}})", "ports.http: expected integer 1-65535, or -1 to turn the HTTP API off, got 0"},
      {R"({"addresses": {"http": []}})",
       "addresses.http: expected at least one IP address (to turn the HTTP API off, set ports.http to -1)"},
      {R"({"http_acl": ["10.0.0.0/33"]})", "http_acl[0]: expected \"IP/prefix\" or \"IP\", got \"10.0.0.0/33\""},
      {R"({"http_max_connections": 0})", "http_max_connections: expected integer 1-100000, got 0"},
      {R"({"http_token_file": "missing.token"})", "http_token_file: cannot read"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.json);
    const auto loaded = load_text(c.json);
    CHECK_FALSE(loaded.config);
    REQUIRE(loaded.diagnostics.errors.size() == 1);
    CHECK(loaded.diagnostics.errors[0].starts_with(loaded.file + ": " + c.error));
  }
}

TEST_CASE("the write token: http_token_file, or Consul's management token when ACLs are enabled") {
  TempDir dir;
  dir.write("api.token", "s3cret-token\n", 0600);
  auto file = dir.write("a.json", R"({"http_token_file": "api.token"})");
  auto loaded = load_sources({{ConfigSource::Kind::file, file}});
  REQUIRE(loaded.config);
  CHECK(loaded.config->http.token == "s3cret-token");
  CHECK(loaded.config->http.token_file == dir.path() / "api.token");

  dir.write("empty.token", "\n", 0600);
  file = dir.write("b.json", R"({"http_token_file": "empty.token"})");
  loaded = load_sources({{ConfigSource::Kind::file, file}});
  CHECK_FALSE(loaded.config);

  auto consul = load_text(R"({"acl": {"enabled": true, "default_policy": "deny",
                                       "tokens": {"initial_management": "mgmt", "agent": "a"}}})");
  REQUIRE(consul.config);
  CHECK(consul.config->http.token == "mgmt");
  consul = load_text(R"({"acl": {"enabled": false, "tokens": {"master": "mgmt"}}})");
  REQUIRE(consul.config);
  CHECK(consul.config->http.token.empty());  // ACLs off in Consul: no token was needed there either
  consul = load_text(R"({"acl": {"enabled": true, "tokens": {"master": "old"}}})");
  REQUIRE(consul.config);
  CHECK(consul.config->http.token == "old");
}
