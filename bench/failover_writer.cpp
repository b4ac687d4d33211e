// The application side of bench/failover: an INSERT loop that finds the
// primary the way an application does, by name, through failoverdns, and
// records what the server acknowledged; and a DNS watcher that records when
// the answer for that name changes. Both print one event per line with
// wall-clock microseconds so the driver can line them up with the moment it
// injected a fault.
//
// Built by bench/failover itself (g++ and libmariadb, already needed by the
// daemon), so the benchmark adds no package and no target to the build.
//
//   failover_writer write --dns 127.0.0.1:PORT --name N --user U
//                         --password-file F --database D --tag T [--rate R]
//   failover_writer watch --dns 127.0.0.1:PORT --name N [--every-ms 50]
//
// write prints:  resolve T ANSWER            (every (re)connect)
//                connect T ADDR ok|fail ERRNO MESSAGE
//                ack SEQ T ADDR GTID         (the server's OK was received)
//                fail SEQ T ADDR ERRNO MESSAGE (outcome unknown: not acked)
// watch prints:  dns T ANSWER                (first answer, then each change)
// ANSWER is a comma-separated address list, or NXDOMAIN, SERVFAIL, ...,
// timeout. Both run until SIGINT or SIGTERM.
#include <arpa/inet.h>
#include <mysql.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

volatile std::sig_atomic_t stopping = 0;
void on_signal(int) { stopping = 1; }

long long now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

[[noreturn]] void usage_error(const std::string& why) {
  std::fprintf(stderr,
               "failover_writer: %s\n"
               "usage: failover_writer write --dns HOST:PORT --name NAME --user U --password-file F "
               "--database D --tag T [--rate PER_SECOND]\n"
               "       failover_writer watch --dns HOST:PORT --name NAME [--every-ms MS]\n",
               why.c_str());
  std::exit(2);
}

// One line per event; flushed so the driver sees it while the run goes on.
template <typename... A>
void emit(const char* fmt, A... args) {
  std::printf(fmt, args...);
  std::putchar('\n');
  std::fflush(stdout);
}

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  return s;
}

// ---------------------------------------------------------------- DNS

struct DnsServer {
  sockaddr_in addr{};
};

DnsServer parse_server(const std::string& spec) {
  auto colon = spec.rfind(':');
  if (colon == std::string::npos) usage_error("--dns wants HOST:PORT, got '" + spec + "'");
  DnsServer s;
  s.addr.sin_family = AF_INET;
  s.addr.sin_port = htons(static_cast<uint16_t>(std::atoi(spec.c_str() + colon + 1)));
  if (inet_pton(AF_INET, spec.substr(0, colon).c_str(), &s.addr.sin_addr) != 1)
    usage_error("--dns wants an IPv4 address, got '" + spec + "'");
  return s;
}

// Skips a possibly compressed name; returns the offset after it or 0.
size_t skip_name(const uint8_t* p, size_t n, size_t off) {
  while (off < n) {
    uint8_t len = p[off];
    if ((len & 0xC0) == 0xC0) return off + 2 <= n ? off + 2 : 0;
    if (len == 0) return off + 1;
    off += 1 + len;
  }
  return 0;
}

