// FailoverController on a real io_context and a real LiveCatalog, with a
// fake FailoverIo standing in for MariaDB and the state file: the
// controller's own part (scheduling probes, carrying out actions in order,
// publishing, surviving exceptions, stopping, handing over) without a
// cluster. The decisions themselves are the decider's tests.
#include <utility>

#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "failoverdns/catalog/catalog.hpp"
#include "failoverdns/failover/failover_controller.hpp"
#include "failoverdns/failover/failover_io.hpp"
#include "failoverdns/catalog/live_catalog.hpp"
#include "unit/control_plane_support.hpp"

using namespace failoverdns;
using namespace failoverdns::testing;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

Observation primary(const std::string& id) {
  Observation o;
  o.instance_id = id;
  o.outcome = ProbeOutcome::answered;
  o.read_only = false;
  o.server_id = 1;
  o.gtid_binlog_pos = o.gtid_current_pos = "0-1-100";
  return o;
}

// A replica of db1 (127.0.0.11); `receiving` false: its IO thread lost it.
Observation replica(const std::string& id, bool receiving = true) {
  Observation o;
  o.instance_id = id;
  o.outcome = ProbeOutcome::answered;
  o.read_only = true;
  o.server_id = 2;
  o.gtid_binlog_pos = o.gtid_current_pos = o.gtid_slave_pos = "0-1-100";
  ReplicaStatus r;
  r.master_host = "127.0.0.11";
  r.master_port = 3306;
  r.io_state = receiving ? "Yes" : "Connecting";
  r.last_io_errno = receiving ? 0 : 2003;
  r.sql_running = true;
  r.gtid_io_pos = "0-1-100";
  r.master_log_file = "mysql-bin.000001";
  r.read_master_log_pos = r.exec_master_log_pos = 1000;
  r.seconds_behind_master = receiving ? std::optional<std::int64_t>(0) : std::nullopt;
  r.using_gtid = true;
  o.replication.push_back(r);
  return o;
}

Observation no_answer(const std::string& id) {
  Observation o;
  o.instance_id = id;
  o.outcome = ProbeOutcome::no_answer;
  o.error = "connect timed out (fake)";
  return o;
}

// MariaDB and the state file as the test scripts them, recording what the
// controller asked for.
class FakeFailoverIo final : public FailoverIo {
 public:
  explicit FakeFailoverIo(asio::any_io_executor executor) : executor_(executor), gate_(executor) {
    gate_.expires_at(asio::steady_timer::time_point::max());
  }

  // What a probe of each member says now.
  std::map<std::string, Observation> answer;
  // Probes of these members wait at the gate (a probe in flight) until
  // release(); then they say what `answer` says.
  std::set<std::string> held;
  // How many of the next probes of a member throw.
  std::map<std::string, int> throws;
  // How many of the next actions of a kind ("wait_relay_log") throw.
  std::map<std::string, int> action_throws;
  // State saves naming this primary fail (a full disk).
  std::string failing_save_of;

  std::map<std::string, int> probes;  // started, per member
  std::map<std::string, bool> counting_sessions;  // what each probe was last told
  int in_flight = 0;                  // probes waiting at the gate
  std::vector<std::string> actions;   // "promote:db2", in the order they arrived
  std::vector<FailoverState> saved;   // states saved successfully

  void release() {
    gate_.cancel();
    gate_.expires_at(asio::steady_timer::time_point::max());
  }

  std::unique_ptr<Probe> probe(const FailoverMember& member) override {
    return std::make_unique<FakeProbe>(*this, member.id);
  }

  asio::awaitable<ActionResult> run(const Action& action) override {
    std::string name(action_name(action.body));
    actions.push_back(name + ":" + action_target(action.body));
    if (action_throws[name] > 0) {
      --action_throws[name];
      throw std::runtime_error("fake " + name + " blew up");
    }
    ActionResult r{0, true, "", {}, {}};
    if (const auto* p = std::get_if<PersistState>(&action.body)) {
      if (!failing_save_of.empty() && p->state.primary == failing_save_of)
        r = {0, false, "No space left on device (fake)", {}, {}};
      else
        saved.push_back(p->state);
    } else if (const auto* promote = std::get_if<Promote>(&action.body)) {
      // As MariaDB would: later probes see a writable server, not a replica.
      Observation& o = answer.at(promote->instance);
      o.read_only = false;
      o.replication.clear();
      r.coordinates = {"mysql-bin.000002", 4, "0-1-100"};
    }
    co_return r;
  }

