// Config files for tests: a private temporary directory that is removed
// afterwards, and a one-call way to load JSON text as a config file.
#pragma once

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>

#include "failoverdns/config/config.hpp"

namespace failoverdns::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "fdns-config-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Writes `text` to `name` (sub-dirs created) with the given mode.
  std::filesystem::path write(const std::string& name, std::string_view text, mode_t mode = 0600) const {
    const auto file = path_ / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
    ::chmod(file.c_str(), mode);
    return file;
  }

 private:
  std::filesystem::path path_;
};

struct Loaded {
  std::optional<Config> config;
  ConfigDiagnostics diagnostics;
  std::string file;  // the file name as messages show it
};

inline Loaded load_sources(const std::vector<ConfigSource>& sources) {
  Loaded out;
  out.config = load_config(sources, out.diagnostics);
  return out;
}

// Loads `json` as the single config file "test.json" of a fresh directory.
inline Loaded load_text(std::string_view json) {
  TempDir dir;
  const auto file = dir.write("test.json", json);
  Loaded out = load_sources({{ConfigSource::Kind::file, file}});
  out.file = file.string();
  return out;
}

}  // namespace failoverdns::testing
