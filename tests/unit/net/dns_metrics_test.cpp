// The DNS server's metrics against real sockets: each query sent moves
// exactly one counter by one (its transport, type and rcode), dropped
// messages and truncated answers are counted apart, the duration
// histograms count every answer, and promtool accepts the result.
#include "failoverdns/net/dns_server.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "failoverdns/catalog/catalog.hpp"
#include "failoverdns/dns/answer_table.hpp"
#include "failoverdns/metrics/metrics_registry.hpp"
#include "unit/promtool_support.hpp"

using namespace failoverdns;
using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;
using Clock = std::chrono::steady_clock;

namespace {

Catalog five_web_instances() {
  Catalog c;
  c.datacenter = "dc1";
  c.domain = "consul";
  c.ns_addresses = {*IpAddress::parse("127.0.0.1")};
  for (int i = 1; i <= 5; ++i) {
    Instance in;
    in.id = "web" + std::to_string(i);
    in.service = "web";
    in.node = in.id;
    in.address = *IpAddress::parse("127.0.0.2" + std::to_string(i));
    in.port = 80;
    c.instances.push_back(in);
  }
  return c;
}

// `flags_hi`: QR, opcode, RD; `questions`: QDCOUNT as sent (one question follows).
Bytes query(std::string_view name, std::uint16_t qtype, std::uint8_t flags_hi = 0x01, std::uint8_t questions = 1) {
  Bytes b{0x12, 0x34, flags_hi, 0, 0, questions, 0, 0, 0, 0, 0, 0};
  while (!name.empty()) {
    auto dot = name.find('.');
    auto label = name.substr(0, dot);
    b.push_back(static_cast<std::uint8_t>(label.size()));
    b.insert(b.end(), label.begin(), label.end());
    name.remove_prefix(dot == std::string_view::npos ? name.size() : dot + 1);
  }
  b.insert(b.end(), {0, static_cast<std::uint8_t>(qtype >> 8), static_cast<std::uint8_t>(qtype), 0, 1});
  return b;
}

sockaddr_in loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  return a;
}

std::optional<Bytes> receive(int fd, std::chrono::milliseconds timeout = 2s) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
  Bytes b(65535);
  const ssize_t n = ::recv(fd, b.data(), b.size(), 0);
  if (n <= 0) return std::nullopt;
  b.resize(static_cast<std::size_t>(n));
  return b;
}

// Sends each query from a socket of its own (so SO_REUSEPORT spreads them
// over the workers) and returns the answers; `answered` false: none may come.
std::vector<Bytes> ask_udp(int port, const Bytes& message, int times, bool answered = true) {
  std::vector<Bytes> answers;
  const auto to = loopback(port);
  for (int i = 0; i < times; ++i) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    REQUIRE(fd >= 0);
    REQUIRE(::sendto(fd, message.data(), message.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) ==
            static_cast<ssize_t>(message.size()));
    auto reply = receive(fd, answered ? 2000ms : 100ms);
    ::close(fd);
    CHECK(reply.has_value() == answered);
    if (reply) answers.push_back(*reply);
  }
  return answers;
}

// Pipelines `messages` over one TCP connection and reads as many answers.
std::vector<Bytes> ask_tcp(int port, const std::vector<Bytes>& messages) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  const auto to = loopback(port);
  REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0);
  Bytes all;
  for (const auto& m : messages) {
    all.push_back(static_cast<std::uint8_t>(m.size() >> 8));
    all.push_back(static_cast<std::uint8_t>(m.size()));
    all.insert(all.end(), m.begin(), m.end());
  }
  REQUIRE(::send(fd, all.data(), all.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(all.size()));
  Bytes stream;
  std::vector<Bytes> answers;
  while (answers.size() < messages.size()) {
    auto chunk = receive(fd);
    REQUIRE_MESSAGE(chunk, "TCP answers missing");
    stream.insert(stream.end(), chunk->begin(), chunk->end());
    while (stream.size() >= 2 && stream.size() >= 2u + ((stream[0] << 8) | stream[1])) {
      const std::size_t length = (stream[0] << 8) | stream[1];
      answers.emplace_back(stream.begin() + 2, stream.begin() + 2 + static_cast<std::ptrdiff_t>(length));
      stream.erase(stream.begin(), stream.begin() + 2 + static_cast<std::ptrdiff_t>(length));
    }
  }
  ::close(fd);
  return answers;
}