 private:
  class FakeProbe final : public Probe {
   public:
    FakeProbe(FakeFailoverIo& io, std::string id) : io_(io), id_(std::move(id)) {}

    asio::awaitable<Observation> observe(Milliseconds) override {
      ++io_.probes[id_];
      if (io_.throws[id_] > 0) {
        --io_.throws[id_];
        throw std::runtime_error("fake probe of " + id_ + " blew up");
      }
      if (io_.held.contains(id_)) {
        ++io_.in_flight;
        boost::system::error_code ec;
        co_await io_.gate_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        --io_.in_flight;
      }
      Observation o = io_.answer.at(id_);
      o.at = std::chrono::steady_clock::now();
      co_return o;
    }

    void count_client_sessions(bool on) override { io_.counting_sessions[id_] = on; }

   private:
    FakeFailoverIo& io_;
    std::string id_;
  };

  asio::any_io_executor executor_;
  asio::steady_timer gate_;
};

FailoverSettings fast_settings() {
  FailoverSettings s;
  s.service = "mysql";
  s.interval = 20ms;
  s.timeout = 50ms;
  s.recheck_interval = 10ms;
  s.failcount = 3;
  s.relay_log_wait = 20s;  // actions' budgets are far beyond any deadline below
  s.cooldown = 60s;
  // Never read: the fake saves. A path that does not exist is a first start.
  s.state_file = std::filesystem::temp_directory_path() / "failoverdns-controller-test-never-written.state";
  return s;
}

std::vector<FailoverMember> two_members() { return {{"db1", "127.0.0.11", 3306}, {"db2", "127.0.0.12", 3306}}; }

Config two_member_config() {
  Config c;
  for (const auto& m : two_members()) {
    ServiceDefinition s;
    s.id = m.id;
    s.name = "mysql";
    s.address = m.host;
    s.port = m.port;
    c.services.push_back(s);
  }
  c.failover.push_back(fast_settings());
  return c;
}

Role role_in(const Catalog& catalog, const std::string& id) {
  for (const auto& i : catalog.instances)
    if (i.id == id) return i.role;
  FAIL("no instance " << id);
  return Role::none;
}

// One service under failover: a fake cluster, a catalog that remembers
// every publication, and the controller.
struct Rig {
  asio::io_context io;
  std::shared_ptr<FakeFailoverIo> fake = std::make_shared<FakeFailoverIo>(io.get_executor());
  std::vector<Catalog> published;
  // What had reached the fake when db2 was first published as primary.
  std::optional<std::vector<std::string>> actions_when_db2_published;
  LiveCatalog catalog{make_catalog(two_member_config()), [this](const Catalog& c) {
                        published.push_back(c);
                        if (!actions_when_db2_published && role_in(c, "db2") == Role::primary)
                          actions_when_db2_published = fake->actions;
                      }};
  std::shared_ptr<FailoverController> controller;

  explicit Rig(FailoverSettings settings = fast_settings()) {
    fake->answer = {{"db1", primary("db1")}, {"db2", replica("db2")}};
    auto created = FailoverController::create(io, settings, two_members(), catalog, fake);
    REQUIRE(created.has_value());
    controller = *created;
  }
  // Every coroutine ends before what it refers to goes away.
  ~Rig() {
    controller->stop();
    fake->held.clear();
    fake->release();
    run_until_idle(io);
  }

  Role role(const std::string& id) const { return role_in(catalog.current(), id); }

  // First start: both probed, db1 found writable, saved, published.
  void start_with_db1_primary() {
    controller->start();
    REQUIRE(run_until(io, [&] { return role("db1") == Role::primary && role("db2") == Role::replica; }));
  }

