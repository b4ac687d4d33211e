#include "failoverdns/mariadb_connection.hpp"

#include <poll.h>

#include <sys/socket.h>

#include <mysql.h>

#include <memory>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

namespace failoverdns {
namespace asio = boost::asio;
using Deadline = MariadbConnection::Deadline;

struct MariadbConnection::Handle {
  MYSQL mysql;
  bool initialised = false;

  ~Handle() {
    if (!initialised) return;
    // mysql_close would send COM_QUIT; with the socket shut down first that
    // write fails at once instead of waiting on a frozen server.
    if (int fd = static_cast<int>(mysql_get_socket(&mysql)); fd >= 0) ::shutdown(fd, SHUT_RDWR);
    mysql_close(&mysql);
  }
};

namespace {

// Waits until libmariadb's socket is ready as `status` asks, or the deadline.
// Returns the MYSQL_WAIT_* bits that happened, or 0 when the deadline passed.
asio::awaitable<int> wait_socket(MYSQL* mysql, int status, Deadline deadline) {
  auto executor = co_await asio::this_coro::executor;
  Deadline until = deadline;
  if (status & MYSQL_WAIT_TIMEOUT) {
    // libmariadb's own timeout (connect/read timeouts) counts too.
    until = std::min(until, std::chrono::steady_clock::now() +
                                std::chrono::milliseconds(mysql_get_timeout_value_ms(mysql)));
  }
  const int fd = static_cast<int>(mysql_get_socket(mysql));
  if (fd < 0 || !(status & (MYSQL_WAIT_READ | MYSQL_WAIT_WRITE))) {
    asio::steady_timer timer(executor, until);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    co_return std::chrono::steady_clock::now() >= deadline ? 0 : MYSQL_WAIT_TIMEOUT;
  }
  // The descriptor belongs to libmariadb: register it for this one wait and
  // release it after, so libmariadb stays free to close it.
  asio::posix::stream_descriptor socket(executor, fd);
  asio::steady_timer timer(executor, until);
  // The timer's handler may already be queued when the wait completes; it
  // must then touch nothing of this frame, which is gone by the time it runs.
  struct Race {
    bool open = true;
    bool timed_out = false;
  };
  auto race = std::make_shared<Race>();
  timer.async_wait([race, &socket](const boost::system::error_code& ec) {
    if (ec || !race->open) return;
    race->timed_out = true;
    socket.cancel();
  });
  boost::system::error_code ec;
  auto type = (status & MYSQL_WAIT_WRITE) ? asio::posix::stream_descriptor::wait_write
                                          : asio::posix::stream_descriptor::wait_read;
  co_await socket.async_wait(type, asio::redirect_error(asio::use_awaitable, ec));
  race->open = false;
  timer.cancel();
  socket.release();
  if (race->timed_out) co_return std::chrono::steady_clock::now() >= deadline ? 0 : MYSQL_WAIT_TIMEOUT;
  // Report exactly what is ready now: libmariadb may have asked for both.
  pollfd p{fd, static_cast<short>(((status & MYSQL_WAIT_READ) ? POLLIN : 0) | ((status & MYSQL_WAIT_WRITE) ? POLLOUT : 0)),
           0};
  int ready = 0;
  if (::poll(&p, 1, 0) > 0) {
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) ready |= MYSQL_WAIT_READ;
    if (p.revents & POLLOUT) ready |= MYSQL_WAIT_WRITE;
  }
  co_return ready ? ready : (status & (MYSQL_WAIT_READ | MYSQL_WAIT_WRITE));
}

std::string describe(MYSQL* mysql, std::string_view what, const MariadbEndpoint& e) {
  return fmt::format("{} {}:{}: {} (error {})", what, e.host, e.port, mysql_error(mysql), mysql_errno(mysql));
}

// A statement as error messages quote it: short, and never with a password
// (CHANGE MASTER TO ... MASTER_PASSWORD='...' would put it in the log).
std::string quoted(std::string_view sql) {
  std::string_view shown = sql.substr(0, 48);
  if (auto at = sql.find("PASSWORD"); at != std::string_view::npos && at < shown.size()) shown = sql.substr(0, at);
  return fmt::format("\"{}{}\"", shown, shown.size() < sql.size() ? "..." : "");
}

std::string timed_out(std::string_view what, const MariadbEndpoint& e) {
  return fmt::format("{} {}:{}: no answer before the deadline (server down, frozen or unreachable?)", what, e.host,
                     e.port);
}

}  // namespace

std::optional<std::string> QueryResult::value(std::size_t row, std::string_view column) const {
  if (row >= rows.size()) return std::nullopt;
  for (std::size_t i = 0; i < columns.size() && i < rows[row].size(); ++i)
    if (columns[i] == column) return rows[row][i];
  return std::nullopt;
}

