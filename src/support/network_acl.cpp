#include "failoverdns/support/network_acl.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace failoverdns {

NetworkAcl::NetworkAcl(const std::vector<NetworkBlock>& networks) {
  for (const auto& n : networks) {
    Block b;
    b.v6 = n.address.find(':') != std::string::npos;
    b.prefix = n.prefix;
    inet_pton(b.v6 ? AF_INET6 : AF_INET, n.address.c_str(), b.bytes.data());
    blocks_.push_back(b);
  }
}

bool NetworkAcl::matches(const Block& b, bool v6, const std::uint8_t* address) const noexcept {
  if (b.v6 != v6) return false;
  const int whole = b.prefix / 8, rest = b.prefix % 8;
  if (std::memcmp(b.bytes.data(), address, static_cast<std::size_t>(whole)) != 0) return false;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
  return (b.bytes[static_cast<std::size_t>(whole)] & mask) == (address[whole] & mask);
}

bool NetworkAcl::allows(const sockaddr* peer) const noexcept {
  bool v6 = false;
  const std::uint8_t* address = nullptr;
  if (peer->sa_family == AF_INET) {
    address = reinterpret_cast<const std::uint8_t*>(&reinterpret_cast<const sockaddr_in*>(peer)->sin_addr);
  } else if (peer->sa_family == AF_INET6) {
    const auto* a6 = &reinterpret_cast<const sockaddr_in6*>(peer)->sin6_addr;
    address = reinterpret_cast<const std::uint8_t*>(a6);
    v6 = !IN6_IS_ADDR_V4MAPPED(a6);
    if (!v6) address += 12;
  } else {
    return false;
  }
  for (const auto& b : blocks_)
    if (matches(b, v6, address)) return true;
  return false;
}

}  // namespace failoverdns
