// Forwarding for names outside our zones (Consul's "recursors"), with a
// cache: failoverdns as a host's only nameserver. Each DNS thread holds a
// Session -- its own cache and view of the ACL -- in front of one
// forwarder thread that asks the recursors. A cache hit never locks or
// allocates; a miss is handed to the forwarder and answered later, on the
// asking thread, so the authoritative path never waits on an upstream.
// See README "Forwarding" and src/resolver/README.md.
#pragma once

#include "failoverdns/support/asio.hpp"  // first: Boost 1.74 (see there)

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include <boost/asio/any_io_executor.hpp>

#include "failoverdns/config/config.hpp"
#include "failoverdns/dns/answer_table.hpp"

namespace failoverdns {

class Resolver {
 public:
  // `payload`: our EDNS UDP size (dns_config.edns_buffer_size), offered to
  // recursors and to clients. Starts nothing yet.
  Resolver(const ResolverSettings& settings, std::uint16_t payload);
  ~Resolver();  // stops
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  void start();
  // Joins the forwarder thread. Call before the DNS threads' io_contexts
  // go away: answers in flight are posted to them.
  void stop();
  // Control plane, at reload: recursors, order, timeout, ACL, payload. The
  // caches are emptied when the recursors change; cache_size stays as it
  // was at start (a change needs a restart).
  void reconfigure(const ResolverSettings& settings, std::uint16_t payload);

  struct Impl;

  // One per DNS thread; used on that thread only.
  class Session {
   public:
    // `home`: where this thread's completions run.
    Session(Resolver& resolver, boost::asio::any_io_executor home);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    enum class Step {
      answered,  // `response` holds the answer (from the cache), `length` its size
      refused,   // the client may not recurse: send the REFUSED answer_query wrote
      miss,      // call forward()
    };
    // For a query answer_query left to us (QueryOutcome::forward).
    Step handle(std::span<const std::uint8_t> query, const ForwardedQuestion& question, const sockaddr* peer,
                Transport transport, std::span<std::uint8_t> response, std::size_t& length) noexcept;

    // Receives the answer on this Session's thread; the bytes are valid
    // during the call only.
    using Deliver = std::function<void(std::span<const std::uint8_t> answer)>;
    // After a miss: asks the forwarder; `deliver` runs once with the answer
    // (SERVFAIL if every recursor failed or too many are in flight).
    void forward(std::span<const std::uint8_t> query, const ForwardedQuestion& question, Transport transport,
                 Deliver deliver);

    struct State;

   private:
    std::shared_ptr<State> state_;
  };

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace failoverdns
