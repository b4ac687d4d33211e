// The API's answers from a known view: Consul's shapes and filters, our
// failover status, errors. The JSON is parsed back, so field names and
// types are checked as a consul-template or jq script would read them.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "failoverdns/http/api.hpp"

using namespace failoverdns;
using json = nlohmann::json;

namespace {

Instance instance(std::string id, std::string service, std::string node, std::string address, Role role,
                  Health health, std::vector<std::string> tags = {}) {
  Instance in;
  in.id = std::move(id);
  in.service = std::move(service);
  in.node = std::move(node);
  in.address = *IpAddress::parse(address);
  in.port = 3306;
  in.role = role;
  in.health = health;
  in.tags = std::move(tags);
  return in;
}

ApiView view() {
  ApiView v;
  v.catalog_index = 1764691200;
  v.failover_index = 1764691300;
  v.catalog.datacenter = "dc1";
  v.catalog.domain = "consul";
  v.catalog.failover_services = {"mysql"};
  v.catalog.instances = {
      instance("mysqlnode1", "mysql", "node1", "127.0.0.11", Role::primary, Health::passing, {"master"}),
      instance("mysqlnode2", "mysql", "node2", "127.0.0.12", Role::replica, Health::passing, {"master"}),
      instance("mysqlnode3", "mysql", "node3", "127.0.0.13", Role::fenced, Health::passing),
      instance("web1", "web", "node1", "127.0.0.11", Role::none, Health::warning, {"v1", "blue"}),
  };
  v.catalog.instances[3].port = 80;
  v.service_meta["web1"] = {{"owner", "team-a"}};
  v.agent.node_name = "dbhost";
  v.agent.datacenter = "dc1";
  v.agent.advertise_addr = "127.0.0.1";
  v.agent.version = "0.1.0";
  FailoverStatus s;
  s.service = "mysql";
  s.primary = "mysqlnode1";
  s.epoch = 3;
  s.primary_since = WallTime(std::chrono::milliseconds(1764691200250));
  MemberStatus m;
  m.id = "mysqlnode2";
  m.host = "127.0.0.12";
  m.port = 3306;
  m.role = Role::replica;
  m.health = Health::passing;
  m.probe = "answered";
  m.read_only = true;
  m.gtid_slave_pos = "0-1-41";
  m.gtid_received = "0-1-42";
  m.replicating_from = "mysqlnode1";
  m.lag_seconds = 2;
  s.members.push_back(m);
  FailoverRecord r;
  r.started = WallTime(std::chrono::seconds(1764691100));
  r.ended = r.started + std::chrono::seconds(1);
  r.outcome = "complete";
  r.old_primary = "mysqlnode2";
  r.new_primary = "mysqlnode1";
  r.epoch = 3;
  r.timeline.push_back({r.started, LogEvent{LogLevel::error, "primary_down", {{"service", "mysql"}, {"instance", "mysqlnode2"}}}});
  s.failovers.push_back(r);
  v.failover.push_back(s);
  return v;
}

ApiResponse get(const std::string& target, const ApiView& v = view()) {
  auto request = parse_target("GET", target);
  REQUIRE(request);
  return answer(*request, v);
}

json body(const ApiResponse& r) { return json::parse(r.body); }

}  // namespace

TEST_CASE("parse_target decodes the path and the query") {
  auto r = parse_target("GET", "/v1/health/service/my%2Dsql?passing&tag=ma%73ter&wait=1m+");
  REQUIRE(r);
  CHECK(r->path == "/v1/health/service/my-sql");
  CHECK(r->query.at("passing") == "");
  CHECK(r->query.at("tag") == "master");
  CHECK(r->query.at("wait") == "1m ");
  CHECK_FALSE(parse_target("GET", "/v1/x%zz"));
  CHECK_FALSE(parse_target("GET", "/v1/x?a=%4"));
}

TEST_CASE("/v1/health/service: Node, Service, Checks; ?passing and ?tag follow the roles, as DNS does") {
  auto r = get("/v1/health/service/mysql");
  CHECK(r.status == 200);
  CHECK(r.index == 1764691200u);
  auto all = body(r);
  REQUIRE(all.size() == 3);
  CHECK(all[0]["Node"]["Node"] == "node1");
  CHECK(all[0]["Node"]["Address"] == "127.0.0.11");
  CHECK(all[0]["Node"]["Datacenter"] == "dc1");
  CHECK(all[0]["Service"]["ID"] == "mysqlnode1");
  CHECK(all[0]["Service"]["Service"] == "mysql");
  CHECK(all[0]["Service"]["Port"] == 3306);
  CHECK(all[0]["Service"]["Tags"] == json{"primary", "master"});
  // A configured "master" tag on the replica is not what DNS or the API say.
  CHECK(all[1]["Service"]["Tags"] == json{"replica", "slave"});
  CHECK(all[2]["Service"]["Tags"] == json::array());
  REQUIRE(all[0]["Checks"].size() == 2);
  CHECK(all[0]["Checks"][0]["CheckID"] == "serfHealth");
  CHECK(all[0]["Checks"][1]["Status"] == "passing");
  CHECK(all[2]["Checks"][1]["Status"] == "critical");  // fenced: out of DNS, so not passing
  CHECK(all[2]["Checks"][1]["Output"] == "role=fenced health=passing");

  auto passing = body(get("/v1/health/service/mysql?passing"));
  REQUIRE(passing.size() == 2);
  auto master = body(get("/v1/health/service/mysql?passing&tag=master"));
  REQUIRE(master.size() == 1);
  CHECK(master[0]["Service"]["ID"] == "mysqlnode1");
  CHECK(body(get("/v1/health/service/MySQL?tag=Replica")).size() == 1);
  CHECK(body(get("/v1/health/service/web?passing")).empty());  // warning is not passing
  CHECK(body(get("/v1/health/service/nosuch")).empty());       // Consul: [] and 200
}

