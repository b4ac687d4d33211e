// Renders DNS messages at compile time: records with name compression that
// only ever points backward, so any prefix of a rendered message that ends on
// a record boundary is itself a valid message (truncation relies on this).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dns_name.hpp"
#include "failoverdns/catalog/catalog.hpp"

namespace failoverdns::dns {

namespace rrtype {
inline constexpr std::uint16_t a = 1;
inline constexpr std::uint16_t ns = 2;
inline constexpr std::uint16_t soa = 6;
inline constexpr std::uint16_t ptr = 12;
inline constexpr std::uint16_t txt = 16;
inline constexpr std::uint16_t aaaa = 28;
inline constexpr std::uint16_t srv = 33;
inline constexpr std::uint16_t opt = 41;
inline constexpr std::uint16_t ixfr = 251;
inline constexpr std::uint16_t axfr = 252;
inline constexpr std::uint16_t any = 255;
}  // namespace rrtype

inline constexpr std::uint16_t class_in = 1;
inline constexpr std::uint16_t class_any = 255;

struct SoaData {
  WireName mname;
  WireName rname;
  std::uint32_t serial = 0;
  std::uint32_t refresh = 0;
  std::uint32_t retry = 0;
  std::uint32_t expire = 0;
  std::uint32_t minimum = 0;
};

struct SrvData {
  std::uint16_t priority = 0;
  std::uint16_t weight = 0;
  std::uint16_t port = 0;
  WireName target;
};

// One resource record before rendering; the type says which rdata member counts.
struct Record {
  WireName owner;
  std::uint16_t type = 0;
  std::uint32_t ttl = 0;
  IpAddress address;  // a, aaaa
  SrvData srv;        // srv
  WireName ns;        // ns, ptr: the name it points to
  SoaData soa;        // soa
  std::string txt;    // txt: one string, split into 255-byte character-strings
};

// Owner, type and rdata in wire form: equal keys are the same RR whatever
// the TTL (an RRset must not hold duplicates).
std::string rr_key(const Record& rr);

Record address_record(WireName owner, const IpAddress& address, std::uint32_t ttl);

// Names given to name() and record() must outlive the writer: the
// compression dictionary keeps views of them rather than copies.
class WireWriter {
 public:
  explicit WireWriter(bool compress) : compress_(compress) {}

  void u8(std::uint8_t v) { bytes_.push_back(v); }
  void u16(std::uint16_t v);
  void u32(std::uint32_t v);
  void set_u16(std::size_t at, std::uint16_t v);

  // `may_point`: false where RFCs forbid compressing this name (SRV target);
  // its suffixes still become targets for later names.
  void name(const WireName& name, bool may_point = true);
  void record(const Record& rr);

  // Drops everything from `size` on, including compression targets there.
  void truncate(std::size_t size);

  std::size_t size() const { return bytes_.size(); }
  const std::vector<std::uint8_t>& bytes() const { return bytes_; }

 private:
  bool compress_;
  std::vector<std::uint8_t> bytes_;
  std::unordered_map<std::string_view, std::uint16_t> targets_;  // name suffix -> offset
};

}  // namespace failoverdns::dns
