// failoverdns command line, mirroring the Consul agent's flags so existing
// service files and habits carry over.
#include "failoverdns/support/asio.hpp"  // first: Boost 1.74 (see there)

#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/spdlog.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include "failoverdns/cli/commands.hpp"
#include "failoverdns/cli/flag.hpp"
#include "failoverdns/daemon/daemon.hpp"
#include "failoverdns/config/config.hpp"
#include "failoverdns/support/log_value.hpp"
#include "failoverdns/version.hpp"

using namespace failoverdns;

namespace {

constexpr const char* usage = R"(Usage: failoverdns [agent] [options]

A DNS server for *.service.consul whose answers follow MariaDB health and
failover. Reads Consul agent configuration (JSON).

The optional "agent" keeps a Consul command line working as it is:
failoverdns agent -dev -config-dir=/etc/consul.d

Operator commands, over a running failoverdns's HTTP API (failoverdns
status -help for their options): status, members, switchover, maint.

Options:
  -config-file FILE   read FILE (repeatable)
  -config-dir DIR     read every *.json in DIR, in name order (repeatable)
  --check-config      validate the configuration, print a summary, and exit:
                      0 when valid, 2 with every error otherwise
  -log-level LEVEL    trace, debug, info (default), warn, error
  -dev                accepted and ignored (Consul compatibility)
  --version           print the version
  --help              this text

Signals: SIGHUP reloads the configuration (kept unchanged on any error),
SIGINT/SIGTERM stop.
)";

struct Options {
  std::vector<ConfigSource> sources;
  bool check_config = false;
  spdlog::level::level_enum log_level = spdlog::level::info;
};

// Consul takes -flag, --flag, -flag=value and --flag value alike. Returns
// nullopt with the exit code set when there is nothing to run.
std::optional<Options> parse_arguments(int argc, char** argv, int& exit_code) {
  Options o;
  exit_code = 2;
  const int first = argc > 1 && std::string_view(argv[1]) == "agent" ? 2 : 1;
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    cli::Flag flag = cli::parse_flag(arg);
    const std::string& name = flag.name;
    std::optional<std::string>& value = flag.value;
    auto take_value = [&]() -> std::optional<std::string> {
      if (value) return value;
      if (i + 1 < argc) return std::string(argv[++i]);
      std::cerr << "failoverdns: -" << name << " needs a value\n\n" << usage;
      return std::nullopt;
    };
    if (name == "help" || name == "h") {
      std::cout << usage;
      exit_code = 0;
      return std::nullopt;
    }
    if (name == "version") {
      std::cout << "failoverdns " << version << "\n";
      exit_code = 0;
      return std::nullopt;
    }
    if (name == "config-file" || name == "config-dir") {
      auto v = take_value();
      if (!v) return std::nullopt;
      o.sources.push_back({name == "config-file" ? ConfigSource::Kind::file : ConfigSource::Kind::dir, *v});
    } else if (name == "check-config") {
      o.check_config = true;
    } else if (name == "dev") {
      // Consul's dev mode has no meaning here; accepted so unit files work.
    } else if (name == "log-level") {
      auto v = take_value();
      if (!v) return std::nullopt;
      auto level = spdlog::level::from_str(*v);
      if (level == spdlog::level::off && *v != "off") {
        std::cerr << "failoverdns: -log-level: expected trace, debug, info, warn or error, got \"" << *v << "\"\n";
        return std::nullopt;
      }
      o.log_level = level;
    } else {
      std::cerr << "failoverdns: unknown argument \"" << arg << "\"\n\n" << usage;
      return std::nullopt;
    }
  }
  if (o.sources.empty()) {
    std::cerr << "failoverdns: no configuration: give -config-file FILE or -config-dir DIR\n\n" << usage;
    return std::nullopt;
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && cli::is_command(argv[1])) return cli::run_command(argc, argv);
  int exit_code = 0;
  auto options = parse_arguments(argc, argv, exit_code);
  if (!options) return exit_code;

  auto logger = spdlog::stderr_color_mt("failoverdns");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  spdlog::set_level(options->log_level);

  ConfigDiagnostics diagnostics;
  auto config = load_config(options->sources, diagnostics);
  if (options->check_config) {
    for (const auto& w : diagnostics.warnings) std::cout << "warning: " << w << "\n";
    if (!config) {
      for (const auto& e : diagnostics.errors) std::cout << "error: " << e << "\n";
      std::cout << diagnostics.errors.size() << " error(s); nothing would start\n";
      return 2;
    }
    std::cout << describe(*config) << "configuration is valid\n";
    return 0;
  }
  for (const auto& w : diagnostics.warnings) spdlog::warn("event=config_warning message={}", logfmt_value(w));
  if (!config) {
    for (const auto& e : diagnostics.errors) spdlog::error("event=config_error message={}", logfmt_value(e));
    spdlog::error("event=not_started errors={} hint=\"fix the errors above; failoverdns --check-config lists them\"",
                  diagnostics.errors.size());
    return 2;
  }
  return Daemon(std::move(*config), options->sources).run();
}