TEST_CASE("/v1/catalog endpoints and /v1/agent/services") {
  auto services = body(get("/v1/catalog/services"));
  CHECK(services == json{{"mysql", {"master", "primary", "replica", "slave"}}, {"web", {"blue", "v1"}}});
  auto web = body(get("/v1/catalog/service/web?tag=v1"));
  REQUIRE(web.size() == 1);
  CHECK(web[0]["ServiceID"] == "web1");
  CHECK(web[0]["ServicePort"] == 80);
  CHECK(web[0]["ServiceAddress"] == "127.0.0.11");
  CHECK(web[0]["ServiceMeta"] == json{{"owner", "team-a"}});
  CHECK(web[0]["Node"] == "node1");
  CHECK(body(get("/v1/catalog/service/web?tag=v2")).empty());
  auto nodes = body(get("/v1/catalog/nodes"));
  REQUIRE(nodes.size() == 3);
  CHECK(nodes[0]["Node"] == "node1");
  CHECK(nodes[0]["ID"].get<std::string>().size() == 36);  // a UUID
  auto agent = body(get("/v1/agent/services"));
  CHECK(agent["web1"]["Service"] == "web");
  CHECK(agent["web1"]["Tags"] == json{"v1", "blue"});
  CHECK(agent["mysqlnode2"]["Tags"] == json{"replica", "slave"});
}

TEST_CASE("/v1/agent/self and /v1/status/leader hold no secrets and say who decides") {
  auto self = body(get("/v1/agent/self"));
  CHECK(self["Config"]["NodeName"] == "dbhost");
  CHECK(self["Config"]["Datacenter"] == "dc1");
  CHECK(self["Config"]["Version"] == "0.1.0");
  CHECK(get("/v1/agent/self").index == std::nullopt);
  CHECK(body(get("/v1/status/leader")) == "127.0.0.1:8300");
}

TEST_CASE("/v1/failover/<service>: primary, epoch, since, instances, failovers") {
  auto r = get("/v1/failover/mysql");
  CHECK(r.status == 200);
  CHECK(r.index == 1764691300u);
  auto s = body(r);
  CHECK(s["Primary"] == "mysqlnode1");
  CHECK(s["Epoch"] == 3);
  CHECK(s["PrimarySince"] == "2025-12-02T16:00:00.250Z");
  CHECK(s["Blocked"] == false);
  REQUIRE(s["Instances"].size() == 1);
  const auto& m = s["Instances"][0];
  CHECK(m["Node"] == "node2");
  CHECK(m["Role"] == "replica");
  CHECK(m["LagSeconds"] == 2);
  CHECK(m["GtidReceived"] == "0-1-42");
  CHECK(m["GtidExecuted"] == "0-1-41");
  CHECK(m["ReplicatingFrom"] == "mysqlnode1");
  CHECK(m["LastProbe"].is_null());
  REQUIRE(s["Failovers"].size() == 1);
  CHECK(s["Failovers"][0]["Outcome"] == "complete");
  CHECK(s["Failovers"][0]["Timeline"][0]["Event"] == "primary_down");
  CHECK(s["Failovers"][0]["Timeline"][0]["Fields"] == json{{"instance", "mysqlnode2"}});
  CHECK(body(get("/v1/failover")).size() == 1);
  auto missing = get("/v1/failover/web");
  CHECK(missing.status == 404);
  CHECK(body(missing)["error"] == "service \"web\" is not under failover (failover services: mysql)");
}

TEST_CASE("errors: unknown endpoints, other datacenters, writes to read-only endpoints") {
  CHECK(get("/v1/kv/foo").status == 404);
  CHECK(body(get("/v1/kv/foo"))["error"].get<std::string>().starts_with("no endpoint /v1/kv/foo"));
  CHECK(get("/v1/catalog/services?dc=dc2").status == 500);
  CHECK(get("/v1/catalog/services?dc=DC1").status == 200);
  auto put = parse_target("PUT", "/v1/catalog/services");
  CHECK(answer(*put, view()).status == 405);
}

TEST_CASE("watched indexes and ?wait") {
  CHECK(watched_index(*parse_target("GET", "/v1/health/service/mysql")) == WatchedIndex::catalog);
  CHECK(watched_index(*parse_target("GET", "/v1/failover/mysql")) == WatchedIndex::failover);
  CHECK(watched_index(*parse_target("GET", "/v1/agent/self")) == WatchedIndex::none);
  CHECK(parse_wait(*parse_target("GET", "/x")) == std::chrono::minutes(5));
  CHECK(parse_wait(*parse_target("GET", "/x?wait=30s")) == std::chrono::seconds(30));
  CHECK(parse_wait(*parse_target("GET", "/x?wait=1h")) == std::chrono::minutes(10));
  CHECK_FALSE(parse_wait(*parse_target("GET", "/x?wait=soon")));
}