  // db1 stops answering; db2's IO thread loses it too.
  void kill_db1() {
    fake->answer["db1"] = no_answer("db1");
    fake->answer["db2"] = replica("db2", false);
  }
};

}  // namespace

TEST_CASE("the controller probes every member on its interval and publishes the primary once saved") {
  LogCapture log;
  INFO(log.text());
  Rig rig;
  rig.start_with_db1_primary();

  // The state naming db1 was saved before db1 was published.
  REQUIRE(rig.fake->saved.size() >= 1);
  CHECK(rig.fake->saved.front().primary == "db1");
  CHECK(rig.fake->actions.front() == "persist_state:db1");

  // Each member keeps being probed, not just once.
  CHECK(run_until(rig.io, [&] { return rig.fake->probes["db1"] >= 5 && rig.fake->probes["db2"] >= 5; }));
  CHECK(rig.role("db1") == Role::primary);
  CHECK(rig.role("db2") == Role::replica);
}

TEST_CASE("a primary that stops answering is failed over; the new one is published only once saved") {
  LogCapture log;
  INFO(log.text());
  Rig rig;
  rig.start_with_db1_primary();
  const auto before = rig.fake->actions.size();

  rig.kill_db1();
  REQUIRE(run_until(rig.io, [&] { return rig.role("db2") == Role::primary; }));

  // Relay log drained, intent saved (db1 still primary), promoted, result
  // saved, and only then db2 published.
  REQUIRE(rig.actions_when_db2_published.has_value());
  std::vector<std::string> failover(rig.actions_when_db2_published->begin() + static_cast<std::ptrdiff_t>(before),
                                    rig.actions_when_db2_published->end());
  CHECK(failover ==
        std::vector<std::string>{"wait_relay_log:db2", "persist_state:db1", "promote:db2", "persist_state:db2"});
  REQUIRE(rig.fake->saved.size() >= 3);
  CHECK(rig.fake->saved.back().primary == "db2");
  CHECK(rig.fake->saved.back().epoch == 2);
  CHECK(rig.fake->saved.back().coordinates.binlog_file == "mysql-bin.000002");
  CHECK(rig.role("db1") != Role::primary);
}

TEST_CASE("only a fenced former primary's probe counts client sessions (a PROCESSLIST scan)") {
  LogCapture log;
  INFO(log.text());
  Rig rig;
  rig.start_with_db1_primary();
  CHECK_FALSE(rig.fake->counting_sessions["db1"]);
  CHECK_FALSE(rig.fake->counting_sessions["db2"]);
  rig.kill_db1();
  REQUIRE(run_until(rig.io, [&] { return rig.role("db2") == Role::primary; }));
  CHECK(run_until(rig.io, [&] { return rig.fake->counting_sessions["db1"]; }));
  CHECK_FALSE(rig.fake->counting_sessions["db2"]);
}

TEST_CASE("a new primary whose state cannot be saved is not published") {
  LogCapture log;
  INFO(log.text());
  Rig rig;
  rig.start_with_db1_primary();
  rig.fake->failing_save_of = "db2";

  rig.kill_db1();
  // The decider retries the save every interval: wait for a few failures.
  REQUIRE(run_until(rig.io, [&] { return std::ranges::count(rig.fake->actions, "persist_state:db2") >= 3; }));
  CHECK(log.lines_with("event=state_save_failed") >= 2);
  CHECK(std::ranges::count(rig.fake->actions, "promote:db2") >= 1);
  CHECK_FALSE(rig.actions_when_db2_published.has_value());
  CHECK(rig.role("db2") != Role::primary);

  // It was the save that held it back.
  rig.fake->failing_save_of.clear();
  CHECK(run_until(rig.io, [&] { return rig.role("db2") == Role::primary; }));
}

TEST_CASE("an action that throws is answered as failed at once, not after its budget") {
  LogCapture log;
  INFO(log.text());
  Rig rig;
  rig.start_with_db1_primary();
  rig.fake->action_throws["wait_relay_log"] = 1;

  rig.kill_db1();
  // The budget of a relay-log wait is over 20 s; the retry comes one
  // interval after the failure is known.
  REQUIRE(run_until(rig.io, [&] { return std::ranges::count(rig.fake->actions, "wait_relay_log:db2") >= 2; }));
  CHECK(log.lines_with("event=relay_log_wait_failed", "executor failed: fake wait_relay_log blew up") == 1);
  CHECK(run_until(rig.io, [&] { return rig.role("db2") == Role::primary; }));
}