// An A query answered within timeout_ms: "a,b", an RCODE name, or timeout.
std::string resolve(const DnsServer& server, const std::string& name, int timeout_ms) {
  static std::mt19937 rng{std::random_device{}()};
  uint16_t id = static_cast<uint16_t>(rng());
  std::vector<uint8_t> q = {static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    if (dot > start) {
      q.push_back(static_cast<uint8_t>(dot - start));
      q.insert(q.end(), name.begin() + static_cast<long>(start), name.begin() + static_cast<long>(dot));
    }
    start = dot + 1;
  }
  q.insert(q.end(), {0, 0, 1, 0, 1});  // root, type A, class IN

  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "error";
  std::string result = "timeout";
  if (connect(fd, reinterpret_cast<const sockaddr*>(&server.addr), sizeof server.addr) == 0 &&
      send(fd, q.data(), q.size(), 0) == static_cast<ssize_t>(q.size())) {
    long long deadline = now_us() + timeout_ms * 1000LL;
    for (;;) {
      long long left = (deadline - now_us()) / 1000;
      if (left <= 0) break;
      pollfd pfd{fd, POLLIN, 0};
      int ready = poll(&pfd, 1, static_cast<int>(left));
      if (ready < 0 && errno == EINTR && !stopping) continue;
      if (ready <= 0) break;
      uint8_t buf[1500];
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n < 12) {
        if (n < 0 && errno == ECONNREFUSED) { result = "refused"; break; }
        continue;
      }
      if (((buf[0] << 8) | buf[1]) != id) continue;  // a late answer to an old query
      static const char* rcodes[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"};
      int rcode = buf[3] & 0x0F;
      if (rcode != 0) {
        result = rcode < 6 ? rcodes[rcode] : "RCODE" + std::to_string(rcode);
        break;
      }
      size_t len = static_cast<size_t>(n);
      int qd = (buf[4] << 8) | buf[5], an = (buf[6] << 8) | buf[7];
      size_t off = 12;
      for (int i = 0; i < qd && off; ++i) off = skip_name(buf, len, off) ? skip_name(buf, len, off) + 4 : 0;
      std::string addrs;
      for (int i = 0; i < an && off; ++i) {
        off = skip_name(buf, len, off);
        if (!off || off + 10 > len) break;
        int type = (buf[off] << 8) | buf[off + 1];
        size_t rdlen = static_cast<size_t>((buf[off + 8] << 8) | buf[off + 9]);
        off += 10;
        if (off + rdlen > len) break;
        if (type == 1 && rdlen == 4) {
          char text[INET_ADDRSTRLEN];
          inet_ntop(AF_INET, buf + off, text, sizeof text);
          if (!addrs.empty()) addrs += ',';
          addrs += text;
        }
        off += rdlen;
      }
      result = addrs.empty() ? "NODATA" : addrs;
      break;
    }
  }
  close(fd);
  return result;
}

// ---------------------------------------------------------------- options

std::map<std::string, std::string> parse_options(int argc, char** argv, int first) {
  std::map<std::string, std::string> o;
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (!a.starts_with("--") || i + 1 >= argc) usage_error("bad argument '" + a + "'");
    o[a.substr(2)] = argv[++i];
  }
  return o;
}

std::string need(std::map<std::string, std::string>& o, const std::string& key) {
  auto it = o.find(key);
  if (it == o.end()) usage_error("--" + key + " is required");
  return it->second;
}

// ---------------------------------------------------------------- watch

