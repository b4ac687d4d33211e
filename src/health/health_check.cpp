#include "failoverdns/health/health_check.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "failoverdns/mariadb/mariadb_connection.hpp"
#include "failoverdns/support/asio.hpp"

extern char** environ;

namespace failoverdns {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t max_output = 4096;

// Waits for a process to exit without blocking the io_context: a pidfd
// (Linux 5.3+) becomes readable at exit; older kernels fall back to polling
// waitpid. Returns the wait status, or nullopt if `deadline` came first.
asio::awaitable<std::optional<int>> wait_exit(asio::any_io_executor executor, pid_t pid, Clock::time_point deadline) {
  int status = 0;
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0) {
    asio::posix::stream_descriptor exit_signal(executor, pidfd);
    OperationDeadline guard(executor, deadline, [&exit_signal] { exit_signal.cancel(); });
    boost::system::error_code ec;
    co_await exit_signal.async_wait(asio::posix::stream_descriptor::wait_read,
                                    asio::redirect_error(asio::use_awaitable, ec));
  }
  asio::steady_timer poll(executor);
  for (;;) {
    if (::waitpid(pid, &status, WNOHANG) == pid) co_return status;
    if (Clock::now() >= deadline) co_return std::nullopt;
    poll.expires_after(std::chrono::milliseconds(20));
    boost::system::error_code ec;
    co_await poll.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

// What a running check writes to stdout/stderr. The pipe is drained as the
// check writes, keeping the first max_output bytes and dropping the rest, so
// a chatty check never blocks on a full pipe (which would look like a hang).
struct CheckOutput {
  explicit CheckOutput(asio::posix::stream_descriptor read_end) : pipe(std::move(read_end)) {}
  asio::posix::stream_descriptor pipe;
  std::string text;
  bool done = false;

  // Reads what is there now, without waiting; false at end of file. Bounded,
  // so a check that writes without pause cannot hold the io_context.
  bool drain() {
    char chunk[4096];
    for (int round = 0; round < 16; ++round) {
      ssize_t n = ::read(pipe.native_handle(), chunk, sizeof chunk);
      if (n == 0) return false;
      if (n < 0) return errno == EAGAIN || errno == EINTR;
      text.append(chunk, std::min(static_cast<std::size_t>(n), max_output - text.size()));
    }
    return true;
  }
};

// Each wake-up drains whole: no read is in flight when the check ends, so the
// final drain in run_script keeps the output in order.
asio::awaitable<void> collect(std::shared_ptr<CheckOutput> out) {
  while (!out->done) {
    boost::system::error_code ec;
    co_await out->pipe.async_wait(asio::posix::stream_descriptor::wait_read,
                                  asio::redirect_error(asio::use_awaitable, ec));
    if (out->done || ec || !out->drain()) co_return;
  }
}

asio::awaitable<CheckResult> run_script(asio::any_io_executor executor, const CheckDefinition& check) {
  if (check.args.empty()) co_return CheckResult{Health::critical, "no command"};
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) co_return CheckResult{Health::critical, "cannot create a pipe"};

  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&files, out[1], 1);
  posix_spawn_file_actions_adddup2(&files, out[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group, so a timeout kills everything the script started;
  // default signal dispositions, since the daemon ignores SIGPIPE.
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::vector<char*> argv;
  for (const auto& a : check.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  int spawned = ::posix_spawnp(&pid, argv[0], &files, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&files);
  posix_spawnattr_destroy(&attr);
  ::close(out[1]);
  if (spawned != 0) {
    ::close(out[0]);
    co_return CheckResult{Health::critical, fmt::format("cannot run {}: {}", check.args[0], std::strerror(spawned))};
  }
  ::fcntl(out[0], F_SETFL, O_NONBLOCK);
  auto output = std::make_shared<CheckOutput>(asio::posix::stream_descriptor(executor, out[0]));
  asio::co_spawn(executor, collect(output), fail_loudly("collect check output"));

  auto status = co_await wait_exit(executor, pid, Clock::now() + check.timeout);
  bool timed_out = !status;
  if (timed_out) {
    ::kill(-pid, SIGKILL);
    status = co_await wait_exit(executor, pid, Clock::now() + std::chrono::seconds(5));
  }
  // Not waiting for end of file: something the script left running in the
  // background may hold the pipe open for as long as it likes.
  output->done = true;
  output->drain();
  boost::system::error_code ignored;
  output->pipe.close(ignored);
  std::string text = std::move(output->text);

  if (timed_out) {
    auto said = text.empty() ? "" : "; it said: " + text;
    auto message = fmt::format("timed out after {}, killed{}", format_duration(check.timeout), said);
    co_return CheckResult{Health::critical, std::move(message)};
  }
  if (!status || !WIFEXITED(*status))
    co_return CheckResult{Health::critical, text.empty() ? "killed by a signal" : text};
  int code = WEXITSTATUS(*status);
  // Consul's meaning of exit codes.
  co_return CheckResult{code == 0 ? Health::passing : code == 1 ? Health::warning : Health::critical, text};
}

asio::awaitable<CheckResult> run_tcp(asio::any_io_executor executor, const CheckDefinition& check) {
  auto colon = check.tcp.rfind(':');
  boost::system::error_code ec;
  std::string host = colon == std::string::npos ? check.tcp : check.tcp.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  auto address = asio::ip::make_address(host, ec);
  if (ec || colon == std::string::npos)
    co_return CheckResult{Health::critical, fmt::format("tcp check needs ip:port, got \"{}\"", check.tcp)};
  auto port = static_cast<unsigned short>(std::strtoul(check.tcp.c_str() + colon + 1, nullptr, 10));
  asio::ip::tcp::socket socket(executor);
  {
    OperationDeadline guard(executor, Clock::now() + check.timeout, [&socket] {
      boost::system::error_code ignored;
      socket.close(ignored);
    });
    co_await socket.async_connect({address, port}, asio::redirect_error(asio::use_awaitable, ec));
  }
  if (ec) co_return CheckResult{Health::critical, fmt::format("connect to {}: {}", check.tcp, ec.message())};
  co_return CheckResult{Health::passing, fmt::format("connected to {}", check.tcp)};
}

asio::awaitable<CheckResult> run_mariadb(asio::any_io_executor executor, const CheckDefinition& check,
                                         const std::string& address, std::uint16_t port) {
  // No credentials needed: a server that answers the handshake, even with
  // "access denied", is alive. Client-side errors (2000+) mean it is not.
  MariadbEndpoint endpoint{address, port ? port : std::uint16_t{3306}, "failoverdns-health-check", ""};
  auto connection = co_await MariadbConnection::connect(executor, endpoint, Clock::now() + check.timeout);
  if (connection) co_return CheckResult{Health::passing, "connected"};
  int code = connection.error().code;
  if (code > 0 && code < 2000) co_return CheckResult{Health::passing, "server answered: " + connection.error().message};
  co_return CheckResult{Health::critical, connection.error().message};
}

}  // namespace

asio::awaitable<CheckResult> run_check(asio::any_io_executor executor, CheckDefinition check, std::string address,
                                       std::uint16_t port) {
  switch (check.kind) {
    case CheckKind::script: co_return co_await run_script(executor, check);
    case CheckKind::tcp: co_return co_await run_tcp(executor, check);
    case CheckKind::mariadb: co_return co_await run_mariadb(executor, check, address, port);
  }
  co_return CheckResult{Health::critical, "unknown check kind"};
}

Hysteresis::Hysteresis(int success_before_passing, int failures_before_critical)
    : success_before_passing_(std::max(1, success_before_passing)),
      failures_before_critical_(std::max(1, failures_before_critical)) {}

Health Hysteresis::update(Health result) {
  if (first_) {
    first_ = false;
    current_ = result;
    return current_;
  }
  if (result == Health::passing) {
    ++successes_;
    failures_ = 0;
    if (successes_ >= success_before_passing_) current_ = Health::passing;
  } else {
    ++failures_;
    successes_ = 0;
    if (failures_ >= failures_before_critical_) current_ = result;
  }
  return current_;
}

}  // namespace failoverdns
