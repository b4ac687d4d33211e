// Every class of config error, with the exact message a user sees:
// "FILE: json.path: what was expected, got what".
#include <doctest/doctest.h>

#include "unit/config/config_fixture.hpp"

using namespace failoverdns;
using namespace failoverdns::testing;

namespace {

struct Case {
  const char* json;
  const char* message;  // after "FILE: "
};

void check_single_error(const Case& c) {
  INFO(std::string(c.json));
  const auto loaded = load_text(c.json);
  CHECK_FALSE(loaded.config);
  for (const auto& e : loaded.diagnostics.errors) INFO(e);
  REQUIRE(loaded.diagnostics.errors.size() == 1);
  CHECK(loaded.diagnostics.errors[0] == loaded.file + ": " + c.message);
}

}  // namespace

TEST_CASE("service errors name the file and the JSON path") {
  const Case cases[] = {
      {R"({"services": [{"name": "a", "port": 1}, {"name": "mysql", "port": "abc"}]})",
       R"(services[1].port: expected integer 1-65535, got "abc")"},
      {R"({"services": [{"name": "mysql", "port": 0}]})", "services[0].port: expected integer 1-65535, got 0"},
      {R"({"services": [{"name": "mysql", "port": 65536}]})", "services[0].port: expected integer 1-65535, got 65536"},
      {R"({"services": [{"name": "mysql", "port": 3306.5}]})", "services[0].port: expected integer 1-65535, got 3306.5"},
      {R"({"services": [{"id": "x"}]})", R"(services[0]: missing "name": every service needs one)"},
      {R"({"services": [{"name": "my_sql"}]})",
       R"(services[0].name: "my_sql" cannot be served over DNS: a service name must be 1-63 letters, digits or hyphens)"},
      {R"({"services": [{"name": "my.sql"}]})",
       R"(services[0].name: "my.sql" cannot be served over DNS: a service name must be 1-63 letters, digits or hyphens)"},
      {R"({"services": [{"name": 5}]})", "services[0].name: expected a string, got 5"},
      {R"({"services": [{"name": "a", "id": ""}]})", R"(services[0].id: expected a non-empty string, got "")"},
      {R"({"services": [{"name": "a", "node": "b.c"}]})",
       R"(services[0].node: "b.c" cannot be served over DNS: a node name must be 1-63 letters, digits or hyphens)"},
      {R"({"services": [{"name": "db", "address": "db1.example.com"}]})",
       R"(services[0].address: expected an IP address, got "db1.example.com"; only IP addresses are supported)"},
      {R"({"services": [{"name": "db", "address": "{{ GetPrivateIP }}"}]})",
       R"(services[0].address: "{{ GetPrivateIP }}": go-sockaddr templates are not supported; give an IP address)"},
      {R"({"services": [{"name": "db", "tags": ["a", 5]}]})", "services[0].tags[1]: expected a string, got 5"},
      {R"({"services": [{"name": "db", "tags": "a"}]})", R"(services[0].tags: expected an array of strings, got "a")"},
      {R"({"services": [{"name": "db", "meta": {"v": 2}}]})", "services[0].meta.v: expected a string, got 2"},
      {R"({"services": [{"name": "db", "weights": {"passing": 0}}]})",
       "services[0].weights.passing: expected integer 1-65535, got 0"},
      {R"({"services": [{"name": "db", "weights": {"pasing": 3}}]})",
       R"(services[0].weights.pasing: unknown key; did you mean "passing"?)"},
      {R"({"services": [{"name": "db", "prot": 3306}]})", R"(services[0].prot: unknown key; did you mean "port"?)"},
      {R"({"services": [5]})", "services[0]: expected an object, got 5"},
      {R"({"services": {"name": "db"}})", "services: expected an array of service definitions, got object"},
      {R"({"service": [{"name": "db"}]})", R"(service: expected an object, got [{"name":"db"}])"},
  };
  for (const auto& c : cases) check_single_error(c);
}

