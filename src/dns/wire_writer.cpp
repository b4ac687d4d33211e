#include "wire_writer.hpp"

#include <algorithm>

namespace failoverdns::dns {

std::string rr_key(const Record& rr) {
  WireWriter w(false);
  w.record(rr);
  std::string key(w.bytes().begin(), w.bytes().end());
  // Zero the TTL: it sits 4 bytes after the uncompressed owner.
  std::fill_n(key.begin() + static_cast<std::ptrdiff_t>(rr.owner.size() + 4), 4, '\0');
  return key;
}

Record address_record(WireName owner, const IpAddress& address, std::uint32_t ttl) {
  Record rr;
  rr.owner = std::move(owner);
  rr.type = address.v6 ? rrtype::aaaa : rrtype::a;
  rr.ttl = ttl;
  rr.address = address;
  return rr;
}

void WireWriter::u16(std::uint16_t v) {
  bytes_.push_back(static_cast<std::uint8_t>(v >> 8));
  bytes_.push_back(static_cast<std::uint8_t>(v));
}

void WireWriter::u32(std::uint32_t v) {
  u16(static_cast<std::uint16_t>(v >> 16));
  u16(static_cast<std::uint16_t>(v));
}

void WireWriter::set_u16(std::size_t at, std::uint16_t v) {
  bytes_.at(at) = static_cast<std::uint8_t>(v >> 8);
  bytes_.at(at + 1) = static_cast<std::uint8_t>(v);
}

void WireWriter::name(const WireName& name, bool may_point) {
  std::size_t i = 0;
  while (i < name.size() && name[i] != '\0') {
    std::string_view suffix = std::string_view(name).substr(i);
    if (compress_ && may_point) {
      if (auto it = targets_.find(suffix); it != targets_.end()) {
        u16(static_cast<std::uint16_t>(0xC000 | it->second));
        return;
      }
    }
    // A pointer holds 14 bits of offset.
    if (compress_ && bytes_.size() < 0x4000) targets_.emplace(suffix, static_cast<std::uint16_t>(bytes_.size()));
    std::size_t len = static_cast<unsigned char>(name[i]);
    bytes_.insert(bytes_.end(), name.begin() + static_cast<std::ptrdiff_t>(i),
                  name.begin() + static_cast<std::ptrdiff_t>(i + 1 + len));
    i += 1 + len;
  }
  u8(0);
}

void WireWriter::record(const Record& rr) {
  name(rr.owner);
  u16(rr.type);
  u16(class_in);
  u32(rr.ttl);
  std::size_t rdlength_at = size();
  u16(0);
  switch (rr.type) {
    case rrtype::a: bytes_.insert(bytes_.end(), rr.address.bytes.begin(), rr.address.bytes.begin() + 4); break;
    case rrtype::aaaa: bytes_.insert(bytes_.end(), rr.address.bytes.begin(), rr.address.bytes.end()); break;
    case rrtype::ns:
    case rrtype::ptr: name(rr.ns); break;
    case rrtype::soa:
      name(rr.soa.mname);
      name(rr.soa.rname);
      u32(rr.soa.serial);
      u32(rr.soa.refresh);
      u32(rr.soa.retry);
      u32(rr.soa.expire);
      u32(rr.soa.minimum);
      break;
    case rrtype::srv:
      u16(rr.srv.priority);
      u16(rr.srv.weight);
      u16(rr.srv.port);
      // RFC 2782: "name compression is not to be used for this field".
      name(rr.srv.target, false);
      break;
    case rrtype::txt:
      // RFC 1035 3.3.14: character-strings of at most 255 bytes; readers
      // join them. An empty string is one empty character-string.
      for (std::size_t at = 0; at == 0 || at < rr.txt.size(); at += 255) {
        std::size_t n = std::min<std::size_t>(255, rr.txt.size() - at);
        u8(static_cast<std::uint8_t>(n));
        bytes_.insert(bytes_.end(), rr.txt.begin() + static_cast<std::ptrdiff_t>(at),
                      rr.txt.begin() + static_cast<std::ptrdiff_t>(at + n));
      }
      break;
    default: break;
  }
  set_u16(rdlength_at, static_cast<std::uint16_t>(size() - rdlength_at - 2));
}

void WireWriter::truncate(std::size_t new_size) {
  if (new_size >= bytes_.size()) return;
  bytes_.resize(new_size);
  std::erase_if(targets_, [new_size](const auto& entry) { return entry.second >= new_size; });
}

}  // namespace failoverdns::dns