TEST_CASE("a probe that throws is logged as loop_failed and its loop restarts") {
  LogCapture log;
  INFO(log.text());
  Rig rig;
  rig.fake->throws["db2"] = 2;
  rig.start_with_db1_primary();

  CHECK(log.lines_with("event=loop_failed", "instance=db2", "fake probe of db2 blew up") == 2);
  CHECK(run_until(rig.io, [&] { return rig.fake->probes["db2"] >= 5; }));
  CHECK(rig.role("db2") == Role::replica);
}

TEST_CASE("stop() cancels the probe timers and drops what probes in flight return") {
  LogCapture log;
  INFO(log.text());
  auto settings = fast_settings();
  settings.interval = 60s;  // after the first round every loop waits on its timer
  Rig rig(settings);
  rig.fake->held = {"db2"};
  rig.controller->start();
  REQUIRE(run_until(rig.io, [&] { return rig.fake->probes["db1"] == 1 && rig.fake->in_flight == 1; }));

  rig.controller->stop();
  const auto publications = rig.published.size();
  rig.fake->release();  // the probe in flight ends (by its deadline, for a real one)
  CHECK(run_until_idle(rig.io));

  // db2's answer would have completed the first start (a save, then db1
  // published): it was dropped.
  CHECK(rig.fake->actions.empty());
  CHECK(rig.published.size() == publications);
  CHECK(rig.fake->probes["db1"] == 1);
  CHECK(rig.fake->probes["db2"] == 1);
}

TEST_CASE("take_over() carries on from what the previous controller observed and saved") {
  LogCapture log;
  INFO(log.text());
  Rig rig;
  rig.start_with_db1_primary();
  const auto publications = rig.published.size();
  const auto actions = rig.fake->actions;

  auto next =
      FailoverController::take_over(rig.io, fast_settings(), two_members(), rig.catalog, *rig.controller, rig.fake);
  rig.controller->stop();
  rig.fake->probes.clear();
  next->start();
  REQUIRE(run_until(rig.io, [&] { return rig.fake->probes["db1"] >= 3 && rig.fake->probes["db2"] >= 3; }));

  // Nothing was published again (no "none" before observing), nothing
  // saved again: the primary stayed as it was.
  CHECK(rig.published.size() == publications);
  CHECK(rig.fake->actions == actions);
  CHECK(rig.role("db1") == Role::primary);
  next->stop();
}

// The daemon tells systemd READY=1 at this moment: answers that a client
// gets from then on come from a whole probe round, and a primary found at
// the first start is only published once saved.
TEST_CASE("the first round is published after every member's first probe and the primary's save") {
  LogCapture log;
  INFO(log.text());
  Rig rig;
  rig.fake->held = {"db2"};
  rig.fake->failing_save_of = "db1";
  bool done = false;
  Role db1_when_done = Role::none;
  rig.controller->when_first_round_published([&] {
    done = true;
    db1_when_done = rig.role("db1");
  });
  rig.controller->start();
  REQUIRE(run_until(rig.io, [&] { return rig.fake->probes["db1"] >= 3 && rig.fake->in_flight == 1; }));
  CHECK_FALSE(done);  // db2's first probe is still in flight

  rig.fake->held.clear();
  rig.fake->release();
  REQUIRE(run_until(rig.io, [&] { return std::ranges::count(rig.fake->actions, "persist_state:db1") >= 2; }));
  CHECK_FALSE(done);  // db1 found, but not saved: not published either
  CHECK(rig.role("db1") != Role::primary);

  rig.fake->failing_save_of.clear();
  REQUIRE(run_until(rig.io, [&] { return done; }));
  CHECK(db1_when_done == Role::primary);

  bool again = false;
  rig.controller->when_first_round_published([&] { again = true; });
  CHECK(again);  // already reached: at once
}