MariadbConnection::MariadbConnection(asio::any_io_executor executor, MariadbEndpoint endpoint,
                                     std::unique_ptr<Handle> handle)
    : executor_(std::move(executor)), endpoint_(std::move(endpoint)), handle_(std::move(handle)) {}

MariadbConnection::~MariadbConnection() = default;

asio::awaitable<Result<std::unique_ptr<MariadbConnection>>> MariadbConnection::connect(asio::any_io_executor executor,
                                                                                      MariadbEndpoint endpoint,
                                                                                      Deadline deadline) {
  auto handle = std::make_unique<Handle>();
  MYSQL* mysql = &handle->mysql;
  if (!mysql_init(mysql)) co_return fail("cannot initialise a MariaDB client handle: out of memory");
  handle->initialised = true;
  mysql_options(mysql, MYSQL_OPT_NONBLOCK, nullptr);
  // Backstops only: our deadline normally fires first.
  unsigned int backstop = 10;
  mysql_options(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &backstop);
  mysql_options(mysql, MYSQL_OPT_READ_TIMEOUT, &backstop);
  mysql_options(mysql, MYSQL_OPT_WRITE_TIMEOUT, &backstop);
  my_bool no = 0;
  mysql_options(mysql, MYSQL_OPT_RECONNECT, &no);

  MYSQL* connected = nullptr;
  int status = mysql_real_connect_start(&connected, mysql, endpoint.host.c_str(), endpoint.user.c_str(),
                                        endpoint.password.c_str(), nullptr, endpoint.port, nullptr, 0);
  while (status) {
    int ready = co_await wait_socket(mysql, status, deadline);
    if (!ready) co_return fail(timed_out("connect to", endpoint));
    status = mysql_real_connect_cont(&connected, mysql, ready);
  }
  if (!connected)
    co_return std::unexpected(Error{describe(mysql, "connect to", endpoint), static_cast<int>(mysql_errno(mysql))});
  co_return std::unique_ptr<MariadbConnection>(
      new MariadbConnection(std::move(executor), std::move(endpoint), std::move(handle)));
}

asio::awaitable<Result<QueryResult>> MariadbConnection::query(std::string_view sql, Deadline deadline) {
  MYSQL* mysql = &handle_->mysql;
  if (!usable_) co_return fail(fmt::format("connection to {}:{} is broken", endpoint_.host, endpoint_.port));
  usable_ = false;  // until this statement completes cleanly

  int error = 0;
  int status = mysql_real_query_start(&error, mysql, sql.data(), static_cast<unsigned long>(sql.size()));
  while (status) {
    int ready = co_await wait_socket(mysql, status, deadline);
    if (!ready) co_return fail(timed_out("query on", endpoint_));
    status = mysql_real_query_cont(&error, mysql, ready);
  }
  if (error) co_return fail(describe(mysql, quoted(sql) + " on", endpoint_));

  MYSQL_RES* result = nullptr;
  status = mysql_store_result_start(&result, mysql);
  while (status) {
    int ready = co_await wait_socket(mysql, status, deadline);
    if (!ready) co_return fail(timed_out("reading the result from", endpoint_));
    status = mysql_store_result_cont(&result, mysql, ready);
  }
  QueryResult out;
  if (!result) {
    if (mysql_field_count(mysql) != 0) co_return fail(describe(mysql, "reading the result from", endpoint_));
    usable_ = true;
    co_return out;
  }
  // store_result buffered every row: fetching them does no I/O.
  const unsigned columns = mysql_num_fields(result);
  MYSQL_FIELD* fields = mysql_fetch_fields(result);
  for (unsigned i = 0; i < columns; ++i) out.columns.emplace_back(fields[i].name);
  while (MYSQL_ROW row = mysql_fetch_row(result)) {
    unsigned long* lengths = mysql_fetch_lengths(result);
    auto& values = out.rows.emplace_back();
    for (unsigned i = 0; i < columns; ++i) {
      if (row[i])
        values.emplace_back(std::string(row[i], lengths[i]));
      else
        values.emplace_back(std::nullopt);
    }
  }
  mysql_free_result(result);
  usable_ = true;
  co_return out;
}

asio::awaitable<Result<QueryResult>> MariadbConnection::execute(const std::vector<std::string>& statements,
                                                                Deadline deadline) {
  Result<QueryResult> last = QueryResult{};
  for (const auto& sql : statements) {
    last = co_await query(sql, deadline);
    if (!last) co_return last;
  }
  co_return last;
}

}  // namespace failoverdns
