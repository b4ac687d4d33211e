// Fuzz target for the DNS hot path: any bytes as a query, against tables
// with and without compression, over UDP and TCP. Beyond "no crash, no
// sanitizer report", every reply must be a DNS message ldns can parse,
// within the transport's size limit, carrying the query's ID.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "dns/ldns_wire.hpp"
#include "failoverdns/dns/answer_table.hpp"
#include "failoverdns/catalog/catalog.hpp"

using namespace failoverdns;

namespace {

Instance instance(std::string id, std::string service, std::string node, const std::string& address, std::uint16_t port,
                  std::vector<std::string> tags, Health health = Health::passing, Role role = Role::none) {
  Instance in;
  in.id = std::move(id);
  in.service = std::move(service);
  in.node = std::move(node);
  in.address = *IpAddress::parse(address);
  in.port = port;
  in.tags = std::move(tags);
  in.health = health;
  in.role = role;
  return in;
}

Catalog catalog(bool compress) {
  Catalog c;
  c.datacenter = "dc1";
  c.domain = "consul";
  c.alt_domain = "example.org";
  c.ns_addresses = {*IpAddress::parse("127.0.0.1"), *IpAddress::parse("::1")};
  c.failover_services = {"mysql"};
  c.dns.disable_compression = !compress;
  c.dns.udp_answer_limit = compress ? 3 : 0;
  c.dns.a_record_limit = compress ? 0 : 5;
  c.instances = {
      instance("mysqlnode1", "mysql", "mastera", "172.25.0.11", 3306, {"master"}, Health::passing, Role::primary),
      instance("mysqlnode2", "mysql", "masterb", "172.25.0.12", 3306, {"master"}, Health::passing, Role::replica),
      instance("web1", "web", "host1", "10.0.0.1", 80, {"v1"}),
      instance("web2", "web", "host2", "10.0.0.2", 80, {"v1", "canary"}, Health::warning),
      instance("web3", "web", "host3", "2001:db8::3", 80, {"v2"}),
  };
  c.instances[1].lag = 2;  // lag-<N>s.replica.mysql names exist
  c.failover_summary["mysql"] = {3, std::chrono::sys_seconds(std::chrono::seconds(1796227391))};
  // Enough instances that responses truncate at 512 bytes.
  for (int i = 0; i < 40; ++i) {
    std::string n = std::to_string(i);
    c.instances.push_back(instance("big" + n, "big", "bignode" + n, "10.1.0." + std::to_string(i + 1), 9000, {"t"}));
  }
  return c;
}

void check_reply(const std::uint8_t* query, const std::vector<std::uint8_t>& response, QueryOutcome outcome,
                 std::size_t limit) {
  if (outcome.action != QueryOutcome::Action::reply) return;
  if (outcome.length < 12 || outcome.length > limit) std::abort();
  if (response[0] != query[0] || response[1] != query[1] || !(response[2] & 0x80)) std::abort();
  ldns_pkt* pkt = nullptr;
  if (ldns_wire2pkt(&pkt, response.data(), outcome.length) != LDNS_STATUS_OK) std::abort();
  ldns_pkt_free(pkt);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto compressed = AnswerTable::compile(catalog(true), 1);
  static const auto plain = AnswerTable::compile(catalog(false), 1);
  static std::vector<std::uint8_t> response(max_response_size);
  // Exact-size copy so ASan sees any read past the end of the packet.
  std::vector<std::uint8_t> query(data, data + size);
  auto rotation = static_cast<std::uint32_t>(size);
  for (const auto* table : {compressed.get(), plain.get()}) {
    auto udp = answer_query(*table, query, response, Transport::udp, rotation);
    check_reply(data, response, udp, 1232);
    auto tcp = answer_query(*table, query, response, Transport::tcp, rotation);
    check_reply(data, response, tcp, max_response_size);
  }
  return 0;
}
