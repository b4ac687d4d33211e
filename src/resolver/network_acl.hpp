// recursor_acl as the DNS threads check it: address blocks in binary, and
// a test of a client's socket address against them.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <vector>

#include "failoverdns/config/config.hpp"

namespace failoverdns::resolver {

class NetworkAcl {
 public:
  // The networks as load_config validated them.
  explicit NetworkAcl(const std::vector<ResolverSettings::Network>& networks);
  // An IPv4-mapped IPv6 client (::ffff:a.b.c.d) is checked as IPv4.
  bool allows(const sockaddr* peer) const noexcept;

 private:
  struct Block {
    bool v6 = false;
    int prefix = 0;
    std::array<std::uint8_t, 16> bytes{};
  };
  bool matches(const Block& b, bool v6, const std::uint8_t* address) const noexcept;
  std::vector<Block> blocks_;
};

}  // namespace failoverdns::resolver
