// The hot path must not allocate: count every operator new while answering
// queries of every kind. (Replacing the global operator new is legal C++;
// it applies to this test binary only.)
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "dns_test_support.hpp"

namespace {
std::atomic<long> allocations{0};
}

void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
// g++ -O2 sees free() on what "new" returned; this new is malloc.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

using namespace dnstest;

TEST_CASE("answer_query never allocates") {
  long at_start = allocations.load();
  auto catalog = fixture();
  catalog.instances[1].lag = 2;  // the replica: lag-<N>s names exist
  auto table = compile(catalog);
  REQUIRE(allocations.load() > at_start);  // the counter sees allocations
  std::vector<Bytes> queries;
  for (const char* name : {"mysql.service.consul", "WEB.service.dc1.example.org", "_web._tcp.service.consul",
                           "host1.node.consul", "0a000001.addr.consul", "consul", "service.consul",
                           "nothing.service.consul", "example.com", "_status.mysql.service.consul",
                           "lag-5s.replica.mysql.service.consul", "LAG-1S.replica.mysql.service.dc1.consul",
                           "lag-99999s.replica.mysql.service.consul"}) {
    for (std::uint16_t qtype : {LDNS_RR_TYPE_A, LDNS_RR_TYPE_SRV, LDNS_RR_TYPE_TXT, LDNS_RR_TYPE_AXFR}) {
      Query q;
      q.name = name;
      q.qtype = qtype;
      queries.push_back(q.bytes());
      q.edns_payload = 4096;
      queries.push_back(q.bytes());
      q.edns_version = 1;
      queries.push_back(q.bytes());
      q.opcode = LDNS_PACKET_NOTIFY;
      queries.push_back(q.bytes());
    }
  }
  queries.push_back(Bytes(5, 0));
  Bytes response(max_response_size);
  std::size_t replies = 0;

  long before = allocations.load();
  for (std::uint32_t rotation = 0; rotation < 4; ++rotation) {
    for (const auto& q : queries) {
      for (auto transport : {Transport::udp, Transport::tcp}) {
        replies += answer_query(*table, q, response, transport, rotation).action == QueryOutcome::Action::reply;
      }
    }
  }
  long after = allocations.load();
  CHECK(after == before);
  CHECK(replies == 8 * (queries.size() - 1));
}
