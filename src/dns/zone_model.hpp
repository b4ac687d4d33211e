// What the catalog means in DNS terms, before any byte is rendered: every
// name failoverdns answers for, and for each query type the records that
// answer it. This is where Consul's naming rules, health filtering and
// failover roles live; the answer table only renders and indexes it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "dns_name.hpp"
#include "wire_writer.hpp"
#include "failoverdns/catalog/catalog.hpp"

namespace failoverdns::dns {

// The query types a name can hold data for; every other type is NODATA.
enum class QtypeSlot : std::uint8_t { a, aaaa, srv, any, soa, ns, ptr, txt, other };
inline constexpr std::size_t qtype_slot_count = 9;

QtypeSlot slot_of(std::uint16_t qtype) noexcept;

// One answer record and the additional records that come with it (an SRV's
// target addresses). Items rotate and are cut as a unit.
struct AnswerItem {
  Record answer;
  std::vector<Record> additional;
};

struct AnswerSpec {
  std::vector<AnswerItem> items;  // never empty: no items is NODATA
  bool rotate = true;
  bool address_records = false;    // dns.a_record_limit applies
  std::vector<Record> additional;  // after the items' own (NS glue)
};

struct NameSpec {
  WireName name;
  std::size_t zone = 0;  // index into ZoneModel::zones
  // nullopt: the name exists but has no data of that type (NODATA + SOA).
  std::array<std::optional<AnswerSpec>, qtype_slot_count> answers;
  // ANY at an RFC 2782 name answers exactly what SRV does: render it once.
  bool any_is_srv = false;
};

// lag-<N>s.<tag>.<svc>.service.<suffix> (tag replica or slave): the
// replicas of <tag>.<svc> whose lag is known, for any bound N the client
// picks. k replicas sorted by lag give at most k distinct answers (nested
// subsets), so answers[j] is rendered for "lag <= lags[j]" and a query picks
// j by binary search. No replica in bound: NXDOMAIN, as <tag>.<svc> with no
// replica. Owners are written by the hot path (the query's own name).
struct LagSpec {
  WireName base;  // <tag>.<svc>.service.<suffix>
  std::size_t zone = 0;
  std::vector<std::uint32_t> lags;  // ascending, one per replica with a known lag
  std::vector<std::array<std::optional<AnswerSpec>, qtype_slot_count>> answers;  // one per lags entry
};

// Largest bound a lag-<N>s label may name: a day. Larger is NXDOMAIN.
inline constexpr std::uint32_t max_lag_bound = 86400;

struct Zone {
  WireName apex;
  Record negative_soa;  // the SOA that goes into NXDOMAIN/NODATA authority sections
};

struct ZoneModel {
  std::vector<Zone> zones;      // [0] = domain, [1] = alt_domain if any
  // Each name once, empty non-terminals included, and the reverse names
  // (in-addr.arpa, ip6.arpa) of node addresses: those under zone 0 for
  // their negative SOA, though not in it -- other reverse names are not ours.
  std::vector<NameSpec> names;
  WireName datacenter;          // one label, for <x>.addr.<dc>.<domain>; empty if unusable
  std::vector<LagSpec> lag_names;
};

// TTL of the positive SOA and NS records and the NS glue. Consul gives them
// TTL 0, which would make RFC 2308's min(SOA TTL, SOA minimum) zero and
// ignore soa.min_ttl; the apex never changes while we run, so an hour.
inline constexpr std::uint32_t apex_ttl = 3600;

ZoneModel build_zone_model(const Catalog& catalog, std::uint32_t serial);

}  // namespace failoverdns::dns
