// Who may send anything but GET/HEAD: a client inside http_acl and, when a
// token is configured, presenting it (X-Consul-Token, or Authorization:
// Bearer). The token is compared in constant time. HTTP thread only.
#pragma once

#include <sys/socket.h>

#include <optional>
#include <string>
#include <string_view>

#include "failoverdns/config/config.hpp"
#include "failoverdns/support/network_acl.hpp"

namespace failoverdns::http {

class WriteAccess {
 public:
  explicit WriteAccess(const HttpSettings& settings) : acl_(settings.acl), token_(settings.token) {}

  // Why this write is refused (for a 403), or nullopt when it may go on.
  // `consul_token` and `authorization` are the headers as sent ("" when absent).
  std::optional<std::string> refusal(const sockaddr* peer, std::string_view peer_text, std::string_view consul_token,
                                     std::string_view authorization) const;

 private:
  NetworkAcl acl_;
  std::string token_;
};

// Equal in time that depends only on the lengths, not on where they differ.
bool same_secret(std::string_view a, std::string_view b);

}  // namespace failoverdns::http
