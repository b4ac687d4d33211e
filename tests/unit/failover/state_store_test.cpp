#include "failoverdns/failover/state_store.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

using namespace failoverdns;
namespace fs = std::filesystem;

namespace {

// A fresh directory per test, removed afterwards.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "fdns-state-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

std::size_t entries(const fs::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

FailoverState sample() {
  FailoverState s;
  s.primary = "mysqlnode2";
  s.epoch = 3;
  s.coordinates = {"mysql-bin.000007", 1234, "0-2-110"};
  s.fenced = {"mysqlnode1"};
  s.last_failover = WallTime(std::chrono::milliseconds(1'700'000'000'123));
  s.primary_since = WallTime(std::chrono::milliseconds(1'700'000'000'456));
  s.gtid_lineage = "0-1-103,0-2-110";
  s.maintenance = {{"mysqlnode3", "disk swap"}};
  s.demoted = "mysqlnode2";
  return s;
}

}  // namespace

TEST_CASE("StateStore: a missing file is the empty state, and the parent directory is created on save") {
  TempDir dir;
  StateStore store(dir.path / "sub" / "dir" / "mysql.state", "mysql");
  auto loaded = store.load();
  REQUIRE(loaded.has_value());
  CHECK(*loaded == FailoverState{});

  REQUIRE(store.save(sample()).has_value());
  CHECK(fs::is_regular_file(dir.path / "sub" / "dir" / "mysql.state"));
}

TEST_CASE("StateStore: save then load round-trips every field") {
  TempDir dir;
  StateStore store(dir.path / "mysql.state", "mysql");
  auto s = sample();
  REQUIRE(store.save(s).has_value());
  auto loaded = store.load();
  REQUIRE(loaded.has_value());
  CHECK(*loaded == s);

  s.promoting = PromotionIntent{"mysqlnode3", "mysqlnode2"};
  s.last_failover.reset();
  s.fenced.clear();
  s.maintenance.clear();
  s.demoted.clear();
  REQUIRE(store.save(s).has_value());
  loaded = store.load();
  REQUIRE(loaded.has_value());
  CHECK(*loaded == s);
  CHECK(loaded->promoting->candidate == "mysqlnode3");
}

TEST_CASE("StateStore: save replaces the file by rename and leaves no temporary file") {
  TempDir dir;
  auto path = dir.path / "mysql.state";
  StateStore store(path, "mysql");
  REQUIRE(store.save(sample()).has_value());
  struct stat before {};
  REQUIRE(::stat(path.c_str(), &before) == 0);
  auto s = sample();
  s.epoch = 4;
  REQUIRE(store.save(s).has_value());
  struct stat after {};
  REQUIRE(::stat(path.c_str(), &after) == 0);
  // A new inode: the old file was never rewritten in place, so a crash
  // mid-save cannot leave a torn state.
  CHECK(before.st_ino != after.st_ino);
  CHECK(entries(dir.path) == 1);
  CHECK(store.load()->epoch == 4);
}

TEST_CASE("StateStore: a failed save keeps the old state and cleans up") {
  TempDir dir;
  auto path = dir.path / "mysql.state";
  // rename() over a non-empty directory fails: the save must report it,
  // remove its temporary file, and leave what was there.
  fs::create_directories(path / "occupied");
  StateStore store(path, "mysql");
  auto r = store.save(sample());
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message.find("cannot save failover state file") != std::string::npos);
  CHECK(r.error().message.find(path.string()) != std::string::npos);
  CHECK(entries(dir.path) == 1);
  CHECK(fs::is_directory(path / "occupied"));
}

TEST_CASE("StateStore: corrupt or foreign files are errors that say what to do") {
  struct Case {
    const char* name;
    std::string text;
    const char* expect;
  };
  const std::vector<Case> cases = {
      {"truncated", R"({"format": 1, "service": "mysql", "prim)", "not valid JSON"},
      {"empty", "", "not valid JSON"},
      {"array", "[1,2]", "not a JSON object"},
      {"other service", R"({"format":1,"service":"pg","primary":"a","epoch":1})", "belongs to service \"pg\""},
      {"future format", R"({"format":2,"service":"mysql","primary":"a","epoch":1})", "format 2"},
      {"missing primary", R"({"format":1,"service":"mysql","epoch":1})", "missing \"primary\""},
      {"wrong type", R"({"format":1,"service":"mysql","primary":"a","epoch":"one"})", "\"epoch\" has the wrong type"},
      {"negative epoch", R"({"format":1,"service":"mysql","primary":"a","epoch":-1})", "\"epoch\""},
      {"bad lineage", R"({"format":1,"service":"mysql","primary":"a","epoch":1,"gtid_lineage":"0-1"})", "gtid_lineage"},
      {"primary fenced", R"({"format":1,"service":"mysql","primary":"a","epoch":1,"fenced":["a"]})",
       "also listed as \"fenced\""},
      {"fenced not a list", R"({"format":1,"service":"mysql","primary":"a","epoch":1,"fenced":"b"})", "fenced"},
  };
  TempDir dir;
  auto path = dir.path / "mysql.state";
  StateStore store(path, "mysql");
  for (const auto& c : cases) {
    CAPTURE(c.name);
    write_file(path, c.text);
    auto r = store.load();
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message.find(c.expect) != std::string::npos);
    CHECK(r.error().message.find(path.string()) != std::string::npos);
    CHECK(r.error().message.find("move it away") != std::string::npos);
  }
}

TEST_CASE("StateStore: the file is readable JSON a person can inspect") {
  TempDir dir;
  auto path = dir.path / "mysql.state";
  REQUIRE(StateStore(path, "mysql").save(sample()).has_value());
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(text.find("\"primary\": \"mysqlnode2\"") != std::string::npos);
  CHECK(text.find("\"last_failover_utc\": \"2023-11-14T22:13:20Z\"") != std::string::npos);
}

TEST_CASE("StateStore: primary_since round-trips; files from before it load with the last failover's time") {
  TempDir dir;
  auto path = dir.path / "mysql.state";
  StateStore store(path, "mysql");
  auto s = sample();
  s.primary_since = WallTime(std::chrono::milliseconds(1'796'227'391'000));
  REQUIRE(store.save(s).has_value());
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(text.find("\"primary_since_utc\": \"2026-12-02T16:03:11Z\"") != std::string::npos);
  auto loaded = store.load();
  REQUIRE(loaded.has_value());
  CHECK(loaded->primary_since == s.primary_since);

  // Written before primary_since existed: the current primary was promoted
  // at the last failover; one found at first start has no known start.
  const std::string old_file = R"({"format": 1, "service": "mysql", "primary": "mysqlnode2", "epoch": 3,
    "last_failover_unix_ms": 1700000000123, "gtid_lineage": ""})";
  write_file(path, old_file);
  loaded = store.load();
  REQUIRE(loaded.has_value());
  CHECK(loaded->primary_since == WallTime(std::chrono::milliseconds(1'700'000'000'123)));
  write_file(path, R"({"format": 1, "service": "mysql", "primary": "mysqlnode1", "epoch": 1, "gtid_lineage": ""})");
  loaded = store.load();
  REQUIRE(loaded.has_value());
  CHECK_FALSE(loaded->primary_since.has_value());
  CHECK(loaded->primary == "mysqlnode1");
}
