// Consul's read endpoints with Consul's JSON shapes, for the fields
// failoverdns has: a consul-template or `curl | jq` script written for
// Consul keeps working. Nodes are the instances' "node" names (Consul's
// agents); each instance's health is one check, plus the node's serfHealth.
#include <algorithm>
#include <cctype>
#include <ctime>
#include <cstdint>
#include <set>

#include <fmt/format.h>

#include "api_json.hpp"

namespace failoverdns::http {
namespace {

// Consul node IDs are UUIDs; ours is derived from the node name so it is
// the same on every call and across restarts (FNV-1a, two seeds).
std::string node_id(std::string_view node) {
  std::uint64_t h[2] = {0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL};
  for (auto& x : h)
    for (unsigned char c : node) x = (x ^ c) * 0x100000001b3ULL;
  const std::string hex = fmt::format("{:016x}{:016x}", h[0], h[1]);
  return fmt::format("{}-{}-{}-{}-{}", hex.substr(0, 8), hex.substr(8, 4), hex.substr(12, 4), hex.substr(16, 4),
                     hex.substr(20, 12));
}

bool has_tag(const std::vector<std::string>& tags, std::string_view tag) {
  if (tag.empty()) return true;
  std::string lower(tag);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return std::ranges::find(tags, lower) != tags.end();
}

// Under failover, only primary and replica count as passing: a fenced or
// unclassified server is out of DNS, so `?passing` leaves it out too.
Health effective_health(const Catalog& catalog, const Instance& in) {
  if (!catalog.under_failover(in.service)) return in.health;
  if (in.role != Role::primary && in.role != Role::replica) return Health::critical;
  return in.health;
}

json tagged_addresses(const Instance& in) {
  const std::string a = in.address.to_string();
  return in.address.v6 ? json{{"lan_ipv6", a}, {"wan_ipv6", a}} : json{{"lan", a}, {"lan_ipv4", a}, {"wan", a}, {"wan_ipv4", a}};
}

json node_json(const ApiView& view, const Instance& in) {
  return json{{"ID", node_id(in.node)},
              {"Node", in.node},
              {"Address", in.address.to_string()},
              {"Datacenter", view.catalog.datacenter},
              {"TaggedAddresses", tagged_addresses(in)},
              {"Meta", json::object()},
              {"CreateIndex", view.catalog_index},
              {"ModifyIndex", view.catalog_index}};
}

json meta_of(const ApiView& view, const Instance& in) {
  json meta = json::object();
  if (auto it = view.service_meta.find(in.id); it != view.service_meta.end())
    for (const auto& [k, v] : it->second) meta[k] = v;
  return meta;
}

json weights(const Instance& in) { return json{{"Passing", in.weight_passing}, {"Warning", in.weight_warning}}; }

json service_json(const ApiView& view, const Instance& in) {
  return json{{"ID", in.id},
              {"Service", in.service},
              {"Tags", effective_tags(view.catalog, in)},
              {"Address", in.address.to_string()},
              {"Meta", meta_of(view, in)},
              {"Port", in.port},
              {"Weights", weights(in)},
              {"EnableTagOverride", false},
              {"CreateIndex", view.catalog_index},
              {"ModifyIndex", view.catalog_index}};
}

json check_json(const ApiView& view, const Instance& in) {
  const bool failover = view.catalog.under_failover(in.service);
  json check{{"Node", in.node},
             {"CheckID", fmt::format("{}:{}", failover ? "failover" : "service", in.id)},
             {"Name", failover ? "failoverdns MariaDB probe" : fmt::format("Service '{}' check", in.service)},
             {"Status", std::string(to_string(effective_health(view.catalog, in)))},
             {"Notes", ""},
             {"Output", failover ? fmt::format("role={} health={}", to_string(in.role), to_string(in.health)) : ""},
             {"ServiceID", in.id},
             {"ServiceName", in.service},
             {"ServiceTags", effective_tags(view.catalog, in)},
             {"Type", failover ? "failover" : ""},
             {"CreateIndex", view.catalog_index},
             {"ModifyIndex", view.catalog_index}};
  return check;
}

json serf_health(const ApiView& view, const Instance& in) {
  return json{{"Node", in.node},
              {"CheckID", "serfHealth"},
              {"Name", "Serf Health Status"},
              {"Status", "passing"},
              {"Notes", ""},
              {"Output", "Agent alive and reachable"},
              {"ServiceID", ""},
              {"ServiceName", ""},
              {"ServiceTags", json::array()},
              {"Type", ""},
              {"CreateIndex", view.catalog_index},
              {"ModifyIndex", view.catalog_index}};
}

}  // namespace

std::vector<std::string> effective_tags(const Catalog& catalog, const Instance& in) {
  if (!catalog.under_failover(in.service)) return in.tags;
  if (in.role == Role::primary) return {"primary", "master"};
  if (in.role == Role::replica) return {"replica", "slave"};
  return {};
}

json catalog_services(const ApiView& view) {
  std::map<std::string, std::set<std::string>> tags;
  for (const auto& in : view.catalog.instances) {
    auto& set = tags[in.service];
    for (auto& t : effective_tags(view.catalog, in)) set.insert(std::move(t));
  }
  json out = json::object();
  for (const auto& [service, set] : tags) out[service] = std::vector<std::string>(set.begin(), set.end());
  return out;
}

json catalog_service(const ApiView& view, std::string_view service, std::string_view tag) {
  json out = json::array();
  for (const auto& in : view.catalog.instances) {
    if (in.service != service || !has_tag(effective_tags(view.catalog, in), tag)) continue;
    json e = node_json(view, in);
    e["NodeMeta"] = e["Meta"];
    e.erase("Meta");
    e["ServiceKind"] = "";
    e["ServiceID"] = in.id;
    e["ServiceName"] = in.service;
    e["ServiceTags"] = effective_tags(view.catalog, in);
    e["ServiceAddress"] = in.address.to_string();
    e["ServiceWeights"] = weights(in);
    e["ServiceMeta"] = meta_of(view, in);
    e["ServicePort"] = in.port;
    e["ServiceEnableTagOverride"] = false;
    out.push_back(std::move(e));
  }
  return out;
}

json health_service(const ApiView& view, std::string_view service, std::string_view tag, bool passing_only) {
  json out = json::array();
  for (const auto& in : view.catalog.instances) {
    if (in.service != service || !has_tag(effective_tags(view.catalog, in), tag)) continue;
    if (passing_only && effective_health(view.catalog, in) != Health::passing) continue;
    out.push_back(json{{"Node", node_json(view, in)},
                       {"Service", service_json(view, in)},
                       {"Checks", json::array({serf_health(view, in), check_json(view, in)})}});
  }
  return out;
}

json catalog_nodes(const ApiView& view) {
  json out = json::array();
  std::set<std::string> seen;
  std::vector<const Instance*> first;
  for (const auto& in : view.catalog.instances)
    if (seen.insert(in.node).second) first.push_back(&in);
  std::ranges::sort(first, [](const Instance* a, const Instance* b) { return a->node < b->node; });
  for (const auto* in : first) out.push_back(node_json(view, *in));
  return out;
}

json agent_self(const ApiView& view) {
  const auto& a = view.agent;
  return json{{"Config",
               {{"Datacenter", a.datacenter},
                {"NodeName", a.node_name},
                {"NodeID", node_id(a.node_name)},
                {"Server", false},
                {"Revision", ""},
                {"Version", a.version}}},
              {"Member", {{"Name", a.node_name}, {"Addr", a.advertise_addr}, {"Port", 8301}, {"Status", 1}}},
              {"Meta", json::object()},
              {"failoverdns",
               {{"Version", a.version},
                {"DNS", {{"Addresses", a.dns_addresses}, {"Port", a.dns_port}}},
                {"HTTP", {{"Addresses", a.http_addresses}, {"Port", a.http_port}}}}}};
}

json agent_services(const ApiView& view) {
  json out = json::object();
  for (const auto& in : view.catalog.instances) {
    json s = service_json(view, in);
    s.erase("CreateIndex");
    s.erase("ModifyIndex");
    s["Datacenter"] = view.catalog.datacenter;
    out[in.id] = std::move(s);
  }
  return out;
}

std::string rfc3339(WallTime at) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:03d}Z", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                     utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(ms % 1000));
}

}  // namespace failoverdns::http
