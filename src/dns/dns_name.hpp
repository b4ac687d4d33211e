// Domain names as the answer compiler handles them: uncompressed wire format,
// lower-case, so a name is its own hash key and byte comparison is DNS
// comparison. Compile time only; the hot path works on raw query bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace failoverdns::dns {

// "\x05mysql\x07service\x06consul\x00": length-prefixed labels, root last.
using WireName = std::string;

inline constexpr std::size_t max_name_length = 255;
inline constexpr std::size_t max_label_length = 63;

// A label we can publish: 1..63 bytes, no dot, no upper-case ASCII (lookups
// lower-case the query, so an upper-case byte in a key could never match).
bool valid_label(std::string_view label);

// Joins labels, then the (already wire-format) suffix. nullopt when a label is
// not valid_label or the name exceeds 255 bytes: such a name is not published.
std::optional<WireName> make_name(std::span<const std::string_view> labels, const WireName& suffix);

// "consul" or "example.com" -> wire name; nullopt if a label is invalid.
std::optional<WireName> name_from_text(std::string_view dotted);

// The name with its leftmost label removed; the root's parent is the root.
WireName parent_of(const WireName& name);

// "mysql.service.consul." for messages.
std::string to_text(std::string_view wire_name);

}  // namespace failoverdns::dns
