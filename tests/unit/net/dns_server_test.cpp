// DnsServer against real sockets on loopback: what the system tests cannot
// reach with dig (idle timeout, connection limit, bursts, byte-by-byte TCP,
// bind errors). The answers themselves are the dns module's tests.
#include "failoverdns/net/dns_server.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <arpa/inet.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "failoverdns/dns/answer_table.hpp"
#include "failoverdns/catalog/catalog.hpp"

using namespace failoverdns;
using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;
using Clock = std::chrono::steady_clock;

namespace {

Catalog catalog_with(const std::vector<std::pair<std::string, std::string>>& instances) {
  Catalog c;
  c.datacenter = "dc1";
  c.domain = "consul";
  c.ns_addresses = {*IpAddress::parse("127.0.0.1")};
  for (const auto& [id, address] : instances) {
    Instance in;
    in.id = id;
    in.service = "web";
    in.node = id;
    in.address = *IpAddress::parse(address);
    in.port = 80;
    c.instances.push_back(in);
  }
  return c;
}

// A plain A query, no EDNS. flags_hi 0x81 makes it a response (QR=1).
Bytes query(std::uint16_t id, std::string_view name = "web.service.consul", std::uint8_t flags_hi = 0x01) {
  Bytes b{static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id), flags_hi, 0, 0, 1, 0, 0, 0, 0, 0, 0};
  while (!name.empty()) {
    auto dot = name.find('.');
    auto label = name.substr(0, dot);
    b.push_back(static_cast<std::uint8_t>(label.size()));
    b.insert(b.end(), label.begin(), label.end());
    name.remove_prefix(dot == std::string_view::npos ? name.size() : dot + 1);
  }
  b.insert(b.end(), {0, 0, 1, 0, 1});  // root, type A, class IN
  return b;
}

Bytes framed(const Bytes& message) {
  Bytes b{static_cast<std::uint8_t>(message.size() >> 8), static_cast<std::uint8_t>(message.size())};
  b.insert(b.end(), message.begin(), message.end());
  return b;
}

std::uint16_t id_of(const Bytes& m) { return static_cast<std::uint16_t>((m.at(0) << 8) | m.at(1)); }
int rcode_of(const Bytes& m) { return m.at(3) & 0x0F; }
int answer_count(const Bytes& m) { return (m.at(6) << 8) | m.at(7); }
// The address of a one-record A answer without EDNS: its last four bytes.
// The address of the first A record of a response (the answer order is
// the rotation).
std::string first_a(const Bytes& m) {
  REQUIRE(answer_count(m) >= 1);
  std::size_t p = 12;
  while (m.at(p) != 0) p += 1 + m[p];  // the question's name
  p += 1 + 4;                          // its terminator, type and class
  p += (m.at(p) & 0xC0) == 0xC0 ? 2 : 0;  // the owner: a pointer to the question
  p += 10;                                // type, class, TTL, length
  char text[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, m.data() + p, text, sizeof text);
  return text;
}

std::string single_a(const Bytes& m) {
  REQUIRE(answer_count(m) == 1);
  char text[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, m.data() + m.size() - 4, text, sizeof text);
  return text;
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) { REQUIRE(fd_ >= 0); }
  ~Fd() { ::close(fd_); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

sockaddr_storage endpoint(const std::string& address, int port) {
  sockaddr_storage ss{};
  if (address.find(':') == std::string::npos) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(static_cast<std::uint16_t>(port));
    inet_pton(AF_INET, address.c_str(), &a->sin_addr);
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(static_cast<std::uint16_t>(port));
    inet_pton(AF_INET6, address.c_str(), &a->sin6_addr);
  }
  return ss;
}
socklen_t length_of(const sockaddr_storage& ss) {
  return ss.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
}

// Waits up to `timeout` for the socket to be readable.
bool readable(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) == 1;
}

