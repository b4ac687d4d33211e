#include "mariadb_failover_io.hpp"

#include <fmt/format.h>

#include "failoverdns/health/mariadb_probe.hpp"

namespace failoverdns {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

class MariadbMemberProbe final : public FailoverIo::Probe {
 public:
  MariadbMemberProbe(asio::any_io_executor executor, std::string id, MariadbEndpoint endpoint)
      : executor_(std::move(executor)), probe_(std::move(id), std::move(endpoint)) {}

  asio::awaitable<Observation> observe(Milliseconds timeout) override {
    co_return co_await probe_.observe(executor_, timeout);
  }
  void count_client_sessions(bool on) override { probe_.count_client_sessions(on); }

 private:
  asio::any_io_executor executor_;
  MariadbProbe probe_;
};

}  // namespace

MariadbFailoverIo::MariadbFailoverIo(asio::any_io_executor executor, FailoverSettings settings,
                                     std::vector<FailoverMember> members)
    : executor_(std::move(executor)),
      settings_(std::move(settings)),
      members_(std::move(members)),
      store_(settings_.state_file, settings_.service),
      credentials_{settings_.replication_user, settings_.replication_password, settings_.interval} {}

MariadbEndpoint MariadbFailoverIo::endpoint_of(const FailoverMember& m) const {
  return {m.host, settings_.extra_port.value_or(m.port), settings_.user, settings_.password};
}

const FailoverMember* MariadbFailoverIo::member(const std::string& id) const {
  for (const auto& m : members_)
    if (m.id == id) return &m;
  return nullptr;
}

std::unique_ptr<FailoverIo::Probe> MariadbFailoverIo::probe(const FailoverMember& m) {
  return std::make_unique<MariadbMemberProbe>(executor_, m.id, endpoint_of(m));
}

// Each action gets a connection of its own (probes keep theirs).
asio::awaitable<Result<QueryResult>> MariadbFailoverIo::sql(const std::string& instance,
                                                            const std::vector<std::string>& statements,
                                                            Milliseconds budget) {
  const FailoverMember* m = member(instance);
  if (!m) co_return fail(fmt::format("no member {} in service {}", instance, settings_.service));
  auto deadline = Clock::now() + budget;
  auto connection = co_await MariadbConnection::connect(executor_, endpoint_of(*m), deadline);
  if (!connection) co_return std::unexpected(connection.error());
  co_return co_await (*connection)->execute(statements, deadline);
}

// What the seed wrote to mysql.txt: where the new primary's binlog starts.
asio::awaitable<Result<QueryResult>> MariadbFailoverIo::read_coordinates(const std::string& instance,
                                                                         Milliseconds budget,
                                                                         PromotionCoordinates& out) {
  auto statements = promotion_coordinates_sql();
  // Named vectors: g++ 12 miscompiles a braced list inside co_await.
  std::vector<std::string> show_status{statements[0]}, select_gtid{statements[1]};
  auto status = co_await sql(instance, show_status, budget);
  if (!status) co_return status;
  auto gtid = co_await sql(instance, select_gtid, budget);
  if (!gtid) co_return gtid;
  out = promotion_coordinates(*status, *gtid);
  co_return gtid;
}

// read_only=1 first, then the sessions, over the same connection: a client
// whose session is killed can only reconnect to a read-only server.
asio::awaitable<ActionResult> MariadbFailoverIo::fence(const Fence& f, Milliseconds budget) {
  ActionResult r;
  const FailoverMember* m = member(f.instance);
  if (!m) {
    r.error = fmt::format("no member {} in service {}", f.instance, settings_.service);
    co_return r;
  }
  auto deadline = Clock::now() + budget;
  auto connection = co_await MariadbConnection::connect(executor_, endpoint_of(*m), deadline);
  if (!connection) {
    r.error = connection.error().message;
    co_return r;
  }
  auto& c = **connection;
  auto fenced = co_await c.execute(fence_sql(), deadline);
  if (!fenced) {
    r.error = fenced.error().message;
    co_return r;
  }
  r.ok = true;
  if (f.end_sessions) r.sessions = co_await end_client_sessions(c, deadline);
  co_return r;
}

