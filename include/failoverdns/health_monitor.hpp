// Runs every configured check of every service that is not under failover,
// each on its interval, and writes each instance's health (the worst of
// its checks) into the LiveCatalog. Control-plane io_context only.
#pragma once

#include <memory>

#include <boost/asio/io_context.hpp>

#include "failoverdns/config.hpp"
#include "failoverdns/live_catalog.hpp"

namespace failoverdns {

class HealthMonitor {
 public:
  HealthMonitor(boost::asio::io_context& io, const Config& config, LiveCatalog& catalog);
  ~HealthMonitor();
  void start();
  void stop();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace failoverdns
