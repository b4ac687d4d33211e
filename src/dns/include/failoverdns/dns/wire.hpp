// DNS wire-format basics shared by the answering hot path (dns/) and the
// resolver (resolver/): big-endian fields, ASCII lower-casing, the name
// hash both use for their indexes, and bounds-checked name skipping.
// Everything is inline, noexcept and allocation-free.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace failoverdns::wire {

inline constexpr std::size_t header_size = 12;
inline constexpr std::size_t max_name_length = 255;
inline constexpr std::uint16_t type_soa = 6;
inline constexpr std::uint16_t type_opt = 41;

namespace rcode {
inline constexpr std::uint8_t noerror = 0;
inline constexpr std::uint8_t formerr = 1;
inline constexpr std::uint8_t servfail = 2;
inline constexpr std::uint8_t nxdomain = 3;
inline constexpr std::uint8_t notimp = 4;
inline constexpr std::uint8_t refused = 5;
}  // namespace rcode

inline std::uint16_t read16(const std::uint8_t* p) noexcept {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t read32(const std::uint8_t* p) noexcept {
  return (std::uint32_t{read16(p)} << 16) | read16(p + 2);
}
inline void write16(std::uint8_t* p, std::uint16_t v) noexcept {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
inline void write32(std::uint8_t* p, std::uint32_t v) noexcept {
  write16(p, static_cast<std::uint16_t>(v >> 16));
  write16(p + 2, static_cast<std::uint16_t>(v));
}

inline constexpr std::array<std::uint8_t, 256> lower_case = [] {
  std::array<std::uint8_t, 256> t{};
  for (std::size_t i = 0; i < 256; ++i) t[i] = static_cast<std::uint8_t>(i >= 'A' && i <= 'Z' ? i + 32 : i);
  return t;
}();

// FNV-1a over the lower-case wire name (length bytes included). The hot
// path computes it while it lower-cases the qname; indexes built elsewhere
// use name_hash over the same bytes.
inline constexpr std::uint64_t name_hash_seed = 0xcbf29ce484222325ULL;
inline constexpr std::uint64_t name_hash_step(std::uint64_t h, std::uint8_t byte) noexcept {
  return (h ^ byte) * 0x100000001b3ULL;
}
inline std::uint64_t name_hash(const std::uint8_t* name, std::size_t length) noexcept {
  std::uint64_t h = name_hash_seed;
  for (std::size_t i = 0; i < length; ++i) h = name_hash_step(h, name[i]);
  return h;
}

// Moves `pos` past the name there (labels, or labels ending in a pointer);
// false if the message ends first or a label type is reserved.
inline bool skip_name(const std::uint8_t* m, std::size_t size, std::size_t& pos) noexcept {
  for (;;) {
    if (pos >= size) return false;
    const std::uint8_t label = m[pos];
    if ((label & 0xC0) == 0xC0) {
      pos += 2;
      return pos <= size;
    }
    if (label & 0xC0) return false;
    pos += 1 + label;
    if (label == 0) return true;
  }
}

}  // namespace failoverdns::wire
