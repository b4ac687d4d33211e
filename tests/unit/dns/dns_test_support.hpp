// Test support for the DNS unit tests: a byte-level query builder (so tests
// control case, flags, counts and EDNS exactly), a catalog fixture, and an
// ldns-decoded view of responses to assert on.
#pragma once

#include "dns/ldns_wire.hpp"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "failoverdns/dns/answer_table.hpp"
#include "failoverdns/catalog/catalog.hpp"

namespace dnstest {

using Bytes = std::vector<std::uint8_t>;
using namespace failoverdns;

inline void put16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}

// Wire form of a dotted name, case preserved.
inline Bytes wire_name(std::string_view dotted) {
  Bytes out;
  while (!dotted.empty()) {
    auto dot = dotted.find('.');
    auto label = dotted.substr(0, dot);
    out.push_back(static_cast<std::uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
    if (dot == std::string_view::npos) break;
    dotted.remove_prefix(dot + 1);
  }
  out.push_back(0);
  return out;
}

struct Query {
  std::string name = "mysql.service.consul";
  std::uint16_t qtype = LDNS_RR_TYPE_A;
  std::uint16_t qclass = LDNS_RR_CLASS_IN;
  std::uint16_t id = 0x1234;
  std::uint8_t opcode = 0;
  bool rd = true;
  bool cd = false;
  std::optional<std::uint16_t> edns_payload;  // set = add an OPT
  std::uint8_t edns_version = 0;
  bool edns_do = false;
  std::optional<std::uint16_t> qdcount;  // override

  Bytes bytes() const {
    Bytes b;
    put16(b, id);
    b.push_back(static_cast<std::uint8_t>((opcode << 3) | (rd ? 1 : 0)));
    b.push_back(cd ? 0x10 : 0);
    put16(b, qdcount.value_or(1));
    put16(b, 0);
    put16(b, 0);
    put16(b, edns_payload ? 1 : 0);
    Bytes n = wire_name(name);
    b.insert(b.end(), n.begin(), n.end());
    put16(b, qtype);
    put16(b, qclass);
    if (edns_payload) {
      b.push_back(0);
      put16(b, LDNS_RR_TYPE_OPT);
      put16(b, *edns_payload);
      b.push_back(0);
      b.push_back(edns_version);
      put16(b, edns_do ? 0x8000 : 0);
      put16(b, 0);
    }
    return b;
  }
};

struct PktDeleter {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};

// One record as text, whitespace collapsed: "web.service.consul. 0 IN A 10.0.0.1".
inline std::string rr_text(const ldns_rr* rr) {
  char* s = ldns_rr2str(rr);
  std::string out;
  for (const char* c = s; *c; ++c) {
    if (*c == '\t' || *c == ' ') {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else if (*c != '\n') {
      out.push_back(*c);
    }
  }
  free(s);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

inline std::vector<std::string> section(const ldns_rr_list* list) {
  std::vector<std::string> out;
  for (std::size_t i = 0; list && i < ldns_rr_list_rr_count(list); ++i) out.push_back(rr_text(ldns_rr_list_rr(list, i)));
  return out;
}

struct Reply {
  QueryOutcome::Action action = QueryOutcome::Action::drop;
  Bytes wire;
  std::unique_ptr<ldns_pkt, PktDeleter> pkt;

  bool dropped() const { return action == QueryOutcome::Action::drop; }
  ldns_pkt_rcode rcode() const { return ldns_pkt_get_rcode(pkt.get()); }
  std::vector<std::string> answer() const { return section(ldns_pkt_answer(pkt.get())); }
  std::vector<std::string> authority() const { return section(ldns_pkt_authority(pkt.get())); }
  std::vector<std::string> additional() const { return section(ldns_pkt_additional(pkt.get())); }
  bool aa() const { return ldns_pkt_aa(pkt.get()); }
  bool tc() const { return ldns_pkt_tc(pkt.get()); }
  std::uint16_t header_count(std::size_t index) const {
    return static_cast<std::uint16_t>((wire[4 + 2 * index] << 8) | wire[5 + 2 * index]);
  }
};

inline Reply ask(const AnswerTable& table, const Bytes& query, Transport transport = Transport::udp,
                 std::uint32_t rotation = 0) {
  Bytes buf(max_response_size);
  auto outcome = answer_query(table, query, buf, transport, rotation);
  Reply reply;
  reply.action = outcome.action;
  if (outcome.action != QueryOutcome::Action::reply) return reply;
  buf.resize(outcome.length);
  reply.wire = buf;
  ldns_pkt* p = nullptr;
  if (ldns_wire2pkt(&p, reply.wire.data(), reply.wire.size()) == LDNS_STATUS_OK) reply.pkt.reset(p);
  return reply;
}

inline Reply ask(const AnswerTable& table, const Query& q, Transport transport = Transport::udp,
                 std::uint32_t rotation = 0) {
  return ask(table, q.bytes(), transport, rotation);
}

inline IpAddress ip(std::string_view text) { return *IpAddress::parse(text); }

inline Instance instance(std::string id, std::string service, std::string node, std::string_view address,
                         std::uint16_t port, std::vector<std::string> tags = {}) {
  Instance in;
  in.id = std::move(id);
  in.service = std::move(service);
  in.node = std::move(node);
  in.address = ip(address);
  in.port = port;
  in.tags = std::move(tags);
  return in;
}

// The seed setup (mysql under failover: mastera primary, masterb replica),
// plus a plain service "web" with tags, one warning and one critical
// instance, and an IPv6 instance.
inline Catalog fixture() {
  Catalog c;
  c.datacenter = "dc1";
  c.domain = "consul";
  c.alt_domain = "example.org";
  c.ns_addresses = {ip("127.0.0.1")};
  c.failover_services = {"mysql"};
  c.dns.soa.min_ttl = 30;
  c.dns.node_ttl = std::chrono::seconds(7);
  c.dns.service_ttl = {{"web", std::chrono::seconds(15)}};

  auto a = instance("mysqlnode1", "mysql", "mastera", "172.25.0.11", 3306, {"master"});
  a.role = Role::primary;
  auto b = instance("mysqlnode2", "mysql", "masterb", "172.25.0.12", 3306, {"master"});
  b.role = Role::replica;
  c.instances = {a, b};

  auto w1 = instance("web1", "web", "host1", "10.0.0.1", 8080, {"v1"});
  w1.weight_passing = 10;
  w1.weight_warning = 2;
  auto w2 = instance("web2", "web", "host2", "10.0.0.2", 8080, {"v1", "canary"});
  w2.health = Health::warning;
  w2.weight_passing = 10;
  w2.weight_warning = 2;
  auto w3 = instance("web3", "web", "host3", "10.0.0.3", 8080, {"v1"});
  w3.health = Health::critical;
  auto w4 = instance("web4", "web", "host4", "2001:db8::4", 8081, {"v2"});
  c.instances.insert(c.instances.end(), {w1, w2, w3, w4});
  return c;
}

inline std::shared_ptr<const AnswerTable> compile(const Catalog& c, std::uint32_t serial = 42) {
  return AnswerTable::compile(c, serial);
}

inline std::multiset<std::string> as_set(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

}  // namespace dnstest