TEST_CASE("check errors name the file and the JSON path") {
  const Case cases[] = {
      {R"({"service": {"name": "db", "checks": [{"interval": "5s"}]}})",
       R"(service.checks[0]: a check needs one of "script", "args", "tcp" or "mariadb": true)"},
      {R"({"service": {"name": "db", "checks": [{"script": "x", "interval": "5x"}]}})",
       R"(service.checks[0].interval: invalid duration "5x": unknown unit "x" (use ns, us, ms, s, m or h))"},
      {R"({"service": {"name": "db", "checks": [{"script": "x", "interval": 5}]}})",
       R"(service.checks[0].interval: expected a duration string like "10s", got 5)"},
      {R"({"service": {"name": "db", "checks": [{"script": "x", "timeout": "0s"}]}})",
       R"(service.checks[0].timeout: expected a duration of at least 1ms, got "0s")"},
      {R"({"service": {"name": "db", "checks": [{"tcp": "db1"}]}})",
       R"(service.checks[0].tcp: expected "host:port" (port 1-65535, IPv6 as "[::1]:3306"), got "db1")"},
      {R"({"service": {"name": "db", "checks": [{"tcp": "::1:3306"}]}})",
       R"(service.checks[0].tcp: expected "host:port" (port 1-65535, IPv6 as "[::1]:3306"), got "::1:3306")"},
      {R"({"service": {"name": "db", "checks": [{"tcp": "h:0"}]}})",
       R"(service.checks[0].tcp: expected "host:port" (port 1-65535, IPv6 as "[::1]:3306"), got "h:0")"},
      {R"({"service": {"name": "db", "checks": [{"script": "x", "tcp": "h:1"}]}})",
       R"(service.checks[0]: a check runs one thing; found "script", "tcp")"},
      {R"({"service": {"name": "db", "check": {"args": []}}})",
       "service.check.args: expected a non-empty array: the program and its arguments"},
      {R"({"service": {"name": "db", "check": {"script": ""}}})", R"(service.check.script: expected a shell command, got "")"},
      {R"({"service": {"name": "db", "check": {"mariadb": "yes"}}})", R"(service.check.mariadb: expected true or false, got "yes")"},
      {R"({"service": {"name": "db", "check": {"mariadb": true, "failures_before_critical": -1}}})",
       "service.check.failures_before_critical: expected integer >= 0, got -1"},
      {R"({"service": {"name": "db", "check": {"mariadb": true, "intervall": "1s"}}})",
       R"(service.check.intervall: unknown key; did you mean "interval"?)"},
      {R"({"service": {"name": "db", "checks": {"mariadb": true}}})",
       R"(service.checks: expected an array of checks, got {"mariadb":true})"},
      {R"({"service": {"name": "db", "checks": ["x"]}})", R"(service.checks[0]: expected a check object, got "x")"},
  };
  for (const auto& c : cases) check_single_error(c);
}

