#include "config_reader.hpp"

#include <arpa/inet.h>

#include <algorithm>

#include <fmt/format.h>

namespace failoverdns::conf {
namespace {

// Optimal string alignment distance: a swapped pair of letters is one edit,
// the commonest typo in a key.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[n][m];
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// The value of a key whose name contains "password", "token", "secret" or
// "private_key", or is "encrypt" (Consul's gossip key), is a secret, and so
// is anything under such a key. A "*_file" key names where a secret is: not
// secret, and needed to fix the error.
bool is_secret_key(std::string_view key) {
  constexpr std::string_view kSecretWords[] = {"password", "token", "secret", "private_key"};
  const std::string k = lower(key);
  if (k.ends_with("_file")) return false;
  return k == "encrypt" || std::ranges::any_of(kSecretWords, [&k](std::string_view w) { return k.contains(w); });
}

// Whether any key along a message path ("a.b[2]", a["odd key"]) is secret.
bool is_secret_path(std::string_view path) {
  for (std::size_t i = 0; i < path.size();) {
    if (path[i] == '.') {
      ++i;
    } else if (path.substr(i).starts_with("[\"")) {
      // A quoted key, as child_path writes one: a JSON string in brackets.
      std::size_t end = i + 2;
      while (end < path.size() && path[end] != '"') end += path[end] == '\\' ? 2 : 1;
      if (is_secret_key(path.substr(i + 2, end - (i + 2)))) return true;
      i = end + 2;
    } else if (path[i] == '[') {
      i = std::min(path.find(']', i), path.size()) + 1;  // an index, not a key
    } else {
      const std::size_t end = std::min(path.find_first_of(".[", i), path.size());
      if (is_secret_key(path.substr(i, end - i))) return true;
      i = end;
    }
  }
  return false;
}

constexpr std::string_view kNotShown = "(value not shown: secret)";

// A copy of `v` whose secret keys, at any depth, hold kNotShown instead.
json without_secrets(const json& v) {
  if (v.is_object()) {
    json out = json::object();
    for (const auto& [key, value] : v.items()) out[key] = is_secret_key(key) ? json(kNotShown) : without_secrets(value);
    return out;
  }
  if (v.is_array()) {
    json out = json::array();
    for (const auto& element : v) out.push_back(without_secrets(element));
    return out;
  }
  return v;
}

std::string_view kind_of(const json& v) {
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_boolean()) return "true or false";
  if (v.is_array()) return "an array";
  if (v.is_object()) return "an object";
  return "null";
}

}  // namespace

