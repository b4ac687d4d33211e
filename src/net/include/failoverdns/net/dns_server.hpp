// The DNS listeners: per address, one SO_REUSEPORT UDP socket per worker
// thread (batched recvmmsg/sendmmsg) and a TCP acceptor (RFC 7766:
// pipelining, idle timeout, connection limit). Workers answer from the
// AnswerPublisher; they own their threads and io_contexts, apart from the
// control plane's. Configured by ListenerSettings (config.hpp), at start only.
// Names outside our zones go to the Resolver, when there is one: each
// worker (and the TCP thread) gets a Session of its own.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "failoverdns/dns/answer_publisher.hpp"
#include "failoverdns/resolver/resolver.hpp"
#include "failoverdns/config/config.hpp"
#include "failoverdns/support/error.hpp"

namespace prometheus {
class Collectable;
}

namespace failoverdns {

class DnsServer {
 public:
  // Binds every socket (so start-up fails early and clearly, e.g. "port 53
  // needs root or CAP_NET_BIND_SERVICE"), but answers nothing until start().
  // `resolver` (may be null) must be stopped before the server is destroyed:
  // its forwarder posts answers to the workers' io_contexts.
  static Result<std::unique_ptr<DnsServer>> bind(const ListenerSettings& options, AnswerPublisher& answers,
                                                 Resolver* resolver);

  ~DnsServer();  // stops and joins the workers
  void start();
  void stop();

  // The ports actually bound (useful with port 0 in tests).
  int udp_port() const;
  int tcp_port() const;
  std::size_t worker_count() const;

  // The DNS metrics (README "Metrics"): every thread's counters, summed
  // when collected, and the answer table in use. Register it with a
  // MetricsRegistry, which holds it weakly; it refers to the AnswerPublisher.
  std::shared_ptr<const prometheus::Collectable> metrics() const;

  struct Impl;

 private:
  explicit DnsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace failoverdns
