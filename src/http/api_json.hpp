// The JSON of each endpoint, from an ApiView. Consul's field names and
// shapes (consul_api.cpp), ours for failover (failover_api.cpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "failoverdns/http/api_view.hpp"

namespace failoverdns::http {

using json = nlohmann::ordered_json;

// Tags as DNS answers them: under failover, the role's tags replace the
// configured ones (a stale "master" tag must not reach a consul-template
// that writes a proxy config); otherwise the configured tags.
std::vector<std::string> effective_tags(const Catalog& catalog, const Instance& instance);

json catalog_services(const ApiView& view);
json catalog_service(const ApiView& view, std::string_view service, std::string_view tag);
json health_service(const ApiView& view, std::string_view service, std::string_view tag, bool passing_only);
json catalog_nodes(const ApiView& view);
json agent_self(const ApiView& view);
json agent_services(const ApiView& view);

json failover_status(const ApiView& view, const FailoverStatus& status);

// "2026-12-02T16:03:11.250Z"
std::string rfc3339(WallTime at);

}  // namespace failoverdns::http
