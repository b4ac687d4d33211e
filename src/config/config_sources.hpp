// Reading config sources and merging them as Consul does, before any key is
// interpreted. Merging first (instead of interpreting file by file) keeps the
// schema in one place; the origin map keeps messages naming the right file.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "failoverdns/config/config.hpp"

namespace failoverdns::conf {

using nlohmann::json;

// A service definition as written in one file; services are not merged, so
// each keeps its own file and its path inside that file.
struct ServiceSource {
  std::string file;
  std::string path;  // "services[1]" or "service"
  json value;
};

// Which file last set each value of the merged tree, by message path
// ("dns_config.soa.expire", "recursors[2]"). A path not in the map belongs to
// the file of its nearest recorded ancestor.
class Origins {
 public:
  void set(const std::string& path, const std::string& file);  // replaces everything below path
  std::string file_of(std::string_view path) const;

 private:
  std::map<std::string, std::string, std::less<>> by_path_;
};

struct MergedSources {
  json root = json::object();  // everything but services
  Origins origins;
  std::vector<ServiceSource> services;
  std::vector<std::filesystem::path> files;
};

// Message path of a child: "a.b", "a[3]", or a["odd key"] when the key is
// not a plain identifier.
std::string child_path(std::string_view parent, std::string_view key);
std::string index_path(std::string_view parent, std::size_t index);

MergedSources read_sources(const std::vector<ConfigSource>& sources, ConfigDiagnostics& diagnostics);

}  // namespace failoverdns::conf
