// The compiled answer table's layout, shared by the compiler
// (answer_table.cpp) and the hot path (answer_query.cpp). Everything a query
// needs is in a few flat arrays: an open-addressing index over lower-case
// wire names, and complete pre-rendered responses in one arena.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "zone_model.hpp"
#include "failoverdns/dns/answer_table.hpp"
#include "failoverdns/dns/wire.hpp"

namespace failoverdns::dns {

// Rotation variants rendered per answer; more instances than this rotate
// through this many evenly spaced starting points.
inline constexpr std::size_t max_rotation_variants = 16;

// One complete response: header template (ID 0, QR|AA, rcode, counts),
// lower-case question, answer, authority, additional. No OPT.
struct Variant {
  std::uint32_t offset = 0;       // into arena
  std::uint32_t record_ends = 0;  // into record_ends: an + ns + ar message offsets
  std::uint16_t length = 0;
  std::uint16_t an = 0;
  std::uint16_t ns = 0;
  std::uint16_t ar = 0;
};

// The answer to one (name, query type slot).
struct Answer {
  std::uint32_t first_variant = 0;  // rotation variants for TCP and EDNS
  std::uint32_t first_limited = 0;  // the same cut to dns.udp_answer_limit, for plain UDP
  std::uint16_t variant_count = 1;
  bool limited_cut = false;  // the plain-UDP variants leave answers out: TC (enable_truncate)
};

struct NameEntry {
  std::uint64_t hash = 0;
  std::uint32_t key_offset = 0;  // into keys: lower-case wire name
  std::uint16_t key_length = 0;
  std::uint8_t zone = 0;
  std::array<std::uint32_t, qtype_slot_count> answers{};  // into AnswerTable::Impl::answers
};

// lag-<N>s.<base>: `count` bounds from first (ascending, in lag_bounds) and,
// at the same index in lag_answers, each bound's answer per query type.
// Their variants are detached: answer records without the owner (the query's
// name goes there, its length varies with N), then whole additional records,
// every name uncompressed; record_ends are relative to the variant.
struct LagName {
  std::uint64_t hash = 0;  // of the base name
  std::uint32_t key_offset = 0;
  std::uint16_t key_length = 0;
  std::uint8_t zone = 0;
  std::uint32_t first = 0;
  std::uint32_t count = 0;
};
inline constexpr std::uint32_t no_data = 0xFFFFFFFF;  // in lag_answers: NODATA

// What the hot path needs of a zone for answers it builds itself (NXDOMAIN,
// <hex>.addr): the apex, and the negative SOA ready to copy, both with the
// owner/mname/rname suffix as a pointer to patch and without compression.
struct ZoneData {
  std::vector<std::uint8_t> apex;              // lower-case wire name
  std::vector<std::uint8_t> soa_compressed;    // owner, mname, rname point at the apex
  std::array<std::uint16_t, 3> soa_pointers{};  // where to patch those pointers
  std::vector<std::uint8_t> soa_uncompressed;
};

}  // namespace failoverdns::dns

namespace failoverdns {

struct AnswerTable::Impl {
  std::uint32_t serial = 0;
  bool compress = true;
  bool enable_truncate = true;
  std::uint16_t edns_buffer_size = 1232;
  std::uint32_t addr_ttl = 0;  // <hex>.addr answers: node_ttl, as Consul
  // 0x80 (RA, in the header's fourth byte) while recursors are configured.
  std::uint8_t recursion_flag = 0;

  std::vector<dns::ZoneData> zones;
  std::vector<std::uint8_t> datacenter;  // one wire label; empty if unusable

  std::vector<dns::NameEntry> names;
  std::vector<std::uint32_t> slots;  // index into names, or empty_slot
  std::uint64_t slot_mask = 0;
  std::vector<std::uint8_t> keys;

  std::vector<dns::LagName> lag_names;  // a few per failover service: scanned, not indexed
  std::vector<std::uint32_t> lag_bounds;
  std::vector<std::array<std::uint32_t, dns::qtype_slot_count>> lag_answers;  // into answers, or no_data

  std::vector<dns::Answer> answers;
  std::vector<dns::Variant> variants;
  std::vector<std::uint16_t> record_ends;
  std::vector<std::uint8_t> arena;

  static constexpr std::uint32_t empty_slot = 0xFFFFFFFF;

  // `name` is a lower-case wire name; nullptr when not in the table.
  const dns::NameEntry* find(const std::uint8_t* name, std::size_t length, std::uint64_t hash) const noexcept;
};

}  // namespace failoverdns

namespace failoverdns::dns {

using wire::name_hash;
using wire::name_hash_seed;
using wire::name_hash_step;
// FNV's low bits are its weakest; fold the high half in before masking.
inline std::uint64_t slot_of_hash(std::uint64_t h, std::uint64_t mask) noexcept { return (h ^ (h >> 32)) & mask; }

}  // namespace failoverdns::dns