int rcode_of(const Bytes& m) { return m.at(3) & 0x0F; }
bool truncated(const Bytes& m) { return (m.at(2) & 0x02) != 0; }

using Labels = std::map<std::string, std::string>;

// The value of the one sample of `family` with exactly these labels (a
// histogram: its count).
double sample(const MetricsRegistry& registry, const std::string& family, const Labels& labels) {
  for (const auto& f : registry.collect()) {
    if (f.name != family) continue;
    for (const auto& m : f.metric) {
      Labels have;
      for (const auto& l : m.label) have[l.name] = l.value;
      if (have != labels) continue;
      switch (f.type) {
        case prometheus::MetricType::Counter: return m.counter.value;
        case prometheus::MetricType::Gauge: return m.gauge.value;
        case prometheus::MetricType::Histogram: return static_cast<double>(m.histogram.sample_count);
        default: return m.untyped.value;
      }
    }
    FAIL("no sample of " << family << " with these labels");
  }
  FAIL("no family " << family);
  return -1;
}

double total(const MetricsRegistry& registry, const std::string& family) {
  double sum = 0;
  for (const auto& f : registry.collect())
    if (f.name == family)
      for (const auto& m : f.metric) sum += m.counter.value;
  return sum;
}

// Counters are stored before the answer is sent; histograms after. Wait
// (bounded) for a value to arrive, then check it is exactly that.
void settles_at(const MetricsRegistry& registry, const std::string& family, const Labels& labels, double expected) {
  const auto deadline = Clock::now() + 2s;
  while (sample(registry, family, labels) < expected && Clock::now() < deadline) std::this_thread::sleep_for(1ms);
  CHECK_MESSAGE(sample(registry, family, labels) == expected, family);
}

struct Server {
  Server() : answers(AnswerTable::compile(five_web_instances(), 1)) {
    ListenerSettings options;
    options.addresses = {"127.0.0.1"};
    options.workers = 2;
    options.port = 0;
    auto bound = DnsServer::bind(options, answers, nullptr);
    REQUIRE_MESSAGE(bound, (bound ? "" : bound.error().message));
    server = std::move(*bound);
    server->start();
    port = server->udp_port();
    registry.add(server->metrics());
  }
  AnswerPublisher answers;
  std::unique_ptr<DnsServer> server;
  MetricsRegistry registry;
  int port = 0;
};

constexpr std::uint16_t type_a = 1, type_srv = 33, type_txt = 16, type_unassigned = 65280;

}  // namespace