TEST_CASE("top-level and dns_config errors name the file and the JSON path") {
  const Case cases[] = {
      {R"({"datacenter": "dc 1"})",
       R"(datacenter: "dc 1" cannot be served over DNS: a datacenter must be 1-63 letters, digits or hyphens)"},
      {R"({"domain": "a..b"})", R"(domain: expected a domain name like "consul" (dot-separated DNS labels), got "a..b")"},
      {R"({"domain": ""})", R"(domain: expected a domain name like "consul" (dot-separated DNS labels), got "")"},
      {R"({"alt_domain": "x_y"})", R"(alt_domain: expected a domain name like "consul" (dot-separated DNS labels), got "x_y")"},
      {R"({"node_name": ""})", R"(node_name: expected a non-empty string, got "")"},
      {R"({"advertise_addr": "myhost"})", R"(advertise_addr: expected an IP address, got "myhost"; only IP addresses are supported)"},
      {R"({"addresses": {"dns": "127.0.0.1 nothost"}})",
       R"(addresses.dns: expected an IP address, got "nothost"; only IP addresses are supported)"},
      {R"({"addresses": {"dns": []}})", "addresses.dns: expected at least one IP address (to turn DNS off, set ports.dns to -1)"},
      {R"({"addresses": {"dns": 5}})", "addresses.dns: expected IP addresses (a list, or a space-separated string), got 5"},
      {R"({"addresses": "127.0.0.1"})", R"(addresses: expected an object, got "127.0.0.1")"},
      {R"({"ports": {"dns": 0}})", "ports.dns: expected integer 1-65535, or -1 to turn DNS off, got 0"},
      {R"({"ports": {"dns": "53"}})", R"(ports.dns: expected integer 1-65535, or -1 to turn DNS off, got "53")"},
      {R"({"ports": {"dns": 70000}})", "ports.dns: expected integer 1-65535, or -1 to turn DNS off, got 70000"},
      {R"({"dns_workers": -1})", "dns_workers: expected integer 0-1024 (0 = one per CPU core), got -1"},
      {R"({"dns_config": {"udp_answer_limit": 0}})", "dns_config.udp_answer_limit: expected integer >= 1, got 0"},
      {R"({"dns_config": {"a_record_limit": -1}})", "dns_config.a_record_limit: expected integer >= 0 (0 = no limit), got -1"},
      {R"({"dns_config": {"edns_buffer_size": 511}})", "dns_config.edns_buffer_size: expected integer 512-4096, got 511"},
      {R"({"dns_config": {"tcp_max_connections": 0}})", "dns_config.tcp_max_connections: expected integer 1-1000000, got 0"},
      {R"({"dns_config": {"tcp_max_connections_per_client": 0}})",
       "dns_config.tcp_max_connections_per_client: expected integer 1-1024 (at most dns_config.tcp_max_connections), got 0"},
      {R"({"dns_config": {"tcp_max_connections_per_client": 5, "tcp_max_connections": 4}})",
       "dns_config.tcp_max_connections_per_client: expected integer 1-4 (at most dns_config.tcp_max_connections), got 5"},
      {R"({"dns_config": {"soa": {"expire": -1}}})", "dns_config.soa.expire: expected integer 0-4294967295, got -1"},
      {R"({"dns_config": {"soa": {"minttl": 5}}})", R"(dns_config.soa.minttl: unknown key; did you mean "min_ttl"?)"},
      {R"({"dns_config": {"node_ttl": 5}})", R"(dns_config.node_ttl: expected a duration string like "10s", got 5)"},
      {R"({"dns_config": {"recursor_timeout": "0s"}})",
       R"(dns_config.recursor_timeout: expected a duration of at least 1ms, got "0s")"},
      {R"({"dns_config": {"tcp_idle_timeout": "-1s"}})",
       R"(dns_config.tcp_idle_timeout: invalid duration "-1s": must not be negative)"},
      {R"({"dns_config": {"service_ttl": {"w*b": "5s"}}})",
       R"(dns_config.service_ttl["w*b"]: expected a service name, "prefix*" or "*"; a "*" may only end the key)"},
      {R"({"dns_config": {"service_ttl": {"web": "5"}}})",
       R"(dns_config.service_ttl.web: invalid duration "5": missing unit (use ns, us, ms, s, m or h))"},
      {R"({"dns_config": {"service_ttl": "5s"}})", R"(dns_config.service_ttl: expected an object of service name to TTL, got "5s")"},
      {R"({"dns_config": {"only_passing": "yes"}})", R"(dns_config.only_passing: expected true or false, got "yes")"},
      {R"({"dns_config": {"only_pasing": true}})", R"(dns_config.only_pasing: unknown key; did you mean "only_passing"?)"},
      {R"({"recursors": ["8.8.8.8", "dns.google"]})", R"(recursors[1]: expected "IP" or "IP:port", got "dns.google")"},
      {R"({"recursors": ["8.8.8.8:0"]})", R"(recursors[0]: expected "IP" or "IP:port", got "8.8.8.8:0")"},
      {R"({"recursors": "8.8.8.8"})", R"(recursors: expected an array of strings, got "8.8.8.8")"},
      {R"({"dns_config": {"recursor_strategy": "fastest"}})",
       R"(dns_config.recursor_strategy: expected "sequential" or "random", got "fastest")"},
      {R"({"dns_config": {"recursor_acl": ["10.0.0.0/33"]}})",
       R"(dns_config.recursor_acl[0]: expected "IP/prefix" or "IP", got "10.0.0.0/33")"},
      {R"({"dns_config": {"recursor_acl": "127.0.0.1"}})",
       R"(dns_config.recursor_acl: expected an array of strings, got "127.0.0.1")"},
      {R"({"dns_config": {"recursor_max_outstanding": 0}})",
       R"(dns_config.recursor_max_outstanding: expected integer 1-100000, got 0)"},
      {R"({"ports": {"dns": 53}, "recursors": ["127.0.0.1"]})",
       "recursors[0]: 127.0.0.1 port 53 is failoverdns's own DNS listener (addresses.dns, ports.dns): forwarding "
       "there would loop; give the upstream resolver (your network's, or 127.0.0.1 port 5353 of a local one)"},
      {R"({"recursor": "dns.google:53"})", R"(recursor: expected "IP" or "IP:port", got "dns.google:53")"},
      {R"({"datacentre": "dc2"})", R"(datacentre: unknown key; did you mean "datacenter"?)"},
      {R"({"log_levle": "INFO"})", R"(log_levle: unknown key; did you mean "log_level"?)"},
      {R"({"frobnicate": 1})", "frobnicate: unknown key"},
      {R"({"weird key": 1})", R"(["weird key"]: unknown key)"},
  };
  for (const auto& c : cases) check_single_error(c);
}

