#include "failoverdns/failover/failover_metrics.hpp"

#include "failoverdns/metrics/metric_family.hpp"

namespace failoverdns {
namespace {

constexpr std::array<ProbeOutcome, 4> kOutcomes{ProbeOutcome::answered, ProbeOutcome::no_answer,
                                                ProbeOutcome::refused, ProbeOutcome::overloaded};
constexpr std::array<Role, 4> kRoles{Role::none, Role::primary, Role::replica, Role::fenced};
constexpr std::array<Health, 3> kHealths{Health::passing, Health::warning, Health::critical};

// Which outcome counter an event moves, if any.
std::pair<bool, std::string> outcome_of(const std::string& event) {
  if (event == "failover_complete") return {true, "complete"};
  if (event == "failover_aborted") return {true, "aborted"};
  if (event == "promotion_abandoned" || event == "relay_log_wait_failed") return {true, "abandoned"};
  if (event == "switchover_complete") return {false, "complete"};
  if (event == "switchover_refused") return {false, "refused"};
  if (event == "switchover_rolled_back") return {false, "rolled_back"};
  if (event == "switchover_failed") return {false, "failed"};
  return {false, ""};
}

}  // namespace

FailoverMetrics::FailoverMetrics(std::string service, const std::vector<std::string>& members)
    : service_(std::move(service)) {
  for (const auto& id : members) {
    members_.push_back(std::make_unique<Member>());
    members_.back()->id = id;
  }
  for (const char* o : {"complete", "aborted", "abandoned"}) failovers_[o];
  for (const char* o : {"complete", "refused", "rolled_back", "failed"}) switchovers_[o];
}

void FailoverMetrics::probed(std::size_t member, ProbeOutcome outcome, std::chrono::nanoseconds took) {
  if (member >= members_.size()) return;
  members_[member]->results[static_cast<std::size_t>(outcome)].add();
  members_[member]->duration.observe(took);
}

void FailoverMetrics::event(const LogEvent& e) {
  auto [failover, outcome] = outcome_of(e.name);
  if (outcome.empty()) return;
  (failover ? failovers_ : switchovers_).at(outcome).add();
}

void FailoverMetrics::member_state(std::size_t member, Role role, Health health, std::optional<std::int64_t> lag) {
  if (member >= members_.size()) return;
  auto& m = *members_[member];
  m.role.store(static_cast<int>(role), std::memory_order_relaxed);
  m.health.store(static_cast<int>(health), std::memory_order_relaxed);
  m.lag.store(lag.value_or(-1), std::memory_order_relaxed);
}

void FailoverMetrics::service_state(bool primary_known, std::uint64_t epoch,
                                    std::optional<std::chrono::system_clock::time_point> last_failover) {
  primary_known_.store(primary_known ? 1 : 0, std::memory_order_relaxed);
  epoch_.store(epoch, std::memory_order_relaxed);
  last_failover_ms_.store(
      last_failover
          ? std::chrono::duration_cast<std::chrono::milliseconds>(last_failover->time_since_epoch()).count()
          : 0,
      std::memory_order_relaxed);
}

std::vector<prometheus::MetricFamily> FailoverMetrics::Collect() const {
  using namespace metrics;
  const std::string_view svc = service_;
  auto results = counter("failoverdns_probe_results_total",
                         "MariaDB probes of an instance under failover, by result (answered, no_answer: evidence "
                         "of a dead server; refused, overloaded: alive but erring).");
  auto duration = histogram("failoverdns_probe_duration_seconds", "How long a MariaDB probe took, timeouts included.");
  auto role = gauge("failoverdns_instance_role", "1 for the role failoverdns gives the instance, 0 for the others.");
  auto health = gauge("failoverdns_instance_health", "1 for the instance's health as DNS uses it, 0 for the others.");
  auto lag = gauge("failoverdns_replication_lag_seconds",
                   "Seconds_Behind_Master of a replica towards the primary (absent when unknown).");
  for (const auto& m : members_) {
    const std::string_view id = m->id;
    for (auto o : kOutcomes)
      add(results, {{"service", svc}, {"instance", id}, {"result", to_string(o)}},
          static_cast<double>(m->results[static_cast<std::size_t>(o)].load()));
    std::array<std::uint64_t, LocalDurationHistogram::bucket_count> counts{};
    double sum = 0;
    m->duration.add_to(counts, sum);
    add_histogram(duration, {{"service", svc}, {"instance", id}}, LocalDurationHistogram::bounds_seconds, counts, sum);
    const int r = m->role.load(std::memory_order_relaxed), h = m->health.load(std::memory_order_relaxed);
    for (auto x : kRoles)
      add(role, {{"service", svc}, {"instance", id}, {"role", to_string(x)}}, static_cast<int>(x) == r ? 1 : 0);
    for (auto x : kHealths)
      add(health, {{"service", svc}, {"instance", id}, {"health", to_string(x)}}, static_cast<int>(x) == h ? 1 : 0);
    if (const auto l = m->lag.load(std::memory_order_relaxed); l >= 0)
      add(lag, {{"service", svc}, {"instance", id}}, static_cast<double>(l));
  }
  auto failovers = counter("failoverdns_failovers_total",
                           "Failovers by outcome: complete (a replica promoted), aborted (the primary came back "
                           "first), abandoned (a promotion given up).");
  for (const auto& [o, c] : failovers_) add(failovers, {{"service", svc}, {"outcome", o}}, static_cast<double>(c.load()));
  auto switchovers = counter("failoverdns_switchovers_total",
                             "Planned switchovers by outcome: complete, refused, rolled_back, failed.");
  for (const auto& [o, c] : switchovers_)
    add(switchovers, {{"service", svc}, {"outcome", o}}, static_cast<double>(c.load()));
  auto known = gauge("failoverdns_primary_known", "1 when the service has a primary, 0 while it has none.");
  add(known, {{"service", svc}}, primary_known_.load(std::memory_order_relaxed));
  auto epoch = gauge("failoverdns_failover_epoch", "The failover epoch: +1 at every promotion.");
  add(epoch, {{"service", svc}}, static_cast<double>(epoch_.load(std::memory_order_relaxed)));
  std::vector<prometheus::MetricFamily> out;
  for (auto* f : {&results, &duration, &role, &health, &lag, &failovers, &switchovers, &known, &epoch})
    out.push_back(std::move(*f));
  if (const auto ms = last_failover_ms_.load(std::memory_order_relaxed); ms > 0) {
    auto at = gauge("failoverdns_last_failover_timestamp_seconds", "Unix time of the last promotion (failover or switchover).");
    add(at, {{"service", svc}}, static_cast<double>(ms) / 1000);
    auto age = gauge("failoverdns_last_failover_age_seconds", "Seconds since the last promotion (failover or switchover).");
    const auto now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    add(age, {{"service", svc}}, static_cast<double>(now_ms - ms) / 1000);
    out.push_back(std::move(at));
    out.push_back(std::move(age));
  }
  return out;
}

}  // namespace failoverdns
