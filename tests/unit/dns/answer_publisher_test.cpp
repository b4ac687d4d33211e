#include "failoverdns/dns/answer_publisher.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "dns_test_support.hpp"

using namespace dnstest;

TEST_CASE("readers see a published table from their next call on") {
  auto first = compile(fixture(), 1);
  AnswerPublisher publisher(first);
  AnswerPublisher::Reader reader(publisher);
  CHECK(reader.table().serial() == 1);
  CHECK(&reader.table() == first.get());

  auto second = compile(fixture(), 2);
  std::weak_ptr<const AnswerTable> first_weak = first;
  publisher.publish(second);
  first.reset();
  // The reader still holds the old table until it asks again.
  CHECK_FALSE(first_weak.expired());
  CHECK(reader.table().serial() == 2);
  CHECK(first_weak.expired());
  CHECK(publisher.current() == second);
}

TEST_CASE("a reader racing a publisher always sees a whole table") {
  auto catalog = fixture();
  catalog.instances.resize(2);  // compile cost is not what this tests
  AnswerPublisher publisher(compile(catalog, 1));
  std::atomic<bool> done{false};
  std::uint32_t last_seen = 0;
  bool monotonic = true;
  std::thread worker([&] {
    AnswerPublisher::Reader reader(publisher);
    Query q;
    Bytes response(4096);
    auto query = q.bytes();
    while (!done.load()) {
      const AnswerTable& table = reader.table();
      if (table.serial() < last_seen) monotonic = false;
      last_seen = table.serial();
      auto outcome = answer_query(table, query, response, Transport::udp, 0);
      if (outcome.action != QueryOutcome::Action::reply) monotonic = false;
    }
  });
  for (std::uint32_t serial = 2; serial <= 10; ++serial) publisher.publish(compile(catalog, serial));
  done = true;
  worker.join();
  CHECK(monotonic);
  AnswerPublisher::Reader reader(publisher);
  CHECK(reader.table().serial() == 10);
}
