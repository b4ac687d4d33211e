#include "dns_name.hpp"

#include <vector>

namespace failoverdns::dns {

bool valid_label(std::string_view label) {
  if (label.empty() || label.size() > max_label_length) return false;
  for (char c : label) {
    if (c == '.' || (c >= 'A' && c <= 'Z')) return false;
  }
  return true;
}

std::optional<WireName> make_name(std::span<const std::string_view> labels, const WireName& suffix) {
  WireName out;
  for (auto label : labels) {
    if (!valid_label(label)) return std::nullopt;
    out.push_back(static_cast<char>(label.size()));
    out.append(label);
  }
  out.append(suffix);
  if (out.size() > max_name_length) return std::nullopt;
  return out;
}

std::optional<WireName> name_from_text(std::string_view dotted) {
  std::vector<std::string_view> labels;
  while (!dotted.empty()) {
    auto dot = dotted.find('.');
    labels.push_back(dotted.substr(0, dot));
    if (dot == std::string_view::npos) break;
    dotted.remove_prefix(dot + 1);
  }
  return make_name(labels, WireName(1, '\0'));
}

WireName parent_of(const WireName& name) {
  if (name.empty() || name[0] == '\0') return WireName(1, '\0');
  return name.substr(1 + static_cast<unsigned char>(name[0]));
}

std::string to_text(std::string_view wire_name) {
  std::string out;
  std::size_t i = 0;
  while (i < wire_name.size() && wire_name[i] != '\0') {
    std::size_t len = static_cast<unsigned char>(wire_name[i]);
    out.append(wire_name.substr(i + 1, len));
    out.push_back('.');
    i += 1 + len;
  }
  return out.empty() ? "." : out;
}

}  // namespace failoverdns::dns
