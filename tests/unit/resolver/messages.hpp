// DNS messages for the resolver's tests, written byte by byte: questions,
// and upstream replies with chosen records, TTLs and flags.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "failoverdns/dns/answer_table.hpp"
#include "failoverdns/dns/wire.hpp"

namespace failoverdns::test {

inline std::vector<std::uint8_t> wire_name(const std::string& dotted) {
  std::vector<std::uint8_t> out;
  std::size_t start = 0;
  while (start < dotted.size()) {
    auto dot = dotted.find('.', start);
    if (dot == std::string::npos) dot = dotted.size();
    out.push_back(static_cast<std::uint8_t>(dot - start));
    out.insert(out.end(), dotted.begin() + static_cast<long>(start), dotted.begin() + static_cast<long>(dot));
    start = dot + 1;
  }
  out.push_back(0);
  return out;
}

struct Message {
  std::vector<std::uint8_t> bytes;

  // Header and one question; counts are patched as records are added.
  Message(std::uint16_t id, std::uint8_t flags2, std::uint8_t flags3, const std::string& name, std::uint16_t qtype) {
    bytes.assign(12, 0);
    wire::write16(bytes.data(), id);
    bytes[2] = flags2;
    bytes[3] = flags3;
    wire::write16(bytes.data() + 4, 1);
    auto n = wire_name(name);
    bytes.insert(bytes.end(), n.begin(), n.end());
    push16(qtype);
    push16(1);
  }
  void push16(std::uint16_t v) {
    bytes.push_back(static_cast<std::uint8_t>(v >> 8));
    bytes.push_back(static_cast<std::uint8_t>(v));
  }
  void push32(std::uint32_t v) {
    push16(static_cast<std::uint16_t>(v >> 16));
    push16(static_cast<std::uint16_t>(v));
  }
  // section: 0 answer, 1 authority, 2 additional.
  Message& record(int section, const std::string& owner, std::uint16_t type, std::uint32_t ttl,
                  const std::vector<std::uint8_t>& rdata) {
    auto n = wire_name(owner);
    bytes.insert(bytes.end(), n.begin(), n.end());
    push16(type);
    push16(1);
    push32(ttl);
    push16(static_cast<std::uint16_t>(rdata.size()));
    bytes.insert(bytes.end(), rdata.begin(), rdata.end());
    const std::size_t at = 6 + 2 * static_cast<std::size_t>(section);
    wire::write16(bytes.data() + at, static_cast<std::uint16_t>(wire::read16(bytes.data() + at) + 1));
    return *this;
  }
  Message& a(const std::string& owner, std::uint32_t ttl, std::vector<std::uint8_t> address, int section = 0) {
    return record(section, owner, 1, ttl, address);
  }
  Message& soa(const std::string& owner, std::uint32_t ttl, std::uint32_t minimum) {
    std::vector<std::uint8_t> rdata = wire_name("ns." + owner);
    auto rname = wire_name("hostmaster." + owner);
    rdata.insert(rdata.end(), rname.begin(), rname.end());
    for (std::uint32_t v : {1u, 3600u, 600u, 86400u, minimum}) {
      for (int shift = 24; shift >= 0; shift -= 8) rdata.push_back(static_cast<std::uint8_t>(v >> shift));
    }
    return record(1, owner, wire::type_soa, ttl, rdata);
  }
  // An OPT in additional: payload, DO.
  Message& opt(std::uint16_t payload, bool dnssec_ok) {
    bytes.push_back(0);
    push16(wire::type_opt);
    push16(payload);
    push16(0);
    push16(dnssec_ok ? 0x8000 : 0);
    push16(0);
    wire::write16(bytes.data() + 10, static_cast<std::uint16_t>(wire::read16(bytes.data() + 10) + 1));
    return *this;
  }
};

// What answer_query would have said of a client's query for `name`.
inline ForwardedQuestion forwarded(const std::vector<std::uint8_t>& query, std::uint16_t qtype, bool edns = false,
                                   std::uint16_t udp_limit = 512, bool dnssec_ok = false) {
  ForwardedQuestion q;
  std::size_t length = 0;
  while (query[12 + length] != 0) length += 1 + query[12 + length];
  q.name_length = static_cast<std::uint16_t>(length + 1);
  std::vector<std::uint8_t> lower(query.begin() + 12, query.begin() + 12 + q.name_length);
  for (auto& c : lower) c = wire::lower_case[c];
  q.name_hash = wire::name_hash(lower.data(), lower.size());
  q.qtype = qtype;
  q.qclass = 1;
  q.udp_limit = udp_limit;
  q.edns = edns;
  q.dnssec_ok = dnssec_ok;
  return q;
}

}  // namespace failoverdns::test
