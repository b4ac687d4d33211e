// What the commands print, from the API's JSON: pure, so the tables are
// unit-tested against known answers.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace failoverdns::cli {

using json = nlohmann::json;

// Columns padded to their widest cell, two spaces apart.
std::string table(const std::vector<std::vector<std::string>>& rows);

// One service's /v1/failover/<svc>.
std::string render_status(const json& status);
// /v1/health/service/<svc> of every service: NODE ID SERVICE ADDRESS ROLE HEALTH.
std::string render_members(const std::vector<json>& health_per_service);
// The answer to POST /v1/failover/<svc>/switchover.
std::string render_switchover(const json& outcome);

}  // namespace failoverdns::cli