class UdpClient {
 public:
  explicit UdpClient(const std::string& address, int port)
      : to_(endpoint(address, port)), fd_(::socket(to_.ss_family, SOCK_DGRAM, 0)) {
    int big = 1 << 20;
    ::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  }
  void send(const Bytes& m) {
    REQUIRE(::sendto(fd_.get(), m.data(), m.size(), 0, reinterpret_cast<const sockaddr*>(&to_), length_of(to_)) ==
            static_cast<ssize_t>(m.size()));
  }
  std::optional<Bytes> receive(std::chrono::milliseconds timeout = 2s) {
    if (!readable(fd_.get(), timeout)) return std::nullopt;
    Bytes b(4096);
    ssize_t n = ::recv(fd_.get(), b.data(), b.size(), 0);
    if (n < 0) return std::nullopt;
    b.resize(static_cast<std::size_t>(n));
    return b;
  }
  Bytes ask(const Bytes& m) {
    send(m);
    auto reply = receive();
    REQUIRE_MESSAGE(reply, "no UDP answer within 2 s");
    return *reply;
  }

 private:
  sockaddr_storage to_;
  Fd fd_;
};

class TcpClient {
 public:
  // `from`: the client's own address (any 127.x.y.z is ours on loopback),
  // so one test can be several clients.
  explicit TcpClient(const std::string& address, int port, const std::string& from = "")
      : fd_(connect_to(address, port, from)) {}
  void send(const Bytes& bytes) {
    REQUIRE(::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size()));
  }
  // Exactly n bytes, or nullopt when the server closed (or 2 s passed).
  std::optional<Bytes> read(std::size_t n, std::chrono::milliseconds timeout = 2s) {
    Bytes b(n);
    std::size_t got = 0;
    auto deadline = Clock::now() + timeout;
    while (got < n) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left <= 0ms || !readable(fd_.get(), left)) return std::nullopt;
      ssize_t r = ::recv(fd_.get(), b.data() + got, n - got, 0);
      if (r <= 0) return std::nullopt;
      got += static_cast<std::size_t>(r);
    }
    return b;
  }
  std::optional<Bytes> read_message(std::chrono::milliseconds timeout = 2s) {
    auto prefix = read(2, timeout);
    if (!prefix) return std::nullopt;
    return read(static_cast<std::size_t>(((*prefix)[0] << 8) | (*prefix)[1]), timeout);
  }
  Bytes ask(const Bytes& m) {
    send(framed(m));
    auto reply = read_message();
    REQUIRE_MESSAGE(reply, "no TCP answer within 2 s");
    return *reply;
  }
  int fd() const { return fd_.get(); }
  // True when the server closed the connection within `timeout` (EOF or
  // reset), false when it stayed open and silent.
  bool closed_within(std::chrono::milliseconds timeout) {
    if (!readable(fd_.get(), timeout)) return false;
    char c;
    ssize_t r = ::recv(fd_.get(), &c, 1, 0);
    return r == 0 || (r < 0 && errno == ECONNRESET);
  }

 private:
  static int connect_to(const std::string& address, int port, const std::string& from) {
    auto to = endpoint(address, port);
    int fd = ::socket(to.ss_family, SOCK_STREAM, 0);
    if (!from.empty()) {
      auto self = endpoint(from, 0);
      REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&self), length_of(self)) == 0);
    }
    REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&to), length_of(to)) == 0);
    return fd;
  }
  Fd fd_;
};

struct Server {
  explicit Server(ListenerSettings options,
                  const std::vector<std::pair<std::string, std::string>>& instances = {{"web1", "127.0.0.21"}})
      : answers(AnswerTable::compile(catalog_with(instances), 1)) {
    options.port = 0;
    auto bound = DnsServer::bind(options, answers, nullptr);
    REQUIRE_MESSAGE(bound, (bound ? "" : bound.error().message));
    server = std::move(*bound);
    server->start();
    port = server->udp_port();
  }
  AnswerPublisher answers;
  std::unique_ptr<DnsServer> server;
  int port = 0;
};