TEST_CASE("every query moves its own counter by one: transport, query type, rcode") {
  Server s;
  CHECK(total(s.registry, "failoverdns_dns_queries_total") == 0);

  auto web_a = ask_udp(s.port, query("web.service.consul", type_a), 7);
  auto web_srv = ask_udp(s.port, query("web.service.consul", type_srv), 3);
  auto missing = ask_udp(s.port, query("nope.service.consul", type_a), 4);
  auto nodata_txt = ask_udp(s.port, query("web.service.consul", type_txt), 2);
  auto unassigned = ask_udp(s.port, query("web.service.consul", type_unassigned), 2);
  auto status = ask_udp(s.port, query("web.service.consul", type_a, 0x11), 2);  // opcode 2 (STATUS)
  auto two_questions = ask_udp(s.port, query("web.service.consul", type_a, 0x01, 2), 1);
  ask_udp(s.port, query("web.service.consul", type_a, 0x81), 3, false);  // a response: dropped
  auto over_tcp = ask_tcp(s.port, std::vector<Bytes>(5, query("web.service.consul", type_a)));

  for (const auto& a : web_a) CHECK(rcode_of(a) == 0);
  for (const auto& a : missing) CHECK(rcode_of(a) == 3);
  for (const auto& a : status) CHECK(rcode_of(a) == 4);
  for (const auto& a : two_questions) CHECK(rcode_of(a) == 1);

  auto q = [&](const char* transport, const char* qtype, const char* rcode) {
    return sample(s.registry, "failoverdns_dns_queries_total",
                  {{"transport", transport}, {"qtype", qtype}, {"rcode", rcode}});
  };
  CHECK(q("udp", "A", "NOERROR") == 7);
  CHECK(q("udp", "SRV", "NOERROR") == 3);
  CHECK(q("udp", "A", "NXDOMAIN") == 4);
  CHECK(q("udp", "TXT", "NOERROR") == 2);
  CHECK(q("udp", "other", "NOERROR") == 2);
  CHECK(q("udp", "A", "NOTIMP") == 2);
  CHECK(q("udp", "other", "FORMERR") == 1);  // two questions: none is parsed
  CHECK(q("tcp", "A", "NOERROR") == 5);
  // Nothing else moved.
  CHECK(total(s.registry, "failoverdns_dns_queries_total") == 7 + 3 + 4 + 2 + 2 + 2 + 1 + 5);

  CHECK(sample(s.registry, "failoverdns_dns_answers_total", {{"transport", "udp"}, {"source", "zone"}}) == 21);
  CHECK(sample(s.registry, "failoverdns_dns_answers_total", {{"transport", "tcp"}, {"source", "zone"}}) == 5);
  CHECK(sample(s.registry, "failoverdns_dns_answers_total", {{"transport", "udp"}, {"source", "cache"}}) == 0);
  settles_at(s.registry, "failoverdns_dns_dropped_queries_total", {{"transport", "udp"}}, 3);
  CHECK(sample(s.registry, "failoverdns_dns_dropped_queries_total", {{"transport", "tcp"}}) == 0);

  // Five instances over the UDP answer limit (3): the A and SRV answers
  // without EDNS carry TC, as the client saw.
  double tc_seen = 0;
  for (const auto* answers : {&web_a, &web_srv, &missing, &nodata_txt, &unassigned, &status, &two_questions})
    for (const auto& a : *answers) tc_seen += truncated(a) ? 1 : 0;
  CHECK(tc_seen >= 10);  // the A and SRV ones at least
  CHECK(sample(s.registry, "failoverdns_dns_truncated_answers_total", {{"transport", "udp"}}) == tc_seen);
  for (const auto& a : over_tcp) CHECK_FALSE(truncated(a));
  CHECK(sample(s.registry, "failoverdns_dns_truncated_answers_total", {{"transport", "tcp"}}) == 0);

  settles_at(s.registry, "failoverdns_dns_answer_duration_seconds", {{"transport", "udp"}}, 21);
  settles_at(s.registry, "failoverdns_dns_answer_duration_seconds", {{"transport", "tcp"}}, 5);
  CHECK(sample(s.registry, "failoverdns_dns_forwarded_duration_seconds", {{"transport", "udp"}}) == 0);
}

TEST_CASE("the answer table's serial and generation follow what is published") {
  Server s;
  CHECK(sample(s.registry, "failoverdns_dns_answer_table_serial", {}) == 1);
  CHECK(sample(s.registry, "failoverdns_dns_answer_table_generation", {}) == 1);
  const double names = sample(s.registry, "failoverdns_dns_answer_table_names", {});
  CHECK(names > 5);
  s.answers.publish(AnswerTable::compile(five_web_instances(), 1764691200));
  CHECK(sample(s.registry, "failoverdns_dns_answer_table_serial", {}) == 1764691200);
  CHECK(sample(s.registry, "failoverdns_dns_answer_table_generation", {}) == 2);
}

TEST_CASE("promtool accepts the DNS metrics after traffic") {
  Server s;
  ask_udp(s.port, query("web.service.consul", type_a), 3);
  ask_tcp(s.port, {query("nope.service.consul", type_srv)});
  settles_at(s.registry, "failoverdns_dns_answer_duration_seconds", {{"transport", "tcp"}}, 1);
  const std::string text = s.registry.render();
  const auto verdict = testing::promtool_check(text);
  INFO(text);
  INFO(verdict.output);
  CHECK(verdict.exit_code == 0);
  CHECK(verdict.output.empty());
  CHECK(text.find("failoverdns_dns_queries_total{transport=\"udp\",qtype=\"A\",rcode=\"NOERROR\"} 3\n") !=
        std::string::npos);
}
