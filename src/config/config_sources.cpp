#include "config_sources.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>

#include <fmt/format.h>

namespace failoverdns::conf {
namespace {

namespace fs = std::filesystem;

bool is_plain_key(std::string_view key) {
  if (key.empty()) return false;
  return std::ranges::all_of(key, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

// Top-level arrays that Consul appends across files instead of replacing.
bool appends_across_files(std::string_view path) { return path == "recursors"; }

void merge_object(json& into, const json& from, const std::string& path, const std::string& file, Origins& origins) {
  for (const auto& [key, value] : from.items()) {
    const std::string p = child_path(path, key);
    auto it = into.find(key);
    if (it != into.end() && it->is_object() && value.is_object()) {
      merge_object(*it, value, p, file, origins);
    } else if (it != into.end() && it->is_array() && value.is_array() && appends_across_files(p)) {
      for (const auto& element : value) {
        origins.set(index_path(p, it->size()), file);
        it->push_back(element);
      }
    } else {
      into[key] = value;
      origins.set(p, file);
    }
  }
}

// Copying a parsed value (merging does) recurses once per level, so a deep
// enough file, corrupt or hostile, exhausts the stack: the daemon would die
// on a reload. A Consul config needs a dozen levels at most.
constexpr int kMaxNesting = 64;

// Where the first "{" or "[" deeper than kMaxNesting is, as a byte offset.
// Counted on the raw bytes before parsing, since parsing is what must not
// happen; only where strings end matters, so an escape just skips a byte.
std::optional<std::size_t> too_deep_at(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxNesting) return i;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;  // never below 0: stray closers must not pay for deeper nesting later
    }
  }
  return std::nullopt;
}

std::string too_deep_error(const std::string& file, std::string_view text, std::size_t offset) {
  const std::string_view before = text.substr(0, offset);
  const std::size_t line = static_cast<std::size_t>(std::ranges::count(before, '\n')) + 1;
  const auto line_start = before.rfind('\n');
  const std::size_t column = line_start == std::string_view::npos ? offset + 1 : offset - line_start;
  return fmt::format("{}:{}:{}: nested deeper than {} levels (byte {}); a config needs a dozen at most: is this the "
                     "file you meant?",
                     file, line, column, kMaxNesting, offset + 1);
}

struct ParseFailure {
  std::size_t line = 0;
  std::size_t column = 0;
  std::string what;
};

// nlohmann reports "... parse error at line L, column C: what"; keep our own
// prefix ("FILE:L:C: invalid JSON: what") so editors can jump to it.
ParseFailure describe_parse_error(const json::parse_error& e) {
  ParseFailure f;
  std::string_view msg = e.what();
  if (auto at = msg.find("at line "); at != std::string_view::npos) {
    std::string rest(msg.substr(at + 8));
    if (std::sscanf(rest.c_str(), "%zu, column %zu", &f.line, &f.column) != 2) f.line = f.column = 0;
  }
  if (auto colon = msg.find(": "); colon != std::string_view::npos) f.what = msg.substr(colon + 2);
  else f.what = msg;
  // Then nlohmann quotes the token it stopped in, which may be a password
  // with a bad escape or a raw newline: line and column say where to look.
  if (auto quoted = f.what.find("; last read: "); quoted != std::string::npos) f.what.resize(quoted);
  return f;
}

void read_file(const fs::path& path, MergedSources& out, ConfigDiagnostics& diagnostics) {
  const std::string file = path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    const bool exists = fs::exists(path, ec);
    diagnostics.errors.push_back(
        fmt::format("{}: cannot read config file: {}", file, exists ? "permission denied" : "no such file"));
    return;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  out.files.push_back(path);
  const std::string text = std::move(buffer).str();

  if (auto offset = too_deep_at(text)) {
    diagnostics.errors.push_back(too_deep_error(file, text, *offset));
    return;
  }
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    const ParseFailure f = describe_parse_error(e);
    diagnostics.errors.push_back(fmt::format("{}:{}:{}: invalid JSON: {}", file, f.line, f.column, f.what));
    return;
  }
  if (!doc.is_object()) {
    diagnostics.errors.push_back(fmt::format("{}: expected a JSON object at the top level, got {}", file, doc.type_name()));
    return;
  }