// A closed connection's slot is free only once the server has seen the
// close: connect (from `from`) again until a new connection is answered.
void served_again(int port, std::uint16_t id, const std::string& from = "") {
  const auto deadline = Clock::now() + 2s;
  for (;;) {
    TcpClient next("127.0.0.1", port, from);
    const Bytes f = framed(query(id));
    ::send(next.fd(), f.data(), f.size(), MSG_NOSIGNAL);  // may meet a reset
    if (auto reply = next.read_message(500ms)) {
      CHECK(id_of(*reply) == id);
      return;
    }
    REQUIRE_MESSAGE(Clock::now() < deadline, "no connection accepted (from " << from << ") after one closed");
  }
}

ListenerSettings options(std::vector<std::string> addresses = {"127.0.0.1"}, int workers = 2) {
  ListenerSettings o;
  o.addresses = std::move(addresses);
  o.workers = workers;
  return o;
}

bool ipv6_loopback_available() {
  int fd = ::socket(AF_INET6, SOCK_DGRAM, 0);
  if (fd < 0) return false;
  auto to = endpoint("::1", 0);
  bool ok = ::bind(fd, reinterpret_cast<const sockaddr*>(&to), length_of(to)) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

TEST_CASE("port 0: every worker and TCP share the port the first socket got") {
  Server s(options({"127.0.0.1"}, 3));
  CHECK(s.port > 0);
  CHECK(s.server->tcp_port() == s.port);
  CHECK(s.server->worker_count() == 3);
  CHECK(single_a(UdpClient("127.0.0.1", s.port).ask(query(1))) == "127.0.0.21");
  CHECK(single_a(TcpClient("127.0.0.1", s.port).ask(query(2))) == "127.0.0.21");
}

TEST_CASE("IPv4 and IPv6 listeners on one port answer their own clients") {
  if (!ipv6_loopback_available()) {
    MESSAGE("no ::1 here; IPv6 not tested");
    return;
  }
  Server s(options({"127.0.0.1", "::1"}));
  for (std::string address : {"127.0.0.1", "::1"}) {
    CAPTURE(address);
    CHECK(single_a(UdpClient(address, s.port).ask(query(3))) == "127.0.0.21");
    CHECK(single_a(TcpClient(address, s.port).ask(query(4))) == "127.0.0.21");
  }
}

TEST_CASE("a burst of UDP queries from many clients: every one answered, ids matched") {
  Server s(options({"127.0.0.1"}, 2));
  std::vector<std::unique_ptr<UdpClient>> clients;
  for (int c = 0; c < 6; ++c) clients.push_back(std::make_unique<UdpClient>("127.0.0.1", s.port));
  // More than one recvmmsg batch per socket, all sent before any is read.
  constexpr int per_client = 60;
  for (int i = 0; i < per_client; ++i)
    for (auto& c : clients) c->send(query(static_cast<std::uint16_t>(i)));
  for (auto& c : clients) {
    std::set<std::uint16_t> ids;
    while (ids.size() < per_client) {
      auto reply = c->receive();
      REQUIRE_MESSAGE(reply, "missing answers: got " << ids.size() << " of " << per_client);
      CHECK(rcode_of(*reply) == 0);
      ids.insert(id_of(*reply));
    }
    CHECK(*ids.rbegin() == per_client - 1);
  }
}

TEST_CASE("garbage datagrams get no answer and stop nothing") {
  Server s(options());
  UdpClient c("127.0.0.1", s.port);
  c.send({0x12});
  c.send(Bytes(11, 0xff));
  c.send(query(5, "web.service.consul", 0x81));  // a response: never answered (no loops between servers)
  c.send(Bytes(4096 + 100, 0x00));               // bigger than our buffer: cut, so dropped
  auto reply = c.ask(query(6));
  CHECK(id_of(reply) == 6);
  CHECK_FALSE(c.receive(100ms));
}

TEST_CASE("a published table is what the next query sees, over UDP and an open TCP connection") {
  Server s(options());
  UdpClient u("127.0.0.1", s.port);
  TcpClient t("127.0.0.1", s.port);
  CHECK(single_a(u.ask(query(7))) == "127.0.0.21");
  CHECK(single_a(t.ask(query(8))) == "127.0.0.21");
  s.answers.publish(AnswerTable::compile(catalog_with({{"web9", "127.0.0.99"}}), 2));
  // Two workers: the next UDP query may land on either, both must see it.
  for (int i = 0; i < 4; ++i) CHECK(single_a(UdpClient("127.0.0.1", s.port).ask(query(9))) == "127.0.0.99");
  CHECK(single_a(t.ask(query(10))) == "127.0.0.99");
}

TEST_CASE("TCP: the rotation moves from query to query, also for one query per connection") {
  // Most TCP clients (a resolver retrying after TC) send one query per
  // connection: a rotation kept per connection gave every one of them the
  // same first address.
  Server s(options(), {{"web1", "127.0.0.21"}, {"web2", "127.0.0.22"}, {"web3", "127.0.0.23"}});
  std::set<std::string> firsts;
  for (std::uint16_t i = 0; i < 6; ++i) firsts.insert(first_a(TcpClient("127.0.0.1", s.port).ask(query(30 + i))));
  CHECK(firsts == std::set<std::string>{"127.0.0.21", "127.0.0.22", "127.0.0.23"});
}

TEST_CASE("TCP: pipelined queries in one segment are all answered, in order") {
  Server s(options());
  TcpClient t("127.0.0.1", s.port);
  Bytes both = framed(query(11));
  Bytes second = framed(query(12, "nosuch.service.consul"));
  both.insert(both.end(), second.begin(), second.end());
  t.send(both);
  auto first = t.read_message();
  auto next = t.read_message();
  REQUIRE(first);
  REQUIRE(next);
  CHECK(id_of(*first) == 11);
  CHECK(rcode_of(*first) == 0);
  CHECK(id_of(*next) == 12);
  CHECK(rcode_of(*next) == 3);  // NXDOMAIN
}

TEST_CASE("TCP: 300 pipelined queries in one write, answers bigger than one batch: all, in order") {
  // 1500 instances: one A answer is ~24 KB, more than the 16 KiB batch.
  std::vector<std::pair<std::string, std::string>> many;
  for (int i = 0; i < 1500; ++i) many.emplace_back(fmt::format("w{}", i), fmt::format("127.1.{}.{}", i / 250, i % 250 + 1));
  Server s(options(), many);
  TcpClient t("127.0.0.1", s.port);
  Bytes all;
  for (std::uint16_t id = 0; id < 300; ++id) {
    Bytes f = framed(id % 50 == 7 ? query(id, "web.service.consul") : query(id, "nosuch.service.consul"));
    all.insert(all.end(), f.begin(), f.end());
  }
  t.send(all);
  for (std::uint16_t id = 0; id < 300; ++id) {
    auto reply = t.read_message();
    REQUIRE(reply);
    REQUIRE(id_of(*reply) == id);
    CHECK(answer_count(*reply) == (id % 50 == 7 ? 1500 : 0));
  }
}

TEST_CASE("TCP: the answers to queries before a bad frame arrive, then the connection closes") {
  Server s(options());
  TcpClient t("127.0.0.1", s.port);
  Bytes segment = framed(query(16));
  Bytes second = framed(query(17));
  segment.insert(segment.end(), second.begin(), second.end());
  segment.insert(segment.end(), {0x00, 0x05, 1, 2, 3, 4, 5});
  t.send(segment);
  auto a = t.read_message();
  auto b = t.read_message();
  REQUIRE(a);
  REQUIRE(b);
  CHECK(id_of(*a) == 16);
  CHECK(id_of(*b) == 17);
  CHECK(t.closed_within(2s));
}

TEST_CASE("TCP: a query arriving one byte at a time is answered") {
  Server s(options());
  TcpClient t("127.0.0.1", s.port);
  for (std::uint8_t byte : framed(query(13))) t.send({byte});
  auto reply = t.read_message();
  REQUIRE(reply);
  CHECK(id_of(*reply) == 13);
}

TEST_CASE("TCP: a bad length or a response closes that connection only") {
  Server s(options());
  TcpClient good("127.0.0.1", s.port);
  SUBCASE("length too short for a header") {
    TcpClient bad("127.0.0.1", s.port);
    bad.send({0x00, 0x05, 1, 2, 3, 4, 5});
    CHECK(bad.closed_within(2s));
  }
  SUBCASE("a message with QR=1") {
    TcpClient bad("127.0.0.1", s.port);
    bad.send(framed(query(14, "web.service.consul", 0x81)));
    CHECK(bad.closed_within(2s));
  }
  CHECK(id_of(good.ask(query(15))) == 15);
}

TEST_CASE("TCP: an idle connection is closed after tcp_idle_timeout; an active one stays") {
  auto o = options();
  o.tcp_idle_timeout = 300ms;
  Server s(o);
  TcpClient idle("127.0.0.1", s.port);
  TcpClient active("127.0.0.1", s.port);
  // The active client keeps asking for longer than the timeout.
  for (int i = 0; i < 5; ++i) {
    std::this_thread::sleep_for(100ms);
    CHECK(id_of(active.ask(query(static_cast<std::uint16_t>(20 + i)))) == 20 + i);
    if (i == 0) CHECK_FALSE(idle.closed_within(0ms));  // ~100ms in: not yet
  }
  CHECK(idle.closed_within(2s));
  CHECK(id_of(active.ask(query(30))) == 30);
}

TEST_CASE("TCP: the idle timeout also ends a connection that sent half a message") {
  auto o = options();
  o.tcp_idle_timeout = 150ms;
  Server s(o);
  TcpClient t("127.0.0.1", s.port);
  Bytes half = framed(query(31));
  half.resize(half.size() / 2);
  t.send(half);
  CHECK(t.closed_within(2s));
}

TEST_CASE("TCP: a client trickling a query is closed once tcp_idle_timeout has passed since it began") {
  // Slowloris: a byte every 200 ms, far apart enough that each arrives on
  // its own read, would finish this query only after ~8 s. The whole query
  // must arrive within the timeout, however many bytes keep coming.
  auto o = options();
  o.tcp_idle_timeout = 1s;
  Server s(o);
  TcpClient normal("127.0.0.1", s.port);
  TcpClient slow("127.0.0.1", s.port);
  const Bytes trickle = framed(query(32));
  const auto began = Clock::now();
  std::optional<Clock::duration> closed_after;
  for (std::size_t i = 0; i < trickle.size() && !closed_after; ++i) {
    // The server may close between two bytes: a send then fails, and the
    // next poll sees the close.
    ::send(slow.fd(), &trickle[i], 1, MSG_NOSIGNAL);
    if (slow.closed_within(200ms)) closed_after = Clock::now() - began;
    if (i % 3 == 0) CHECK(id_of(normal.ask(query(static_cast<std::uint16_t>(100 + i)))) == 100 + i);
    if (Clock::now() - began > 3s) break;
  }
  REQUIRE_MESSAGE(closed_after, "the trickling connection was still open after 3 s (tcp_idle_timeout 1s)");
  // Not before the timeout (so it is the timeout that closed it), and not
  // much after: 1 s plus a scheduling slack under the sanitizers.
  CHECK(*closed_after > 800ms);
  CHECK(*closed_after < 1600ms);
  CHECK(id_of(normal.ask(query(200))) == 200);
}

TEST_CASE("TCP: a connection that sent whole queries gets a fresh tcp_idle_timeout for the next one") {
  auto o = options();
  o.tcp_idle_timeout = 800ms;
  Server s(o);
  TcpClient t("127.0.0.1", s.port);
  // Each query is sent as two halves 200 ms apart, 200 ms after the previous
  // answer, for ~1.2 s: every query fits in the timeout, the connection
  // outlives it.
  for (std::uint16_t id = 33; id < 36; ++id) {
    Bytes f = framed(query(id));
    t.send(Bytes(f.begin(), f.begin() + 5));
    CHECK_FALSE(t.closed_within(200ms));
    t.send(Bytes(f.begin() + 5, f.end()));
    auto reply = t.read_message();
    REQUIRE(reply);
    CHECK(id_of(*reply) == id);
    CHECK_FALSE(t.closed_within(200ms));
  }
}

TEST_CASE("TCP: over tcp_max_connections_per_client that address is refused, others are served") {
  auto o = options();
  o.tcp_max_connections_per_client = 2;
  Server s(o);
  auto first = std::make_unique<TcpClient>("127.0.0.1", s.port, "127.0.0.1");
  TcpClient second("127.0.0.1", s.port, "127.0.0.1");
  // A round trip each: both are accepted and counted before the third.
  CHECK(id_of(first->ask(query(70))) == 70);
  CHECK(id_of(second.ask(query(71))) == 71);
  TcpClient third("127.0.0.1", s.port, "127.0.0.1");
  CHECK(third.closed_within(2s));
  TcpClient other("127.0.0.1", s.port, "127.0.0.2");
  CHECK(id_of(other.ask(query(72))) == 72);
  CHECK(id_of(second.ask(query(73))) == 73);

  first.reset();  // gives 127.0.0.1 a slot back
  served_again(s.port, 74, "127.0.0.1");
}

TEST_CASE("TCP: over tcp_max_connections a new connection is closed at once, and accepted again later") {
  auto o = options();
  o.tcp_max_connections = 2;
  Server s(o);
  auto first = std::make_unique<TcpClient>("127.0.0.1", s.port);
  TcpClient second("127.0.0.1", s.port);
  // A round trip each: both are accepted and counted before the third.
  CHECK(id_of(first->ask(query(40))) == 40);
  CHECK(id_of(second.ask(query(41))) == 41);
  TcpClient third("127.0.0.1", s.port);
  CHECK(third.closed_within(2s));

  first.reset();  // frees a slot
  served_again(s.port, 42);
}

TEST_CASE("stopping with open connections and queued datagrams ends cleanly") {
  auto s = std::make_unique<Server>(options());
  TcpClient open("127.0.0.1", s->port);
  TcpClient half("127.0.0.1", s->port);
  half.send({0x00, 0x40, 0x12});
  CHECK(id_of(open.ask(query(50))) == 50);
  UdpClient u("127.0.0.1", s->port);
  for (int i = 0; i < 10; ++i) u.send(query(51));
  s.reset();  // joins every thread; ASan reports anything left behind
  CHECK(open.closed_within(2s));
}

TEST_CASE("bind errors say what to do") {
  AnswerPublisher answers(AnswerTable::compile(catalog_with({}), 1));
  SUBCASE("a port taken over TCP") {
    Fd taken(::socket(AF_INET, SOCK_STREAM, 0));
    auto any = endpoint("127.0.0.1", 0);
    REQUIRE(::bind(taken.get(), reinterpret_cast<sockaddr*>(&any), length_of(any)) == 0);
    REQUIRE(::listen(taken.get(), 1) == 0);
    socklen_t len = sizeof any;
    ::getsockname(taken.get(), reinterpret_cast<sockaddr*>(&any), &len);
    auto o = options();
    o.port = ntohs(reinterpret_cast<sockaddr_in*>(&any)->sin_port);
    auto bound = DnsServer::bind(o, answers, nullptr);
    REQUIRE_FALSE(bound);
    CHECK(bound.error().message.find("address in use") != std::string::npos);
    CHECK(bound.error().message.find("change ports.dns") != std::string::npos);
    CHECK(bound.error().message.find("127.0.0.1:" + std::to_string(o.port) + "/tcp") != std::string::npos);
  }
  SUBCASE("a port taken over UDP by a program without SO_REUSEPORT") {
    Fd taken(::socket(AF_INET, SOCK_DGRAM, 0));
    auto any = endpoint("127.0.0.1", 0);
    REQUIRE(::bind(taken.get(), reinterpret_cast<sockaddr*>(&any), length_of(any)) == 0);
    socklen_t len = sizeof any;
    ::getsockname(taken.get(), reinterpret_cast<sockaddr*>(&any), &len);
    auto o = options();
    o.port = ntohs(reinterpret_cast<sockaddr_in*>(&any)->sin_port);
    auto bound = DnsServer::bind(o, answers, nullptr);
    REQUIRE_FALSE(bound);
    CHECK(bound.error().message.find("address in use") != std::string::npos);
    CHECK(bound.error().message.find("/udp") != std::string::npos);
  }
  SUBCASE("a port another failoverdns serves: refused on TCP; the first keeps every query") {
    Server first(options());
    auto o = options();
    o.port = first.port;
    auto bound = DnsServer::bind(o, answers, nullptr);
    REQUIRE_FALSE(bound);
    CHECK(bound.error().message.find("127.0.0.1:" + std::to_string(o.port) + "/tcp: address in use") !=
          std::string::npos);
    UdpClient u("127.0.0.1", first.port);
    for (std::uint16_t id = 60; id < 70; ++id) CHECK(single_a(u.ask(query(id))) == "127.0.0.21");
  }
  SUBCASE("not an address") {
    auto bound = DnsServer::bind(options({"localhost"}), answers, nullptr);
    REQUIRE_FALSE(bound);
    CHECK(bound.error().message == "addresses.dns: \"localhost\" is not an IP address");
  }
  SUBCASE("an address no interface has") {
    auto bound = DnsServer::bind(options({"192.0.2.1"}), answers, nullptr);
    REQUIRE_FALSE(bound);
    CHECK(bound.error().message.find("check addresses.dns") != std::string::npos);
  }
  SUBCASE("no address at all") {
    auto bound = DnsServer::bind(options({}), answers, nullptr);
    REQUIRE_FALSE(bound);
    CHECK(bound.error().message.find("addresses.dns is empty") != std::string::npos);
  }
}

TEST_CASE("a privileged port without the capability: the message names CAP_NET_BIND_SERVICE") {
  int start = 1024;
  std::ifstream("/proc/sys/net/ipv4/ip_unprivileged_port_start") >> start;
  if (start <= 53) {
    MESSAGE("port 53 is unprivileged on this host; not tested");
    return;
  }
  // In a child, so dropping the capability does not outlive this test.
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (::syscall(SYS_capget, &header, data) != 0) ::_exit(3);
    data[CAP_NET_BIND_SERVICE / 32].effective &= ~(1u << (CAP_NET_BIND_SERVICE % 32));
    if (::syscall(SYS_capset, &header, data) != 0) ::_exit(3);
    AnswerPublisher answers(AnswerTable::compile(catalog_with({}), 1));
    auto o = options();
    o.port = 53;
    auto bound = DnsServer::bind(o, answers, nullptr);
    ::_exit(!bound && bound.error().message.find("needs root or CAP_NET_BIND_SERVICE") != std::string::npos ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 3) {
    MESSAGE("cannot change capabilities here; not tested");
    return;
  }
  CHECK(WEXITSTATUS(status) == 0);
}
