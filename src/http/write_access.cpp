#include "write_access.hpp"

#include <fmt/format.h>

namespace failoverdns::http {

bool same_secret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  // volatile: the compiler may not turn the loop into an early exit.
  volatile unsigned char result = diff;
  return result == 0;
}

std::optional<std::string> WriteAccess::refusal(const sockaddr* peer, std::string_view peer_text,
                                                std::string_view consul_token, std::string_view authorization) const {
  if (!acl_.allows(peer))
    return fmt::format("writes are allowed only from http_acl, and {} is not in it; send this from the database "
                       "host (loopback by default) or add its network to http_acl",
                       peer_text);
  if (token_.empty()) return std::nullopt;
  std::string_view presented = consul_token;
  constexpr std::string_view bearer = "Bearer ";
  if (presented.empty() && authorization.starts_with(bearer)) presented = authorization.substr(bearer.size());
  if (presented.empty())
    return std::string("a token is required for writes: send it as X-Consul-Token or Authorization: Bearer (the "
                       "failoverdns command line reads it from -token or FAILOVERDNS_HTTP_TOKEN)");
  if (!same_secret(presented, token_)) return std::string("the token is not the configured one (http_token_file or acl.tokens)");
  return std::nullopt;
}

}  // namespace failoverdns::http
