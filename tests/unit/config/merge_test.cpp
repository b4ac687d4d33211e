// Several files and config dirs merge as Consul merges them.
#include <doctest/doctest.h>

#include "unit/config/config_fixture.hpp"

using namespace failoverdns;
using namespace failoverdns::testing;
using namespace std::chrono_literals;

namespace {

ConfigSource dir_source(const std::filesystem::path& p) { return {ConfigSource::Kind::dir, p}; }
ConfigSource file_source(const std::filesystem::path& p) { return {ConfigSource::Kind::file, p}; }

}  // namespace

TEST_CASE("a config dir: *.json in name order, objects merged, later scalars win, services accumulate") {
  TempDir dir;
  // Written out of order: the name decides, not creation or directory order.
  const auto b = dir.write("20-override.json", R"({
    "datacenter": "second", "dns_config": {"only_passing": true, "soa": {"retry": 7}},
    "service": {"id": "c", "name": "web"}
  })");
  const auto a = dir.write("10-base.json", R"({
    "datacenter": "first", "domain": "example",
    "dns_config": {"udp_answer_limit": 5, "only_passing": false, "soa": {"expire": 1, "retry": 2},
                   "service_ttl": {"web": "5s"}},
    "services": [{"id": "a", "name": "mysql"}, {"id": "b", "name": "mysql"}]
  })");
  const auto c = dir.write("30-more.json", R"({"dns_config": {"service_ttl": {"*": "1s"}}, "services": [{"id": "d", "name": "web"}]})");
  dir.write("README.md", "not json {");
  dir.write("notes.json.bak", "not json {");
  dir.write("sub/40-ignored.json", R"({"datacenter": "from-a-subdir"})");

  const auto loaded = load_sources({dir_source(dir.path())});
  REQUIRE(loaded.diagnostics.errors.empty());
  CHECK(loaded.diagnostics.warnings.empty());
  REQUIRE(loaded.config);
  const Config& cfg = *loaded.config;
  CHECK(cfg.files == std::vector<std::filesystem::path>{a, b, c});
  CHECK(cfg.datacenter == "second");
  CHECK(cfg.domain == "example");
  CHECK(cfg.dns.udp_answer_limit == 5);
  CHECK(cfg.dns.only_passing);
  CHECK(cfg.dns.soa.expire == 1);
  CHECK(cfg.dns.soa.retry == 7);
  CHECK(cfg.dns.service_ttl == std::map<std::string, Seconds>{{"web", 5s}, {"*", 1s}});
  std::vector<std::string> ids;
  for (const auto& s : cfg.services) ids.push_back(s.id);
  CHECK(ids == std::vector<std::string>{"a", "b", "c", "d"});
  CHECK(cfg.services[2].path == b.string() + ": service");
  CHECK(cfg.services[3].path == c.string() + ": services[0]");
}

TEST_CASE("sources are read in the order given; recursors append like Consul's lists") {
  TempDir dir;
  const auto first = dir.write("one.json", R"({"ports": {"dns": 53}, "recursors": ["1.1.1.1"], "recursor": "9.9.9.9"})");
  dir.write("conf.d/x.json", R"({"ports": {"dns": 5353}, "recursors": ["8.8.8.8"]})");
  const auto loaded = load_sources({file_source(first), dir_source(dir.path() / "conf.d")});
  REQUIRE(loaded.config);
  CHECK(loaded.config->listeners.port == 5353);
  CHECK(loaded.config->resolver.recursors ==
        std::vector<ResolverSettings::Upstream>{{"1.1.1.1", 53}, {"8.8.8.8", 53}, {"9.9.9.9", 53}});
}

TEST_CASE("an error in a merged value names the file that set it") {
  TempDir dir;
  const auto a = dir.write("a.json", R"({"dns_config": {"udp_answer_limit": 0, "a_record_limit": -1}, "ports": {"dns": 53}})");
  const auto b = dir.write("b.json", R"({"dns_config": {"a_record_limit": 2, "node_ttl": "x"}, "recursors": ["bad"]})");
  const auto c = dir.write("c.json", R"({"recursors": ["1.1.1.1", "also-bad"]})");
  const auto loaded = load_sources({dir_source(dir.path())});
  CHECK_FALSE(loaded.config);
  // a_record_limit -1 in a.json was overridden by b.json, so it is no error.
  const std::vector<std::string> want = {
      b.string() + R"(: dns_config.node_ttl: invalid duration "x": expected a number and a unit, like "10s")",
      a.string() + ": dns_config.udp_answer_limit: expected integer >= 1, got 0",
      b.string() + R"(: recursors[0]: expected "IP" or "IP:port", got "bad")",
      c.string() + R"(: recursors[2]: expected "IP" or "IP:port", got "also-bad")",
  };
  CHECK(loaded.diagnostics.errors == want);
}

TEST_CASE("a scalar replaced by an object (or back) takes the later file's origin") {
  TempDir dir;
  dir.write("a.json", R"({"dns_config": {"soa": 5}})");
  const auto b = dir.write("b.json", R"({"dns_config": {"soa": {"expire": "x"}}})");
  const auto loaded = load_sources({dir_source(dir.path())});
  REQUIRE(loaded.diagnostics.errors.size() == 1);
  CHECK(loaded.diagnostics.errors[0] == b.string() + R"(: dns_config.soa.expire: expected integer 0-4294967295, got "x")");
}

