#include "systemd_notify.hpp"

#include <time.h>

#include <cstring>
#include <string>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include "failoverdns/support/log_value.hpp"

namespace failoverdns::systemd_notify {
namespace {

void send(const std::string& message) {
  // 0: no $NOTIFY_SOCKET, not started by systemd. The variable is kept
  // (unset_environment = 0): reloads and the stop notify later.
  const int r = sd_notify(0, message.c_str());
  if (r < 0)
    spdlog::warn(
        "event=notify_failed message={} error={} hint=\"systemd may not see this state change; is "
        "$NOTIFY_SOCKET writable by the user failoverdns runs as?\"",
        logfmt_value(message.substr(0, message.find('\n'))), logfmt_value(std::strerror(-r)));
}

}  // namespace

void ready(std::string_view status) { send(fmt::format("READY=1\nSTATUS={}", status)); }

void reloading() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const auto usec = static_cast<unsigned long long>(now.tv_sec) * 1'000'000ULL +
                    static_cast<unsigned long long>(now.tv_nsec) / 1000ULL;
  send(fmt::format("RELOADING=1\nMONOTONIC_USEC={}\nSTATUS=reloading the configuration", usec));
}

void stopping() { send("STOPPING=1\nSTATUS=stopping"); }

}  // namespace failoverdns::systemd_notify
