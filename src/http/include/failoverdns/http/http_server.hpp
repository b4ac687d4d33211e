// The HTTP API's listener (Boost.Beast): its own thread and io_context, so
// a slow or hostile client delays neither DNS (its own threads) nor the
// control plane (probes, failover). It reads only what the control plane
// hands it: an ApiView (publish) and who may write (set_access). Every read
// and write has a deadline; requests, connections and connections per
// client are capped (README "Operate" has the figures).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "failoverdns/config/config.hpp"
#include "failoverdns/http/api.hpp"
#include "failoverdns/http/api_view.hpp"
#include "failoverdns/support/error.hpp"

namespace failoverdns {

class HttpServer {
 public:
  // GET /metrics: Prometheus text, rendered on the HTTP thread (so what it
  // reads must be safe to read from there: MetricsRegistry is).
  using MetricsRenderer = std::function<std::string()>;
  // A write that passed the access check, carried out by the control plane.
  // Called on the HTTP thread: it must hand the work over (post it) and
  // call `done` once, from any thread, when there is an answer.
  using WriteHandler = std::function<void(Write write, std::function<void(ApiResponse)> done)>;

  // Binds every address (port 0 picks one, for tests); an error says
  // which address and what to do.
  static Result<std::unique_ptr<HttpServer>> bind(const HttpSettings& settings);
  ~HttpServer();  // stops

  // Serves `first` until the next publish. Once.
  void start(std::shared_ptr<const ApiView> first, MetricsRenderer metrics, WriteHandler writes);
  void stop();

  // Control plane, any time after start: the views that requests read from
  // now on; blocking queries whose index moved return.
  void publish(std::shared_ptr<const ApiView> view);
  // Control plane, on reload: http_acl and the token (the rest of
  // HttpSettings needs a restart).
  void set_access(const HttpSettings& settings);

  std::uint16_t port() const;

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace failoverdns