std::string shown(const json& v, std::string_view path) {
  if (is_secret_path(path)) return fmt::format("{} {}", kind_of(v), kNotShown);
  std::string text = v.is_structured() ? without_secrets(v).dump() : v.dump();
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

bool is_ip_literal(std::string_view text) {
  if (text.empty() || text.size() >= 64) return false;
  const std::string s(text);
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool is_dns_label(std::string_view text) {
  if (text.empty() || text.size() > 63) return false;
  return std::ranges::all_of(text, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
  });
}

std::optional<std::string_view> closest_key(std::string_view key, std::span<const std::string_view> a,
                                            std::span<const std::string_view> b) {
  const std::string k = lower(key);
  std::optional<std::string_view> best;
  std::size_t best_distance = 3;
  for (auto candidates : {a, b}) {
    for (std::string_view c : candidates) {
      const std::size_t d = edit_distance(k, c);
      if (d < best_distance) {
        best = c;
        best_distance = d;
      }
    }
  }
  return best;
}

ConfigReader::ConfigReader(ConfigDiagnostics& diagnostics, const Origins& origins)
    : diagnostics_(diagnostics), origins_(&origins) {}

ConfigReader::ConfigReader(ConfigDiagnostics& diagnostics, std::string file)
    : diagnostics_(diagnostics), file_(std::move(file)) {}

std::string ConfigReader::file_of(std::string_view path) const {
  return origins_ ? origins_->file_of(path) : file_;
}

std::string ConfigReader::where(std::string_view path) const { return fmt::format("{}: {}", file_of(path), path); }

void ConfigReader::error(std::string_view path, std::string_view what) {
  diagnostics_.errors.push_back(fmt::format("{}: {}", where(path), what));
}

void ConfigReader::warning(std::string_view path, std::string_view what) {
  diagnostics_.warnings.push_back(fmt::format("{}: {}", where(path), what));
}

bool ConfigReader::walk(const json& object, const std::string& path, std::initializer_list<Field> fields,
                        std::span<const std::string_view> ignored) {
  if (!object.is_object()) {
    error(path, fmt::format("expected an object, got {}", shown(object, path)));
    return false;
  }
  for (const auto& [key, value] : object.items()) {
    const std::string p = child_path(path, key);
    if (auto f = std::ranges::find(fields, key, &Field::key); f != fields.end()) {
      f->read(value, p);
    } else if (std::ranges::find(ignored, key) != ignored.end()) {
      warning(p, "ignored Consul key (failoverdns does not use it)");
    } else {
      std::vector<std::string_view> valid;
      for (const auto& field : fields) valid.push_back(field.key);
      if (auto suggestion = closest_key(key, valid, ignored))
        error(p, fmt::format("unknown key; did you mean \"{}\"?", *suggestion));
      else
        error(p, "unknown key");
    }
  }
  return true;
}

std::optional<std::string> ConfigReader::string(const json& v, const std::string& path) {
  if (v.is_string()) return v.get<std::string>();
  error(path, fmt::format("expected a string, got {}", shown(v, path)));
  return std::nullopt;
}

std::optional<bool> ConfigReader::boolean(const json& v, const std::string& path) {
  if (v.is_boolean()) return v.get<bool>();
  error(path, fmt::format("expected true or false, got {}", shown(v, path)));
  return std::nullopt;
}

std::optional<std::int64_t> ConfigReader::integer(const json& v, const std::string& path, std::int64_t lo,
                                                  std::int64_t hi, std::string_view expected) {
  std::optional<std::int64_t> n;
  if (v.is_number_unsigned()) {
    if (v.get<std::uint64_t>() <= static_cast<std::uint64_t>(hi)) n = static_cast<std::int64_t>(v.get<std::uint64_t>());
  } else if (v.is_number_integer()) {
    n = v.get<std::int64_t>();
  }
  if (n && *n >= lo && *n <= hi) return n;
  std::string wanted = expected.empty() ? fmt::format("integer {}-{}", lo, hi) : std::string(expected);
  error(path, fmt::format("expected {}, got {}", wanted, shown(v, path)));
  return std::nullopt;
}

std::optional<Milliseconds> ConfigReader::duration(const json& v, const std::string& path, DurationRange range) {
  if (!v.is_string()) {
    error(path, fmt::format("expected a duration string like \"10s\", got {}", shown(v, path)));
    return std::nullopt;
  }
  auto d = parse_duration(v.get<std::string>());
  if (!d) {
    error(path, d.error().message);
    return std::nullopt;
  }
  if (range == DurationRange::positive && d->count() <= 0) {
    error(path, fmt::format("expected a duration of at least 1ms, got {}", shown(v, path)));
    return std::nullopt;
  }
  return *d;
}

std::optional<std::vector<std::string>> ConfigReader::strings(const json& v, const std::string& path) {
  if (!v.is_array()) {
    error(path, fmt::format("expected an array of strings, got {}", shown(v, path)));
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (auto s = string(v[i], index_path(path, i))) out.push_back(std::move(*s));
    else ok = false;
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::map<std::string, std::string>> ConfigReader::string_map(const json& v, const std::string& path) {
  if (!v.is_object()) {
    error(path, fmt::format("expected an object of strings, got {}", shown(v, path)));
    return std::nullopt;
  }
  std::map<std::string, std::string> out;
  bool ok = true;
  for (const auto& [key, value] : v.items()) {
    if (auto s = string(value, child_path(path, key))) out[key] = std::move(*s);
    else ok = false;
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::string> ConfigReader::ip_address(const json& v, const std::string& path) {
  auto s = string(v, path);
  if (!s) return std::nullopt;
  if (is_ip_literal(*s)) return s;
  if (s->find("{{") != std::string::npos)
    error(path, fmt::format("{}: go-sockaddr templates are not supported; give an IP address", shown(v, path)));
  else
    error(path, fmt::format("expected an IP address, got {}; only IP addresses are supported", shown(v, path)));
  return std::nullopt;
}

}  // namespace failoverdns::conf
