#include "render.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace failoverdns::cli {
namespace {

std::string text(const json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>().empty() ? "-" : v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  return v.dump();
}

std::string field(const json& o, const char* key) { return o.contains(key) ? text(o[key]) : "-"; }

}  // namespace

std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], row[i].size());
    }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    while (line.ends_with(' ')) line.pop_back();  // an empty last column
    out += line + "\n";
  }
  return out;
}

std::string render_status(const json& s) {
  std::string out;
  const std::string primary = field(s, "Primary");
  if (primary == "-") {
    out += fmt::format("service {}: no primary (nothing published as {}.service)\n", field(s, "Service"),
                       field(s, "Service"));
  } else {
    std::string where;
    for (const auto& m : s["Instances"])
      if (m["ID"] == s["Primary"]) where = fmt::format(" ({}:{})", text(m["Address"]), text(m["Port"]));
    out += fmt::format("service {}: primary {}{}, epoch {}, since {}\n", field(s, "Service"), primary, where,
                       field(s, "Epoch"), s["PrimarySince"].is_null() ? "first start" : text(s["PrimarySince"]));
  }
  if (!field(s, "Promotion").empty() && field(s, "Promotion") != "-")
    out += fmt::format("  promotion under way: {}\n", field(s, "Promotion"));
  if (s.value("Blocked", false))
    out += fmt::format("  automatic failover: BLOCKED: {}\n", field(s, "BlockedReason"));
  else
    out += fmt::format("  automatic failover: {}\n", s.value("AutoFailover", true) ? "ready" : "off");
  if (!s["CooldownUntil"].is_null())
    out += fmt::format("  cooldown until {}: only a primary its replicas lost too is replaced\n",
                       text(s["CooldownUntil"]));
  std::vector<std::vector<std::string>> rows{
      {"  ID", "ROLE", "HEALTH", "PROBE", "LAG", "RECEIVED", "EXECUTED", "BINLOG", "NOTE"}};
  for (const auto& m : s["Instances"]) {
    std::string note;
    for (const auto* key : {"LastError", "ReplicationError", "Diverged", "Errant"})
      if (m.contains(key) && !text(m[key]).empty() && text(m[key]) != "-") note = std::string(key) + ": " + text(m[key]);
    if (note.empty() && m.value("Fenced", false)) note = "fenced";
    rows.push_back({fmt::format("  {}", field(m, "ID")), field(m, "Role"), field(m, "Health"), field(m, "Probe"),
                    m["LagSeconds"].is_null() ? "-" : text(m["LagSeconds"]) + "s", field(m, "GtidReceived"),
                    field(m, "GtidExecuted"), field(m, "GtidBinlogPos"), note});
  }
  out += table(rows);
  if (!s["Failovers"].empty()) {
    const auto& f = s["Failovers"][0];
    out += fmt::format("  last {}: {} {}, {} -> {} (epoch {}), started {}\n", f.value("Kind", "failover"),
                       field(f, "Outcome"),
                       f["Ended"].is_null() ? std::string("(not ended)") : fmt::format("at {}", text(f["Ended"])), field(f, "OldPrimary"),
                       field(f, "NewPrimary"), field(f, "Epoch"), field(f, "Started"));
  }
  return out;
}

std::string render_members(const std::vector<json>& health_per_service) {
  std::vector<std::vector<std::string>> rows{{"NODE", "ID", "SERVICE", "ADDRESS", "TAGS", "STATUS"}};
  for (const auto& entries : health_per_service) {
    for (const auto& e : entries) {
      std::string status = "passing";
      for (const auto& c : e["Checks"])
        if (c["Status"] != "passing") {
          const auto output = c["Output"].get<std::string>();
          status = output.empty() ? c["Status"].get<std::string>()
                                  : fmt::format("{} ({})", c["Status"].get<std::string>(), output);
        }
      std::vector<std::string> names;
      for (const auto& t : e["Service"]["Tags"]) names.push_back(t.get<std::string>());
      const std::string tags = fmt::format("{}", fmt::join(names, ","));
      rows.push_back({text(e["Node"]["Node"]), text(e["Service"]["ID"]), text(e["Service"]["Service"]),
                      fmt::format("{}:{}", text(e["Service"]["Address"]), text(e["Service"]["Port"])),
                      tags.empty() ? "-" : tags, status});
    }
  }
  return table(rows);
}

std::string render_switchover(const json& o) {
  if (o.contains("error")) return fmt::format("switchover refused: {}\n", text(o["error"]));
  return fmt::format("switchover {}: {}\n", field(o, "Outcome"), field(o, "Message"));
}

}  // namespace failoverdns::cli
