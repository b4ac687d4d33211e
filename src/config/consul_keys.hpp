// Real Consul agent keys that failoverdns accepts and ignores, per object, so
// an existing Consul config dir loads with warnings instead of errors. A key
// in neither these lists nor our schema is an error (most likely a typo).
#pragma once

#include <span>
#include <string_view>

namespace failoverdns::conf::consul_keys {

std::span<const std::string_view> top_level();
std::span<const std::string_view> addresses();  // all but dns and http
std::span<const std::string_view> ports();      // all but dns and http
std::span<const std::string_view> limits();     // all but http_max_conns_per_client
std::span<const std::string_view> acl();        // all but enabled and tokens
std::span<const std::string_view> acl_tokens(); // all but initial_management and master
std::span<const std::string_view> dns_config(); // what we do not implement
std::span<const std::string_view> service();
std::span<const std::string_view> check();       // plain keys we ignore
std::span<const std::string_view> check_kinds(); // check types we do not run

}  // namespace failoverdns::conf::consul_keys
