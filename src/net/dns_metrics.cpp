#include "dns_metrics.hpp"

#include <array>
#include <string>

#include "failoverdns/metrics/metric_family.hpp"

namespace failoverdns::net {

namespace m = failoverdns::metrics;

DnsMetrics::DnsMetrics(const AnswerPublisher& answers, std::size_t udp_workers)
    : answers_(answers), tcp_(std::make_unique<DnsCounters>()) {
  for (std::size_t i = 0; i < udp_workers; ++i) udp_.push_back(std::make_unique<DnsCounters>());
}

namespace {

// One transport's counters, summed over its threads.
struct Totals {
  std::array<std::uint64_t, qtype_names.size() * rcode_names.size()> queries{};
  std::array<std::uint64_t, DnsCounters::sources> by_source{};
  std::uint64_t truncated = 0, dropped = 0;
  std::array<std::uint64_t, m::LocalDurationHistogram::bucket_count> answer_buckets{}, forwarded_buckets{};
  double answer_seconds = 0, forwarded_seconds = 0;

  void add(const DnsCounters& c) {
    for (std::size_t s = 0; s < DnsCounters::sources; ++s)
      for (std::size_t q = 0; q < DnsCounters::qtypes; ++q)
        for (std::size_t r = 0; r < DnsCounters::rcodes; ++r) {
          const std::uint64_t n = c.answered(s, q, r);
          queries[q * rcode_names.size() + rcode_slot[r]] += n;
          by_source[s] += n;
        }
    truncated += c.truncated.load();
    dropped += c.dropped.load();
    c.answer_duration.add_to(answer_buckets, answer_seconds);
    c.forwarded_duration.add_to(forwarded_buckets, forwarded_seconds);
  }
};

}  // namespace

std::vector<prometheus::MetricFamily> DnsMetrics::Collect() const {
  Totals udp, tcp;
  for (const auto& c : udp_) udp.add(*c);
  tcp.add(*tcp_);
  const std::array<std::pair<std::string_view, const Totals*>, 2> transports{{{"udp", &udp}, {"tcp", &tcp}}};

  auto queries = m::counter("failoverdns_dns_queries_total",
                            "DNS queries answered, by transport, query type and the answer's rcode.");
  auto sources = m::counter("failoverdns_dns_answers_total",
                            "DNS answers sent, by where they came from: zone (our names, and the REFUSED or "
                            "errors we wrote), cache (forwarded name, resolver cache hit), upstream (forwarded "
                            "name, cache miss answered by the recursors).");
  auto truncated = m::counter("failoverdns_dns_truncated_answers_total", "DNS answers sent with the TC bit set.");
  auto dropped = m::counter("failoverdns_dns_dropped_queries_total",
                            "DNS messages given no answer: responses, malformed headers, oversized datagrams.");
  auto answer_duration = m::histogram(
      "failoverdns_dns_answer_duration_seconds",
      "Time from reading a batch of queries to sending its answers (our names and cache hits; kernel queueing not "
      "included).");
  auto forwarded_duration = m::histogram(
      "failoverdns_dns_forwarded_duration_seconds",
      "Time from reading a forwarded query that missed the cache to sending the recursors' answer.");
  for (const auto& [transport, t] : transports) {
    for (std::size_t q = 0; q < qtype_names.size(); ++q)
      for (std::size_t r = 0; r < rcode_names.size(); ++r)
        m::add(queries, {{"transport", transport}, {"qtype", qtype_names[q]}, {"rcode", rcode_names[r]}},
               static_cast<double>(t->queries[q * rcode_names.size() + r]));
    for (std::size_t s = 0; s < DnsCounters::sources; ++s)
      m::add(sources, {{"transport", transport}, {"source", source_names[s]}}, static_cast<double>(t->by_source[s]));
    m::add(truncated, {{"transport", transport}}, static_cast<double>(t->truncated));
    m::add(dropped, {{"transport", transport}}, static_cast<double>(t->dropped));
    m::add_histogram(answer_duration, {{"transport", transport}}, m::LocalDurationHistogram::bounds_seconds,
                     t->answer_buckets, t->answer_seconds);
    m::add_histogram(forwarded_duration, {{"transport", transport}}, m::LocalDurationHistogram::bounds_seconds,
                     t->forwarded_buckets, t->forwarded_seconds);
  }

  const auto table = answers_.current();
  auto serial = m::gauge("failoverdns_dns_answer_table_serial", "SOA serial of the answer table in use.");
  m::add(serial, {}, static_cast<double>(table->serial()));
  auto generation = m::gauge("failoverdns_dns_answer_table_generation",
                             "Answer tables published since start (1: the first one); moves with every change.");
  m::add(generation, {}, static_cast<double>(answers_.generation()));
  auto names = m::gauge("failoverdns_dns_answer_table_names", "Names the answer table in use answers for.");
  m::add(names, {}, static_cast<double>(table->entry_count()));

  std::vector<prometheus::MetricFamily> families;
  for (auto* f : {&queries, &sources, &truncated, &dropped, &answer_duration, &forwarded_duration, &serial,
                  &generation, &names})
    families.push_back(std::move(*f));
  return families;
}

}  // namespace failoverdns::net