TEST_CASE("a JSON value that is not an object at the top level") {
  const auto loaded = load_text("[1, 2]");
  CHECK_FALSE(loaded.config);
  REQUIRE(loaded.diagnostics.errors.size() == 1);
  CHECK(loaded.diagnostics.errors[0] == loaded.file + ": expected a JSON object at the top level, got array");
}

TEST_CASE("JSON syntax errors give file:line:column") {
  struct SyntaxCase {
    const char* text;
    const char* position;
    const char* detail;
  };
  const SyntaxCase cases[] = {
      {"{\n  \"a\": 1,\n}\n", ":3:1: invalid JSON: ", "unexpected '}'"},
      {"{\n\t\"services\": [\n\t\t{\"name\": \"x\" \"port\": 1}\n\t]\n}\n", ":3:21: invalid JSON: ", "unexpected string literal"},
      {"", ":1:1: invalid JSON: ", "unexpected end of input"},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.text));
    const auto loaded = load_text(c.text);
    CHECK_FALSE(loaded.config);
    REQUIRE(loaded.diagnostics.errors.size() == 1);
    const std::string& e = loaded.diagnostics.errors[0];
    CHECK(e.starts_with(loaded.file + c.position));
    CHECK(e.find(c.detail) != std::string::npos);
  }
}

TEST_CASE("all errors are reported, not just the first") {
  const auto loaded = load_text(R"({
    "datacentre": "dc2",
    "ports": {"dns": 0},
    "services": [
      {"name": "a_b", "port": "x"},
      {"name": "c", "checks": [{"interval": "1s"}, {"script": "x", "timeout": "y"}]}
    ]
  })");
  CHECK_FALSE(loaded.config);
  CHECK(loaded.diagnostics.errors.size() == 6);
}

TEST_CASE("duplicate service ids are an error naming both definitions") {
  const auto loaded = load_text(R"({"services": [{"id": "n1", "name": "a"}, {"name": "n2"}, {"id": "n1", "name": "b"}]})");
  CHECK_FALSE(loaded.config);
  REQUIRE(loaded.diagnostics.errors.size() == 1);
  CHECK(loaded.diagnostics.errors[0] == loaded.file + ": services[2].id: duplicate service id \"n1\", already defined at " +
                                            loaded.file + ": services[0]");
}