TEST_CASE("duplicate service ids across files name both files") {
  TempDir dir;
  const auto a = dir.write("a.json", R"({"services": [{"name": "x"}, {"id": "db1", "name": "mysql"}]})");
  const auto b = dir.write("b.json", R"({"service": {"id": "db1", "name": "mysql"}})");
  const auto loaded = load_sources({dir_source(dir.path())});
  CHECK_FALSE(loaded.config);
  REQUIRE(loaded.diagnostics.errors.size() == 1);
  CHECK(loaded.diagnostics.errors[0] ==
        b.string() + ": service.id: duplicate service id \"db1\", already defined at " + a.string() + ": services[1]");
}

TEST_CASE("errors in several files are all reported, files after a broken one are still read") {
  TempDir dir;
  const auto a = dir.write("a.json", "{ broken");
  const auto b = dir.write("b.json", R"({"service": {"name": "ok"}, "ports": {"dns": 0}})");
  const auto loaded = load_sources({dir_source(dir.path())});
  CHECK_FALSE(loaded.config);
  REQUIRE(loaded.diagnostics.errors.size() == 2);
  CHECK(loaded.diagnostics.errors[0].starts_with(a.string() + ":1:3: invalid JSON: "));
  CHECK(loaded.diagnostics.errors[1] == b.string() + ": ports.dns: expected integer 1-65535, or -1 to turn DNS off, got 0");
}

TEST_CASE("missing sources and HCL files") {
  TempDir dir;
  SUBCASE("a missing file") {
    const auto loaded = load_sources({file_source(dir.path() / "nope.json")});
    CHECK_FALSE(loaded.config);
    REQUIRE(loaded.diagnostics.errors.size() == 1);
    CHECK(loaded.diagnostics.errors[0] == (dir.path() / "nope.json").string() + ": cannot read config file: no such file");
  }
  SUBCASE("a missing dir") {
    const auto loaded = load_sources({dir_source(dir.path() / "nope.d")});
    CHECK_FALSE(loaded.config);
    REQUIRE(loaded.diagnostics.errors.size() == 1);
    CHECK(loaded.diagnostics.errors[0] == (dir.path() / "nope.d").string() + ": config dir not found");
  }
  SUBCASE("a dir given as a file") {
    const auto loaded = load_sources({file_source(dir.path())});
    CHECK_FALSE(loaded.config);
    REQUIRE(loaded.diagnostics.errors.size() == 1);
    CHECK(loaded.diagnostics.errors[0] ==
          dir.path().string() + ": is a directory; give it as a config dir, not a config file");
  }
  SUBCASE("HCL in a config dir is skipped with a warning") {
    const auto hcl = dir.write("agent.hcl", "server = true\n");
    const auto loaded = load_sources({dir_source(dir.path())});
    REQUIRE(loaded.config);
    REQUIRE(loaded.diagnostics.warnings.size() == 1);
    CHECK(loaded.diagnostics.warnings[0] == hcl.string() + ": HCL config is not supported, file ignored (convert it to JSON)");
  }
  SUBCASE("an empty dir is a valid, default config") {
    const auto loaded = load_sources({dir_source(dir.path())});
    REQUIRE(loaded.config);
    CHECK(loaded.config->files.empty());
  }
}

// A *.json entry that cannot be read as a file is most likely a mistake (a
// broken deploy, a half-made symlink): say so instead of dropping it silently.
TEST_CASE("in a config dir, a *.json that is not a readable file is skipped with a warning") {
  TempDir dir;
  const auto& d = dir.path();
  dir.write("a.json", R"({"datacenter": "east"})");
  std::filesystem::create_directory(d / "b.json");
  std::filesystem::create_symlink("/nowhere", d / "c.json");
  std::filesystem::create_symlink("d.json", d / "d.json");
  REQUIRE(::mkfifo((d / "e.json").c_str(), 0600) == 0);
  std::filesystem::create_symlink(std::string(300, 'x'), d / "f.json");  // a name longer than NAME_MAX
  std::filesystem::create_directory(d / "sub.d");                        // not named *.json: nothing to say
  std::filesystem::create_symlink("a.json", d / "z.json");               // a symlink to a file is read

  const auto loaded = load_sources({dir_source(d)});
  REQUIRE(loaded.config);
  CHECK(loaded.config->datacenter == "east");
  CHECK(loaded.config->files == std::vector<std::filesystem::path>{d / "a.json", d / "z.json"});
  CHECK(loaded.diagnostics.warnings == std::vector<std::string>{
                                           (d / "b.json").string() + ": a directory, skipped",
                                           (d / "c.json").string() + ": dangling symlink to /nowhere, skipped",
                                           (d / "d.json").string() + ": symlink loop, skipped",
                                           (d / "e.json").string() + ": not a regular file, skipped",
                                           (d / "f.json").string() + ": cannot be read (File name too long), skipped",
                                       });
}
