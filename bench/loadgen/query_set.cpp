#include "query_set.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>

namespace fdns_bench {

namespace {

struct TypeName {
  std::string_view name;
  std::uint16_t code;
};
constexpr std::array<TypeName, 16> kTypes{{{"A", 1},
                                           {"NS", 2},
                                           {"CNAME", 5},
                                           {"SOA", 6},
                                           {"PTR", 12},
                                           {"MX", 15},
                                           {"TXT", 16},
                                           {"AAAA", 28},
                                           {"SRV", 33},
                                           {"NAPTR", 35},
                                           {"DS", 43},
                                           {"DNSKEY", 48},
                                           {"HTTPS", 65},
                                           {"AXFR", 252},
                                           {"ANY", 255},
                                           {"CAA", 257}}};

char ascii_upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }
std::uint8_t ascii_lower(std::uint8_t c) { return c >= 'A' && c <= 'Z' ? static_cast<std::uint8_t>(c - 'A' + 'a') : c; }

bool parse_type(std::string_view text, std::uint16_t& code) {
  std::string upper(text);
  std::transform(upper.begin(), upper.end(), upper.begin(), ascii_upper);
  for (const auto& t : kTypes) {
    if (t.name == upper) {
      code = t.code;
      return true;
    }
  }
  // RFC 3597's generic form, as dig and dnsperf accept it.
  if (upper.starts_with("TYPE") && upper.size() > 4) {
    unsigned value = 0;
    const char* first = upper.data() + 4;
    const char* last = upper.data() + upper.size();
    const auto [ptr, ec] = std::from_chars(first, last, value);
    if (ec == std::errc{} && ptr == last && value <= 65535) {
      code = static_cast<std::uint16_t>(value);
      return true;
    }
  }
  return false;
}

// Appends the wire form of a presentation name (no escapes) and returns an
// error message, empty on success.
std::string append_name(std::string_view name, std::vector<std::uint8_t>& out) {
  if (name.find('\\') != std::string_view::npos) {
    return "escapes in names are not supported";
  }
  if (name.ends_with('.')) {
    name.remove_suffix(1);
  }
  std::size_t total = 1;
  while (!name.empty()) {
    const std::size_t dot = name.find('.');
    const std::string_view label = name.substr(0, dot);
    if (label.empty()) {
      return "empty label";
    }
    if (label.size() > 63) {
      return "label longer than 63 bytes";
    }
    total += label.size() + 1;
    out.push_back(static_cast<std::uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
    name = dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
  }
  out.push_back(0);
  if (total > 255) {
    return "name longer than 255 bytes";
  }
  return {};
}

void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v & 0xff));
}

}  // namespace

QuerySet QuerySet::from_lines(const std::vector<std::string>& lines, bool edns, const std::string& origin) {
  QuerySet set;
  for (std::size_t n = 0; n < lines.size(); ++n) {
    std::istringstream fields(lines[n]);
    std::string name;
    std::string type;
    std::string extra;
    // dnsperf skips ';' comment lines; '#' is accepted too.
    if (!(fields >> name) || name.starts_with(';') || name.starts_with('#')) {
      continue;
    }
    const auto where = [&] { return origin + ":" + std::to_string(n + 1) + ": "; };
    if (!(fields >> type)) {
      throw std::runtime_error(where() + "expected \"name TYPE\", got \"" + lines[n] + "\"");
    }
    if (fields >> extra && !extra.starts_with(';') && !extra.starts_with('#')) {
      throw std::runtime_error(where() + "unexpected \"" + extra + "\" after the type");
    }
    std::uint16_t qtype = 0;
    if (!parse_type(type, qtype)) {
      throw std::runtime_error(where() + "unknown type \"" + type + "\" (use a mnemonic like A or SRV, or TYPEnnn)");
    }
    const std::size_t start = set.bytes_.size();
    // Header: ID (patched per send), RD set as dig and dnsperf send it,
    // one question, and an OPT record when asked for EDNS.
    put16(set.bytes_, 0);
    put16(set.bytes_, 0x0100);
    put16(set.bytes_, 1);
    put16(set.bytes_, 0);
    put16(set.bytes_, 0);
    put16(set.bytes_, edns ? 1 : 0);
    if (const std::string error = append_name(name, set.bytes_); !error.empty()) {
      throw std::runtime_error(where() + "bad name \"" + name + "\": " + error);
    }
    put16(set.bytes_, qtype);
    put16(set.bytes_, 1);  // IN
    const std::size_t question_length = set.bytes_.size() - start - 12;
    if (edns) {
      set.bytes_.push_back(0);  // root owner
      put16(set.bytes_, 41);    // OPT
      put16(set.bytes_, 1232);  // our UDP payload size
      put16(set.bytes_, 0);     // extended RCODE, version
      put16(set.bytes_, 0);     // flags
      put16(set.bytes_, 0);     // RDLENGTH
    }
    const std::size_t length = set.bytes_.size() - start;
    set.messages_.push_back({static_cast<std::uint32_t>(start), static_cast<std::uint16_t>(length),
                             static_cast<std::uint16_t>(question_length), name + " " + type});
    set.max_length_ = std::max(set.max_length_, length);
  }
  if (set.messages_.empty()) {
    throw std::runtime_error(origin + ": no queries (expected lines of \"name TYPE\")");
  }
  return set;
}

QuerySet QuerySet::load(const std::string& path, bool edns) {
  std::ifstream in(path);
  if (!in) {
    throw std::runtime_error(path + ": cannot open the query file");
  }
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return from_lines(lines, edns, path);
}

bool QuerySet::question_matches(std::size_t i, std::span<const std::uint8_t> response) const noexcept {
  const QueryMessage& q = messages_[i];
  if (response.size() < 12u + q.question_length) {
    return false;
  }
  if (response[4] != 0 || response[5] != 1) {
    return false;
  }
  const std::uint8_t* sent = bytes_.data() + q.offset + 12;
  const std::uint8_t* got = response.data() + 12;
  // Length octets are at most 63, below 'A', so lower-casing every byte of
  // the name compares labels case-insensitively and lengths exactly; QTYPE
  // and QCLASS (the last four bytes) must be equal as they are.
  const std::size_t name_length = q.question_length - 4u;
  for (std::size_t k = 0; k < name_length; ++k) {
    if (ascii_lower(sent[k]) != ascii_lower(got[k])) {
      return false;
    }
  }
  return std::equal(sent + name_length, sent + q.question_length, got + name_length);
}

}  // namespace fdns_bench