TEST_CASE("real Consul keys we do not use are warnings, not errors") {
  const auto loaded = load_text(R"({
    "server": true, "bootstrap_expect": 1, "data_dir": "/opt/consul", "ui_config": {"enabled": true},
    "ports": {"dns": 8600, "https": 8501, "serf_lan": 8301},
    "addresses": {"grpc": "0.0.0.0"},
    "dns_config": {"allow_stale": true, "max_stale": "87600h"},
    "service": {"name": "web", "enable_tag_override": true,
                "check": {"args": ["true"], "notes": "n", "deregister_critical_service_after": "90m"}}
  })");
  REQUIRE(loaded.diagnostics.errors.empty());
  REQUIRE(loaded.config);
  const std::string ignored = ": ignored Consul key (failoverdns does not use it)";
  const std::vector<std::string> want = {
      loaded.file + ": addresses.grpc" + ignored,
      loaded.file + ": bootstrap_expect" + ignored,
      loaded.file + ": data_dir" + ignored,
      loaded.file + ": dns_config.allow_stale" + ignored,
      loaded.file + ": dns_config.max_stale" + ignored,
      loaded.file + ": ports.https" + ignored,
      loaded.file + ": ports.serf_lan" + ignored,
      loaded.file + ": server" + ignored,
      loaded.file + ": ui_config" + ignored,
      loaded.file + ": service.enable_tag_override" + ignored,
      loaded.file + ": service.check.deregister_critical_service_after" + ignored,
      loaded.file + ": service.check.notes" + ignored,
      loaded.file + ": service.check: this script check will not run: set enable_script_checks (or "
                    "enable_local_script_checks) to true, as Consul requires; until then it does not affect DNS",
  };
  CHECK(loaded.diagnostics.warnings == want);
}

TEST_CASE("agent-level checks are ignored with a warning that says where checks go") {
  const auto loaded = load_text(R"({"check": {"args": ["true"], "interval": "5s"}, "checks": []})");
  REQUIRE(loaded.config);
  const std::string why = "agent-level checks are not supported and are ignored; define the check inside its service";
  CHECK(loaded.diagnostics.warnings ==
        std::vector<std::string>{loaded.file + ": check: " + why, loaded.file + ": checks: " + why});
}

// Copying a parsed value recurses once per level of nesting: without a limit
// a corrupt or hostile file exhausts the stack and the daemon dies, on reload
// too. The documents below are valid JSON; only their depth is wrong.
TEST_CASE("a config nested deeper than 64 levels is refused before parsing, naming where") {
  std::string objects;
  for (int i = 0; i < 60000; ++i) objects += R"({"a":)";
  objects += "1" + std::string(60000, '}');
  const auto deep_objects = load_text(objects);
  CHECK_FALSE(deep_objects.config);
  REQUIRE(deep_objects.diagnostics.errors.size() == 1);
  // The 65th "{" is byte 321 of the line.
  CHECK(deep_objects.diagnostics.errors[0] ==
        deep_objects.file + ":1:321: nested deeper than 64 levels (byte 321); a config needs a dozen at most: "
                            "is this the file you meant?");

  const auto deep_arrays = load_text("{\n\"x\":\n" + std::string(100000, '[') + std::string(100000, ']') + "}");
  CHECK_FALSE(deep_arrays.config);
  REQUIRE(deep_arrays.diagnostics.errors.size() == 1);
  CHECK(deep_arrays.diagnostics.errors[0].starts_with(deep_arrays.file + ":3:64: nested deeper than 64 levels (byte 71)"));
}

