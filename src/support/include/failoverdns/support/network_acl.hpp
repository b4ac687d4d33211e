// Who may do something, by client address: recursor_acl (DNS threads) and
// http_acl (HTTP thread). Address blocks in binary, and a test of a
// client's socket address against them. Immutable once built: any thread.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace failoverdns {

// An address block as configured: an IP literal and a prefix length
// (32/128 for a single address).
struct NetworkBlock {
  std::string address;
  int prefix = 0;
  friend bool operator==(const NetworkBlock&, const NetworkBlock&) = default;
};

class NetworkAcl {
 public:
  // The blocks as load_config validated them.
  explicit NetworkAcl(const std::vector<NetworkBlock>& networks);
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

}  // namespace failoverdns
