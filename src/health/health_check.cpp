#include "failoverdns/health/health_check.hpp"

#include <algorithm>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "failoverdns/health/child_process.hpp"
#include "failoverdns/mariadb/mariadb_connection.hpp"
#include "failoverdns/support/asio.hpp"

namespace failoverdns {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

asio::awaitable<CheckResult> run_script(asio::any_io_executor executor, const CheckDefinition& check) {
  if (check.args.empty()) co_return CheckResult{Health::critical, "no command"};
  ChildOutcome ran = co_await run_child(executor, check.args, {}, check.timeout);
  if (!ran.spawn_error.empty()) co_return CheckResult{Health::critical, std::move(ran.spawn_error)};
  std::string text = std::move(ran.output);
  if (ran.timed_out) {
    auto said = text.empty() ? "" : "; it said: " + text;
    auto message = fmt::format("timed out after {}, killed{}", format_duration(check.timeout), said);
    co_return CheckResult{Health::critical, std::move(message)};
  }
  if (!ran.exit_code) co_return CheckResult{Health::critical, text.empty() ? "killed by a signal" : text};
  int code = *ran.exit_code;
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
