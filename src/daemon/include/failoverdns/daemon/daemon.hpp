// The running daemon: the control plane's io_context and everything on it
// (configuration, the live catalog, health checks, failover), plus the DNS
// server whose answers it publishes. Start-up order follows Knot's: bind
// sockets, drop privileges, then start work; any failure before serving is
// an exit code. Tells systemd (Type=notify) it is ready once the answers
// reflect a first probe round of every failover service.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "failoverdns/dns/answer_publisher.hpp"
#include "failoverdns/config/config.hpp"
#include "failoverdns/http/http_server.hpp"
#include "failoverdns/net/dns_server.hpp"
#include "failoverdns/resolver/resolver.hpp"
#include "failoverdns/catalog/live_catalog.hpp"
#include "failoverdns/metrics/metrics_registry.hpp"

namespace failoverdns {

class Daemon {
 public:
  Daemon(Config config, std::vector<ConfigSource> sources);
  ~Daemon();

  // Serves until SIGINT/SIGTERM; returns the process exit code.
  int run();

 private:
  void publish(const Catalog& catalog);
  void reload();
  bool start_checks();  // false: logged, the daemon must not start
  void stop_checks();
  void announce_ready();  // once: the log line, READY=1
  // The HTTP API's view is rebuilt once per burst of changes (a decision
  // step publishes answers and changes a status): posted, not at once.
  void schedule_api_refresh();
  std::shared_ptr<const ApiView> build_api_view();
  // A write from the HTTP API that passed its access check: on this thread.
  void carry_out(Write write, std::function<void(ApiResponse)> done);

  boost::asio::io_context io_{1};
  Config config_;
  std::vector<ConfigSource> sources_;
  std::uint32_t serial_ = 0;
  std::chrono::steady_clock::time_point started_at_ = std::chrono::steady_clock::now();
  bool ready_ = false;
  // What GET /metrics renders; collectors are held weakly, so declared
  // before everything that owns one.
  MetricsRegistry metrics_;
  std::unique_ptr<AnswerPublisher> answers_;
  std::unique_ptr<LiveCatalog> live_;
  std::unique_ptr<DnsServer> dns_;
  // After dns_, so it is destroyed (stopped) first: it posts to dns_'s threads.
  std::unique_ptr<Resolver> resolver_;
  struct Checks;  // health checks and failover controllers
  std::unique_ptr<Checks> checks_;
  std::unique_ptr<HttpServer> http_;
  bool api_refresh_pending_ = false;
  std::uint64_t catalog_index_ = 0;  // serial_ of the last publication that was not lag only
  std::uint64_t failover_index_ = 0;
  std::vector<FailoverStatus> last_status_;  // what failover_index_ was raised for
};

}  // namespace failoverdns