TEST_CASE("64 levels load; brackets inside strings, escaped quotes included, do not count") {
  // An ignored Consul key is not read further, so any shape loads.
  std::string nested = R"({"ui_config": )";
  for (int i = 0; i < 63; ++i) nested += R"({"a": )";
  nested += "1" + std::string(63, '}') + "}";
  const auto at_limit = load_text(nested);
  for (const auto& e : at_limit.diagnostics.errors) INFO(e);
  CHECK(at_limit.config);

  const auto in_string = load_text(R"({"ui_config": "\" )" + std::string(100, '[') + std::string(100, '{') + R"(\\"})");
  for (const auto& e : in_string.diagnostics.errors) INFO(e);
  CHECK(in_string.config);
}

// Errors go to logs and terminals that others read: the value of a secret
// key is never in them, but the rest of the message stays as useful.
TEST_CASE("errors never show the value of a secret key") {
  const std::string mysql = R"("services": [{"id": "n1", "name": "mysql", "port": 3306}],)";
  const Case cases[] = {
      {R"({"failover": {"mysql": {"password": 123456789}}})",
       "failover.mysql.password: expected a string, got a number (value not shown: secret)"},
      {R"({"failover": {"mysql": {"replication_password": ["123456789"]}}})",
       "failover.mysql.replication_password: expected a string, got an array (value not shown: secret)"},
      {R"({"failover": {"mysql": [{"user": "u", "password": "123456789"}]}})",
       R"x(failover.mysql: expected an object, got [{"password":"(value not shown: secret)","user":"u"}])x"},
      {R"({"service": [{"name": "db", "token": "123456789"}]})",
       R"x(service: expected an object, got [{"name":"db","token":"(value not shown: secret)"}])x"},
      // A file name is where a secret is, not the secret, and is needed to fix the error.
      {R"({"failover": {"mysql": {"password_file": 123456789}}})",
       "failover.mysql.password_file: expected a string, got 123456789"},
  };
  for (const auto& c : cases) check_single_error({std::string(c.json).insert(1, mysql).c_str(), c.message});

  const auto meta = load_text(R"({"service": {"name": "db", "meta": {"db_password": 5, "api_token": 6, "Client_Secret": 7,
                                                                      "db password": 9, "tokens": {"a": "123456789"},
                                                                      "port": 8}}})");
  const std::string secret = " (value not shown: secret)";
  CHECK(meta.diagnostics.errors ==
        std::vector<std::string>{meta.file + ": service.meta.Client_Secret: expected a string, got a number" + secret,
                                 meta.file + ": service.meta.api_token: expected a string, got a number" + secret,
                                 meta.file + ": service.meta[\"db password\"]: expected a string, got a number" + secret,
                                 meta.file + ": service.meta.db_password: expected a string, got a number" + secret,
                                 meta.file + ": service.meta.port: expected a string, got 8",
                                 meta.file + ": service.meta.tokens: expected a string, got an object" + secret});
}

TEST_CASE("JSON syntax errors never quote the text at the error, which may be a password") {
  const char* texts[] = {
      R"({"failover": {"mysql": {"password": "hun\ter2\q"}}})",  // a bad escape
      "{\"failover\": {\"mysql\": {\"password\": \"hunter2\n\"}}}",  // a raw newline
      R"({"failover": {"mysql": {"password": hunter2}}})",         // no quotes
      R"({"failover": {"mysql": {"password": 12hunter2}}})",
  };
  for (const char* text : texts) {
    INFO(std::string(text));
    const auto loaded = load_text(text);
    CHECK_FALSE(loaded.config);
    REQUIRE(loaded.diagnostics.errors.size() == 1);
    const std::string& e = loaded.diagnostics.errors[0];
    CHECK(e.starts_with(loaded.file + ":1:") == (std::string_view(text).find('\n') == std::string_view::npos));
    CHECK(e.find("invalid JSON: syntax error") != std::string::npos);
    CHECK(e.find("hun") == std::string::npos);
    CHECK(e.find("12h") == std::string::npos);
    CHECK(e.find("last read") == std::string::npos);
  }
}
