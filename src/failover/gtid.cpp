#include "failoverdns/failover/gtid.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <map>

namespace failoverdns {

namespace {

// A position lists one GTID per domain; thousands of domains would be a
// broken or hostile server, not a configuration worth supporting.
constexpr std::size_t max_gtids = 10000;

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

template <class T>
bool parse_number(std::string_view text, T& out) {
  if (text.empty() || text.front() < '0' || text.front() > '9') return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

std::string quoted(std::string_view text) {
  constexpr std::size_t shown = 60;
  std::string out = "\"";
  for (char c : text.substr(0, shown)) {
    if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      out += '?';
    } else {
      out += c;
    }
  }
  if (text.size() > shown) out += "...";
  return out + "\"";
}

Result<Gtid> parse_gtid(std::string_view element) {
  auto first = element.find('-');
  auto second = first == std::string_view::npos ? first : element.find('-', first + 1);
  if (second == std::string_view::npos || element.find('-', second + 1) != std::string_view::npos) {
    return fail("GTID " + quoted(element) + " is not domain-server-seq (e.g. 0-1-100)");
  }
  Gtid g;
  if (!parse_number(element.substr(0, first), g.domain) ||
      !parse_number(element.substr(first + 1, second - first - 1), g.server) ||
      !parse_number(element.substr(second + 1), g.seq)) {
    return fail("GTID " + quoted(element) +
                " has a part that is not a number in range (domain and server are 32-bit, seq 64-bit)");
  }
  return g;
}

bool same_slot(const Gtid& a, const Gtid& b) { return a.domain == b.domain && a.server == b.server; }

std::map<std::uint32_t, std::uint64_t> domain_heads(const GtidPosition& p) {
  std::map<std::uint32_t, std::uint64_t> heads;
  for (const auto& g : p.gtids()) {
    auto& seq = heads[g.domain];
    seq = std::max(seq, g.seq);
  }
  return heads;
}

}  // namespace

std::string to_string(const Gtid& gtid) {
  return std::to_string(gtid.domain) + "-" + std::to_string(gtid.server) + "-" + std::to_string(gtid.seq);
}

Result<GtidPosition> GtidPosition::parse(std::string_view text) {
  GtidPosition pos;
  if (trim(text).empty()) return pos;
  std::size_t start = 0;
  while (true) {
    auto comma = text.find(',', start);
    auto element = trim(text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (element.empty()) return fail("GTID position " + quoted(text) + " has an empty element (stray comma)");
    auto gtid = parse_gtid(element);
    if (!gtid) return fail("GTID position " + quoted(text) + ": " + gtid.error().message);
    if (pos.seq_of(gtid->domain, gtid->server)) {
      return fail("GTID position " + quoted(text) + " lists domain " + std::to_string(gtid->domain) + " server " +
                  std::to_string(gtid->server) + " twice");
    }
    if (pos.gtids_.size() >= max_gtids) {
      return fail("GTID position has more than " + std::to_string(max_gtids) + " elements");
    }
    pos.add(*gtid);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return pos;
}

std::optional<std::uint64_t> GtidPosition::seq_in_domain(std::uint32_t domain) const {
  std::optional<std::uint64_t> best;
  for (const auto& g : gtids_)
    if (g.domain == domain && (!best || g.seq > *best)) best = g.seq;
  return best;
}

std::optional<std::uint64_t> GtidPosition::seq_of(std::uint32_t domain, std::uint32_t server) const {
  auto it = std::lower_bound(gtids_.begin(), gtids_.end(), Gtid{domain, server, 0});
  if (it == gtids_.end() || it->domain != domain || it->server != server) return std::nullopt;
  return it->seq;
}

void GtidPosition::add(const Gtid& gtid) {
  auto it = std::lower_bound(gtids_.begin(), gtids_.end(), Gtid{gtid.domain, gtid.server, 0});
  if (it != gtids_.end() && same_slot(*it, gtid)) {
    it->seq = std::max(it->seq, gtid.seq);
  } else {
    gtids_.insert(it, gtid);
  }
}

std::string GtidPosition::to_string() const {
  std::string out;
  for (const auto& g : gtids_) {
    if (!out.empty()) out += ',';
    out += failoverdns::to_string(g);
  }
  return out;
}

GtidOrder compare(const GtidPosition& a, const GtidPosition& b) {
  auto heads_a = domain_heads(a);
  auto heads_b = domain_heads(b);
  bool a_more = false;
  bool b_more = false;
  for (const auto& [domain, seq] : heads_a) {
    auto it = heads_b.find(domain);
    std::uint64_t other = it == heads_b.end() ? 0 : it->second;
    if (seq > other) a_more = true;
    if (seq < other) b_more = true;
  }
  for (const auto& [domain, seq] : heads_b)
    if (!heads_a.contains(domain) && seq > 0) b_more = true;
  if (a_more && b_more) return GtidOrder::incomparable;
  if (a_more) return GtidOrder::ahead;
  if (b_more) return GtidOrder::behind;
  return GtidOrder::equal;
}

std::string_view to_string(GtidOrder order) {
  switch (order) {
    case GtidOrder::equal:
      return "equal";
    case GtidOrder::ahead:
      return "ahead";
    case GtidOrder::behind:
      return "behind";
    case GtidOrder::incomparable:
      return "incomparable";
  }
  return "?";
}

bool contains(const GtidPosition& history, const GtidPosition& position) {
  return missing_from(history, position).empty();
}

std::vector<GtidRange> missing_from(const GtidPosition& history, const GtidPosition& position) {
  std::vector<GtidRange> missing;
  for (const auto& g : position.gtids()) {
    auto known = history.seq_of(g.domain, g.server);
    if (known && *known >= g.seq) continue;
    missing.push_back(GtidRange{g.domain, g.server, known, g.seq});
  }
  return missing;
}

std::string to_string(const GtidRange& range) {
  std::string prefix = std::to_string(range.domain) + "-" + std::to_string(range.server) + "-";
  std::string last = prefix + std::to_string(range.last);
  if (!range.after) return prefix + "?.." + last;
  if (*range.after + 1 == range.last) return last;
  return prefix + std::to_string(*range.after + 1) + ".." + last;
}

std::string to_string(const std::vector<GtidRange>& ranges) {
  std::string out;
  for (const auto& r : ranges) {
    if (!out.empty()) out += ',';
    out += to_string(r);
  }
  return out;
}

GtidPosition newest_per_domain(const GtidPosition& position) {
  std::map<std::uint32_t, Gtid> newest;
  for (const auto& g : position.gtids()) {
    auto [it, inserted] = newest.try_emplace(g.domain, g);
    if (!inserted && g.seq > it->second.seq) it->second = g;
  }
  GtidPosition out;
  for (const auto& [domain, g] : newest) out.add(g);
  return out;
}

GtidPosition merge(const GtidPosition& a, const GtidPosition& b) {
  GtidPosition out = a;
  for (const auto& g : b.gtids()) out.add(g);
  return out;
}

std::uint64_t total_seq(const GtidPosition& position) {
  std::uint64_t total = 0;
  for (const auto& [domain, seq] : domain_heads(position)) {
    if (seq > std::numeric_limits<std::uint64_t>::max() - total) return std::numeric_limits<std::uint64_t>::max();
    total += seq;
  }
  return total;
}

}  // namespace failoverdns
