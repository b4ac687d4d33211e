#include "failoverdns/health/child_process.hpp"

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
#include <string_view>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

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

// What a running child writes to stdout/stderr. The pipe is drained as the
// child writes, keeping the first max_output bytes and dropping the rest, so
// a chatty child never blocks on a full pipe (which would look like a hang).
struct ChildOutput {
  explicit ChildOutput(asio::posix::stream_descriptor read_end) : pipe(std::move(read_end)) {}
  asio::posix::stream_descriptor pipe;
  std::string text;
  bool done = false;

  // Reads what is there now, without waiting; false at end of file. Bounded,
  // so a child that writes without pause cannot hold the io_context.
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

// Each wake-up drains whole: no read is in flight when the child ends, so the
// final drain in run_child keeps the output in order.
asio::awaitable<void> collect(std::shared_ptr<ChildOutput> out) {
  while (!out->done) {
    boost::system::error_code ec;
    co_await out->pipe.async_wait(asio::posix::stream_descriptor::wait_read,
                                  asio::redirect_error(asio::use_awaitable, ec));
    if (out->done || ec || !out->drain()) co_return;
  }
}

std::string_view name_of(std::string_view assignment) { return assignment.substr(0, assignment.find('=')); }

}  // namespace

asio::awaitable<ChildOutcome> run_child(asio::any_io_executor executor, std::vector<std::string> args,
                                        std::vector<std::string> environment, Milliseconds timeout) {
  ChildOutcome outcome;
  if (args.empty()) {
    outcome.spawn_error = "no command";
    co_return outcome;
  }
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    outcome.spawn_error = fmt::format("cannot create a pipe: {}", std::strerror(errno));
    co_return outcome;
  }

  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&files, out[1], 1);
  posix_spawn_file_actions_adddup2(&files, out[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group, so a timeout kills everything the child started;
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
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (char** e = environ; e && *e; ++e) {
    bool replaced = std::ranges::any_of(environment, [&](const std::string& mine) { return name_of(mine) == name_of(*e); });
    if (!replaced) envp.push_back(*e);
  }
  for (auto& e : environment) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  int spawned = ::posix_spawnp(&pid, argv[0], &files, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&files);
  posix_spawnattr_destroy(&attr);
  ::close(out[1]);
  if (spawned != 0) {
    ::close(out[0]);
    outcome.spawn_error = fmt::format("cannot run {}: {}", args[0], std::strerror(spawned));
    co_return outcome;
  }
  ::fcntl(out[0], F_SETFL, O_NONBLOCK);
  auto output = std::make_shared<ChildOutput>(asio::posix::stream_descriptor(executor, out[0]));
  asio::co_spawn(executor, collect(output), fail_loudly("collect child output"));

  auto status = co_await wait_exit(executor, pid, Clock::now() + timeout);
  if (!status) {
    outcome.timed_out = true;
    ::kill(-pid, SIGKILL);
    status = co_await wait_exit(executor, pid, Clock::now() + std::chrono::seconds(5));
  }
  // Not waiting for end of file: something the child left running in the
  // background may hold the pipe open for as long as it likes.
  output->done = true;
  output->drain();
  boost::system::error_code ignored;
  output->pipe.close(ignored);
  outcome.output = std::move(output->text);
  if (status && WIFEXITED(*status)) outcome.exit_code = WEXITSTATUS(*status);
  else if (status && WIFSIGNALED(*status)) outcome.signal = WTERMSIG(*status);
  co_return outcome;
}

}  // namespace failoverdns
