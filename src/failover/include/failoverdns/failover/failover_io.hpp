// Everything FailoverController does to the world outside its memory:
// probing members and carrying out the decider's actions (SQL, the state
// file). The daemon gets MariadbFailoverIo (src/failover/); unit tests give
// the controller fakes, so its scheduling, ordering and error handling are
// tested without a cluster. Control-plane io_context only.
#pragma once

#include "failoverdns/support/asio.hpp"  // first: Boost 1.74 (see there)

#include <memory>


#include "failoverdns/config/duration.hpp"
#include "failoverdns/failover/failover_decider.hpp"
#include "failoverdns/health/observation.hpp"

namespace failoverdns {

class FailoverIo {
 public:
  // Probes one member. Each probe loop owns one, so it may keep a connection
  // from one probe to the next; a loop that failed starts with a fresh one.
  class Probe {
   public:
    virtual ~Probe() = default;
    // Ends about `timeout` after it started at the latest. Every failure is
    // an Observation (see ProbeOutcome): an exception is a bug, logged as
    // loop_failed, after which the loop restarts.
    virtual boost::asio::awaitable<Observation> observe(Milliseconds timeout) = 0;
    // Whether the next probes also count client sessions (for a fenced
    // former primary only: listing every session costs the server about
    // 15 us per connection, too much for every probe of a busy primary).
    virtual void count_client_sessions(bool /*on*/) {}
  };

  virtual ~FailoverIo() = default;

  virtual std::unique_ptr<Probe> probe(const FailoverMember& member) = 0;

  // Carries out one action within its own deadline; the caller sets the
  // result's id. Failures are values: an exception is answered as a failed
  // action at once, so the decider never waits out the action's budget.
  // Actions of one decision may run concurrently.
  virtual boost::asio::awaitable<ActionResult> run(const Action& action) = 0;
};

}  // namespace failoverdns