// After read_only=1 on `c`'s server (a fence, or a switchover's demotion).
asio::awaitable<SessionsEnded> MariadbFailoverIo::end_client_sessions(MariadbConnection& c,
                                                                       MariadbConnection::Deadline deadline) {
  SessionsEnded ended;
  const std::string list = list_client_sessions_sql(settings_.user);
  auto listed = co_await c.query(list, deadline);
  if (!listed) {
    ended.error = fmt::format("listing the sessions failed: {}", listed.error().message);
    co_return ended;
  }
  for (const auto& session : client_sessions(*listed)) {
    const std::string kill = kill_session_sql(session.id);
    auto killed = co_await c.query(kill, deadline);
    if (killed) {
      ended.killed.push_back(session);
    } else if (killed.error().code == er_no_such_thread) {
      ++ended.already_gone;  // it ended by itself since the list
    } else {
      ended.error = fmt::format("KILL CONNECTION {} failed: {}", session.id, killed.error().message);
      if (!c.usable()) break;
    }
  }
  co_return ended;
}

asio::awaitable<ActionResult> MariadbFailoverIo::run(const Action& action) {
  ActionResult r;
  // Statements that change replication may wait on a dead primary's
  // connection for a moment: give them a few probe timeouts.
  const Milliseconds admin_budget = std::max(Milliseconds(5000), 3 * settings_.timeout);
  Result<QueryResult> outcome = QueryResult{};
  if (const auto* a = std::get_if<WaitRelayLog>(&action.body)) {
    outcome = co_await sql(a->instance, wait_relay_log_sql(*a), a->timeout + settings_.timeout);
    if (outcome) {
      if (auto applied = relay_log_applied(*outcome); !applied) outcome = std::unexpected(applied.error());
    }
  } else if (const auto* p = std::get_if<Promote>(&action.body)) {
    outcome = co_await sql(p->instance, promote_sql(), admin_budget);
    if (outcome) outcome = co_await read_coordinates(p->instance, admin_budget, r.coordinates);
  } else if (const auto* s = std::get_if<PersistState>(&action.body)) {
    // A few hundred bytes with fsync: short enough for the control plane.
    auto saved = store_.save(s->state);
    if (!saved) outcome = std::unexpected(saved.error());
  } else if (const auto* d = std::get_if<Redirect>(&action.body)) {
    outcome = co_await sql(d->instance, redirect_sql(*d, credentials_), admin_budget);
  } else if (const auto* j = std::get_if<Rejoin>(&action.body)) {
    outcome = co_await sql(j->instance, rejoin_sql(*j, credentials_), admin_budget);
  } else if (const auto* f = std::get_if<Fence>(&action.body)) {
    co_return co_await fence(*f, admin_budget);
  } else if (const auto* dm = std::get_if<Demote>(&action.body)) {
    // read_only=1 waits for commits under way: the position read after it
    // is everything the target must apply. A named Fence: g++ 12 mishandles
    // a braced temporary inside co_await.
    const Fence read_only{dm->instance, dm->end_sessions};
    ActionResult demoted = co_await fence(read_only, admin_budget);
    r.sessions = std::move(demoted.sessions);
    if (!demoted.ok) outcome = fail(demoted.error);
    else outcome = co_await read_coordinates(dm->instance, admin_budget, r.coordinates);
  } else if (const auto* w = std::get_if<MakeWritable>(&action.body)) {
    outcome = co_await sql(w->instance, make_writable_sql(), admin_budget);
  }
  r.ok = outcome.has_value();
  if (!outcome) r.error = outcome.error().message;
  co_return r;
}

}  // namespace failoverdns
