// Tells systemd (Type=notify) what the daemon is doing: ready to answer,
// reloading, stopping. Started without $NOTIFY_SOCKET (by hand, by another
// supervisor) every call does nothing. Control-plane thread only.
#pragma once

#include <string_view>

namespace failoverdns::systemd_notify {

// READY=1 with a one-line STATUS= for `systemctl status`.
void ready(std::string_view status);
// RELOADING=1 (with MONOTONIC_USEC, which Type=notify-reload wants); ready() ends it.
void reloading();
void stopping();

}  // namespace failoverdns::systemd_notify