  if (auto it = doc.find("services"); it != doc.end()) {
    if (!it->is_array()) {
      diagnostics.errors.push_back(
          fmt::format("{}: services: expected an array of service definitions, got {}", file, it->type_name()));
    } else {
      for (std::size_t i = 0; i < it->size(); ++i) out.services.push_back({file, index_path("services", i), (*it)[i]});
    }
    doc.erase(it);
  }
  if (auto it = doc.find("service"); it != doc.end()) {
    out.services.push_back({file, "service", *it});
    doc.erase(it);
  }
  merge_object(out.root, doc, "", file, out.origins);
}

// Why a *.json entry of a config dir is not read, or empty when it is a
// file (or a symlink to one). Skipping silently would hide a broken deploy
// or a half-made symlink.
std::string why_skipped(const fs::path& entry) {
  std::error_code ec;
  const fs::file_status target = fs::status(entry, ec);
  if (target.type() == fs::file_type::not_found) {
    std::error_code link_ec;
    return fmt::format("dangling symlink to {}", fs::read_symlink(entry, link_ec).string());
  }
  if (ec == std::errc::too_many_symbolic_link_levels) return "symlink loop";
  if (ec) return fmt::format("cannot be read ({})", ec.message());
  if (fs::is_directory(target)) return "a directory";
  if (!fs::is_regular_file(target)) return "not a regular file";
  return {};
}

void read_dir(const fs::path& dir, MergedSources& out, ConfigDiagnostics& diagnostics) {
  std::error_code ec;
  std::vector<fs::path> entries;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) entries.push_back(it->path());
  if (ec) {
    diagnostics.errors.push_back(fmt::format("{}: cannot read config dir: {}", dir.string(), ec.message()));
    return;
  }
  // Consul reads a config dir in lexical order of the file names.
  std::ranges::sort(entries, {}, [](const fs::path& p) { return p.filename().string(); });
  for (const auto& p : entries) {
    std::error_code type_ec;
    if (p.extension() == ".hcl" && fs::is_regular_file(p, type_ec))
      diagnostics.warnings.push_back(
          fmt::format("{}: HCL config is not supported, file ignored (convert it to JSON)", p.string()));
    if (p.extension() != ".json") continue;
    if (const std::string why = why_skipped(p); !why.empty())
      diagnostics.warnings.push_back(fmt::format("{}: {}, skipped", p.string(), why));
    else
      read_file(p, out, diagnostics);
  }
}

}  // namespace

std::string child_path(std::string_view parent, std::string_view key) {
  if (!is_plain_key(key)) return fmt::format("{}[{}]", parent, json(std::string(key)).dump());
  if (parent.empty()) return std::string(key);
  return fmt::format("{}.{}", parent, key);
}

std::string index_path(std::string_view parent, std::size_t index) { return fmt::format("{}[{}]", parent, index); }

void Origins::set(const std::string& path, const std::string& file) {
  // Everything below `path` was replaced with it.
  for (auto it = by_path_.lower_bound(path); it != by_path_.end() && it->first.starts_with(path);) {
    const std::string_view rest = std::string_view(it->first).substr(path.size());
    if (rest.empty() || rest.front() == '.' || rest.front() == '[') it = by_path_.erase(it);
    else ++it;
  }
  by_path_[path] = file;
}

std::string Origins::file_of(std::string_view path) const {
  while (true) {
    if (auto it = by_path_.find(path); it != by_path_.end()) return it->second;
    const auto cut = path.find_last_of(".[");
    if (cut == std::string_view::npos || cut == 0) break;
    path = path.substr(0, cut);
  }
  if (auto it = by_path_.find(path); it != by_path_.end()) return it->second;
  return by_path_.empty() ? std::string("config") : by_path_.begin()->second;
}

MergedSources read_sources(const std::vector<ConfigSource>& sources, ConfigDiagnostics& diagnostics) {
  MergedSources out;
  for (const auto& source : sources) {
    std::error_code ec;
    if (source.kind == ConfigSource::Kind::dir) {
      if (!fs::is_directory(source.path, ec)) {
        diagnostics.errors.push_back(fmt::format("{}: config dir not found", source.path.string()));
        continue;
      }
      read_dir(source.path, out, diagnostics);
    } else {
      if (fs::is_directory(source.path, ec)) {
        diagnostics.errors.push_back(
            fmt::format("{}: is a directory; give it as a config dir, not a config file", source.path.string()));
        continue;
      }
      read_file(source.path, out, diagnostics);
    }
  }
  return out;
}

}  // namespace failoverdns::conf