int watch(std::map<std::string, std::string> o) {
  DnsServer server = parse_server(need(o, "dns"));
  std::string name = need(o, "name");
  int every_ms = o.count("every-ms") ? std::atoi(o["every-ms"].c_str()) : 50;
  std::string last;
  while (!stopping) {
    long long t0 = now_us();
    std::string answer = resolve(server, name, every_ms);
    if (answer != last) {
      // The send time: the answer was true at some point after it.
      emit("dns %lld %s", t0, answer.c_str());
      last = answer;
    }
    long long sleep_us = t0 + every_ms * 1000LL - now_us();
    if (sleep_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
  }
  return 0;
}

// ---------------------------------------------------------------- write

// The GTID the server reports for the last transaction through session
// state tracking (no extra round trip); empty when the server sent none.
std::string tracked_gtid(MYSQL* db) {
  const char* data;
  size_t len;
  bool is_name = true, want = false;
  if (mysql_session_track_get_first(db, SESSION_TRACK_SYSTEM_VARIABLES, &data, &len) != 0) return "";
  do {
    std::string s(data, len);
    if (is_name) {
      want = s == "last_gtid";
    } else if (want) {
      return s;
    }
    is_name = !is_name;
  } while (mysql_session_track_get_next(db, SESSION_TRACK_SYSTEM_VARIABLES, &data, &len) == 0);
  return "";
}

int write(std::map<std::string, std::string> o) {
  DnsServer server = parse_server(need(o, "dns"));
  std::string name = need(o, "name"), user = need(o, "user"), database = need(o, "database"),
              tag = need(o, "tag");
  std::string password;
  {
    std::ifstream f(need(o, "password-file"));
    if (!std::getline(f, password)) usage_error("cannot read --password-file");
  }
  double rate = o.count("rate") ? std::atof(o["rate"].c_str()) : 200;
  unsigned timeout_s = o.count("timeout") ? static_cast<unsigned>(std::atoi(o["timeout"].c_str())) : 1;
  long long period_us = rate > 0 ? static_cast<long long>(1e6 / rate) : 0;
  // An application retries a failed connect after a short pause, not in a
  // tight loop.
  constexpr auto retry_pause = std::chrono::milliseconds(100);

  MYSQL* db = nullptr;
  std::string addr;
  long long seq = 0, next_at = now_us();
  while (!stopping) {
    if (!db) {
      addr = resolve(server, name, static_cast<int>(timeout_s * 1000));
      emit("resolve %lld %s", now_us(), addr.c_str());
      // The first address, as getaddrinfo's first result would be used.
      if (auto comma = addr.find(','); comma != std::string::npos) addr.resize(comma);
      if (addr.empty() || !std::isdigit(static_cast<unsigned char>(addr[0]))) {
        std::this_thread::sleep_for(retry_pause);
        continue;
      }
      db = mysql_init(nullptr);
      mysql_options(db, MYSQL_OPT_CONNECT_TIMEOUT, &timeout_s);
      mysql_options(db, MYSQL_OPT_READ_TIMEOUT, &timeout_s);
      mysql_options(db, MYSQL_OPT_WRITE_TIMEOUT, &timeout_s);
      if (!mysql_real_connect(db, addr.c_str(), user.c_str(), password.c_str(), database.c_str(), 3306, nullptr, 0) ||
          mysql_query(db, "SET SESSION session_track_system_variables = 'last_gtid'") != 0) {
        emit("connect %lld %s fail %u %s", now_us(), addr.c_str(), mysql_errno(db), one_line(mysql_error(db)).c_str());
        mysql_close(db);
        db = nullptr;
        std::this_thread::sleep_for(retry_pause);
        continue;
      }
      emit("connect %lld %s ok", now_us(), addr.c_str());
    }
    if (period_us > 0) {
      long long wait = next_at - now_us();
      if (wait > 0) std::this_thread::sleep_for(std::chrono::microseconds(wait));
      // After a stall, carry on at the rate rather than bursting to catch up.
      next_at = std::max(next_at + period_us, now_us());
    }
    ++seq;
    std::string sql = "INSERT INTO t (v) VALUES ('" + tag + "-seq-" + std::to_string(seq) + "')";
    if (mysql_real_query(db, sql.c_str(), sql.size()) == 0) {
      std::string gtid = tracked_gtid(db);
      emit("ack %lld %lld %s %s", seq, now_us(), addr.c_str(), gtid.empty() ? "-" : gtid.c_str());
    } else {
      // Timeout, lost connection, read-only (a fenced old primary): the
      // outcome is unknown, and the application starts over by name.
      emit("fail %lld %lld %s %u %s", seq, now_us(), addr.c_str(), mysql_errno(db),
           one_line(mysql_error(db)).c_str());
      mysql_close(db);
      db = nullptr;
    }
  }
  if (db) mysql_close(db);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) usage_error("no mode given");
  struct sigaction sa{};
  sa.sa_handler = on_signal;  // no SA_RESTART: blocking calls return at once
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  mysql_library_init(0, nullptr, nullptr);
  std::string mode = argv[1];
  int rc = mode == "write" ? write(parse_options(argc, argv, 2))
           : mode == "watch" ? watch(parse_options(argc, argv, 2))
                             : (usage_error("unknown mode '" + mode + "'"), 2);
  mysql_library_end();
  return rc;
}
