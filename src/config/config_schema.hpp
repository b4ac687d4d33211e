// The parts of the schema that have their own file: service definitions
// (with their checks) and failover settings. config_loader.cpp holds the
// top level and calls these.
#pragma once

#include <sys/types.h>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config_reader.hpp"
#include "config_sources.hpp"
#include "failoverdns/config/config.hpp"

namespace failoverdns::conf {

// DNS names are case-insensitive: every name that ends up in one is stored
// lower-case, once, here, so the rest of the program compares with ==.
inline std::string lower_ascii(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  return out;
}

// One Consul service definition; nullopt after reporting its errors.
std::optional<ServiceDefinition> read_service(const ServiceSource& source, ConfigDiagnostics& diagnostics);

// One entry of a service's "checks" (or its "check"). nullopt after an error,
// or after a warning for a Consul check type we do not run (http, ttl, ...).
std::optional<CheckDefinition> read_check(const json& value, const std::string& path, ConfigReader& reader);

// Who may read a password file besides its owner: the group failoverdns
// runs as. A service account reads root-owned secrets through it
// (root:failoverdns 0640), so that group's read bit is no exposure.
struct SecretReaders {
  gid_t gid;
  std::string group;  // the configured group, for the fix; empty = none configured (the fix is chmod 600)
};

// Secrets live in files so config dirs can be world-readable; a relative
// name is taken from the directory of the config file that gives it. The
// content less trailing newlines; nullopt after an error at `path`. `file`
// is set to the resolved name. Warns when others than `readers` can read it.
std::optional<std::string> read_secret_file(const std::string& name, const std::string& path,
                                            const SecretReaders& readers, ConfigReader& r, std::filesystem::path& file);

// The "failover" object of the merged tree, checked against the services.
std::vector<FailoverSettings> read_failover(const json& failover, ConfigReader& reader,
                                            const std::vector<ServiceDefinition>& services,
                                            const SecretReaders& readers);

}  // namespace failoverdns::conf
