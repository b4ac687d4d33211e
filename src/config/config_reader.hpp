// Typed reading of config values with messages that name the file and JSON
// path and say what was expected. Every reader reports its own error and
// returns nullopt, so one pass collects every error instead of the first.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config_sources.hpp"
#include "failoverdns/config/config.hpp"

namespace failoverdns::conf {

// One schema item: a key valid at some path and how to read its value.
struct Field {
  std::string_view key;
  std::function<void(const json& value, const std::string& path)> read;
};

enum class DurationRange { any, positive };

class ConfigReader {
 public:
  // Values of the merged tree: the file comes from `origins`.
  ConfigReader(ConfigDiagnostics& diagnostics, const Origins& origins);
  // Values of one file (a service definition).
  ConfigReader(ConfigDiagnostics& diagnostics, std::string file);

  std::string file_of(std::string_view path) const;
  std::string where(std::string_view path) const;  // "FILE: path"
  void error(std::string_view path, std::string_view what);
  void warning(std::string_view path, std::string_view what);

  // Each key of `object` goes to its Field; a key in `ignored` (a real Consul
  // key we do not use) gets a warning; any other key is an error, with a
  // suggestion when a valid key is close. Returns false if not an object.
  bool walk(const json& object, const std::string& path, std::initializer_list<Field> fields,
            std::span<const std::string_view> ignored = {});

  std::optional<std::string> string(const json& v, const std::string& path);
  std::optional<bool> boolean(const json& v, const std::string& path);
  // `expected` overrides the default "integer LO-HI" wording.
  std::optional<std::int64_t> integer(const json& v, const std::string& path, std::int64_t lo, std::int64_t hi,
                                      std::string_view expected = {});
  std::optional<Milliseconds> duration(const json& v, const std::string& path,
                                       DurationRange range = DurationRange::any);
  std::optional<std::vector<std::string>> strings(const json& v, const std::string& path);
  std::optional<std::map<std::string, std::string>> string_map(const json& v, const std::string& path);
  // An IP literal (v4 or v6); anything else, host names included, is an error.
  std::optional<std::string> ip_address(const json& v, const std::string& path);

 private:
  ConfigDiagnostics& diagnostics_;
  const Origins* origins_ = nullptr;
  std::string file_;
};

// The value at `path` as shown after "got": JSON text, shortened. Errors go
// to logs and terminals that others read, so a secret is never shown: a
// secret value (see config_reader.cpp) is replaced, alone or inside `v`.
std::string shown(const json& v, std::string_view path);
bool is_ip_literal(std::string_view text);
// Letters, digits and hyphens, 1-63 characters: what a DNS label can carry.
bool is_dns_label(std::string_view text);
// The valid key closest to `key` within edit distance 2, if any.
std::optional<std::string_view> closest_key(std::string_view key, std::span<const std::string_view> a,
                                            std::span<const std::string_view> b = {});

}  // namespace failoverdns::conf
