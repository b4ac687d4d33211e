// The DNS server's collector: every thread's DnsCounters, summed when
// scraped, and the answer table in use. Owns the counters (the listeners
// hold references), so it may outlive the server; it refers to the
// AnswerPublisher, which must outlive it.
#pragma once

#include <memory>
#include <vector>

#include <prometheus/collectable.h>

#include "dns_counters.hpp"
#include "failoverdns/dns/answer_publisher.hpp"

namespace failoverdns::net {

class DnsMetrics : public prometheus::Collectable {
 public:
  DnsMetrics(const AnswerPublisher& answers, std::size_t udp_workers);

  DnsCounters& udp(std::size_t worker) { return *udp_[worker]; }
  DnsCounters& tcp() { return *tcp_; }

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const AnswerPublisher& answers_;
  // One allocation each: alignas keeps every thread's counters on lines of
  // their own, apart from each other and from anything else.
  std::vector<std::unique_ptr<DnsCounters>> udp_;
  std::unique_ptr<DnsCounters> tcp_;
};

}  // namespace failoverdns::net
