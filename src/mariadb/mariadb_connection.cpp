#include "failoverdns/mariadb/mariadb_connection.hpp"

#include <poll.h>

#include <sys/socket.h>

#include <errmsg.h>
#include <mysql.h>

#include <memory>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "failoverdns/support/asio.hpp"

namespace failoverdns {
namespace asio = boost::asio;
using Deadline = MariadbConnection::Deadline;

struct MariadbConnection::Handle {
  MYSQL mysql;
  bool initialised = false;
  // An operation is under way: libmariadb's coroutine is suspended in it
  // (our coroutine was destroyed mid-wait, e.g. at shutdown), so no other
  // _start may run on the handle.
  bool mid_operation = false;

  ~Handle() {
    if (!initialised) return;
    if (mid_operation) {
      // Against a shut-down socket the blocking close cannot wait on anything.
      if (int fd = static_cast<int>(mysql_get_socket(&mysql)); fd >= 0) ::shutdown(fd, SHUT_RDWR);
      mysql_close(&mysql);
      return;
    }
    // COM_QUIT, so the server does not count an aborted client. It is one
    // write; should the socket not take it (a frozen server with a full
    // buffer), libmariadb is told its wait timed out and closes anyway.
    int status = mysql_close_start(&mysql);
    for (int round = 0; status && round < 64; ++round) status = mysql_close_cont(&mysql, MYSQL_WAIT_TIMEOUT);
  }
};

namespace {

// Waits until libmariadb's socket is ready as `status` asks, or the deadline.
// Returns the MYSQL_WAIT_* bits that happened, or 0 when the deadline passed.
asio::awaitable<int> wait_socket(MYSQL* mysql, int status, Deadline deadline) {
  auto executor = co_await asio::this_coro::executor;
  const int fd = static_cast<int>(mysql_get_socket(mysql));
  if (fd < 0 || !(status & (MYSQL_WAIT_READ | MYSQL_WAIT_WRITE))) {
    // Only a pause was asked for: libmariadb's own timeout, within ours.
    Deadline until = std::min(deadline, std::chrono::steady_clock::now() +
                                            std::chrono::milliseconds(mysql_get_timeout_value_ms(mysql)));
    asio::steady_timer timer(executor, until);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    co_return std::chrono::steady_clock::now() >= deadline ? 0 : MYSQL_WAIT_TIMEOUT;
  }
  // The descriptor belongs to libmariadb: register it for this one wait and
  // release it after, also when this frame is destroyed mid-wait.
  struct Borrowed {
    asio::posix::stream_descriptor descriptor;
    ~Borrowed() { descriptor.release(); }
  } borrowed{asio::posix::stream_descriptor(executor, fd)};
  auto& socket = borrowed.descriptor;
  // Waiting on the socket, only our deadline counts: libmariadb's read
  // timeout would end a long statement (a relay-log wait of relay_log_wait)
  // at its fixed value, whatever the operation's own deadline.
  OperationDeadline guard(executor, deadline, [&socket] { socket.cancel(); });
  boost::system::error_code ec;
  auto type = (status & MYSQL_WAIT_WRITE) ? asio::posix::stream_descriptor::wait_write
                                          : asio::posix::stream_descriptor::wait_read;
  co_await socket.async_wait(type, asio::redirect_error(asio::use_awaitable, ec));
  if (guard.expired()) co_return 0;
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

// Ends an operation whose deadline passed. Abandoning it mid-way would
// leave libmariadb's coroutine suspended (with whatever its frames own), so
// it is run to its own timeout error instead: the socket is shut down first,
// which makes every read or write of the unwinding return at once.
template <class Resume>
void cut_off(MariadbConnection::Handle& handle, int status, Resume& resume) {
  if (int fd = static_cast<int>(mysql_get_socket(&handle.mysql)); fd >= 0) ::shutdown(fd, SHUT_RDWR);
  for (int round = 0; status && round < 64; ++round) status = resume(MYSQL_WAIT_TIMEOUT);
  handle.mid_operation = status != 0;
}

// Runs one libmariadb operation from what its _start returned to the end;
// `resume(ready)` calls its _cont. False when the deadline came first.
template <class Resume>
asio::awaitable<bool> drive(MariadbConnection::Handle& handle, int status, Deadline deadline, Resume resume) {
  handle.mid_operation = status != 0;
  while (status) {
    int ready = co_await wait_socket(&handle.mysql, status, deadline);
    if (!ready) {
      cut_off(handle, status, resume);
      co_return false;
    }
    status = resume(ready);
  }
  handle.mid_operation = false;
  co_return true;
}

// Client-side errors (CR_*: connection lost, timeouts) leave the protocol
// in an unknown state; a server's answer (ER_*) leaves it ready for more.
bool client_error(unsigned code) { return code >= CR_MIN_ERROR && code <= CR_MAX_ERROR; }

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
  // Not used while we wait on the socket (only the caller's deadline is);
  // set in case libmariadb ever blocks on its own.
  unsigned int backstop = 10;
  mysql_options(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &backstop);
  mysql_options(mysql, MYSQL_OPT_READ_TIMEOUT, &backstop);
  mysql_options(mysql, MYSQL_OPT_WRITE_TIMEOUT, &backstop);
  my_bool no = 0;
  mysql_options(mysql, MYSQL_OPT_RECONNECT, &no);
  // The server is untrusted: it must not be able to ask us for local files.
  unsigned int no_local_files = 0;
  mysql_options(mysql, MYSQL_OPT_LOCAL_INFILE, &no_local_files);

  MYSQL* connected = nullptr;
  int status = mysql_real_connect_start(&connected, mysql, endpoint.host.c_str(), endpoint.user.c_str(),
                                        endpoint.password.c_str(), nullptr, endpoint.port, nullptr, 0);
  bool in_time = co_await drive(*handle, status, deadline,
                                [&](int ready) { return mysql_real_connect_cont(&connected, mysql, ready); });
  if (!in_time) co_return fail(timed_out("connect to", endpoint));
  if (!connected)
    co_return std::unexpected(Error{describe(mysql, "connect to", endpoint), static_cast<int>(mysql_errno(mysql))});
  co_return std::unique_ptr<MariadbConnection>(
      new MariadbConnection(std::move(executor), std::move(endpoint), std::move(handle)));
}

asio::awaitable<Result<QueryResult>> MariadbConnection::query(std::string_view sql, Deadline deadline) {
  MYSQL* mysql = &handle_->mysql;
  if (!usable_) co_return fail(fmt::format("connection to {}:{} is broken", endpoint_.host, endpoint_.port));
  usable_ = false;  // until this statement completes or the server refuses it

  auto refused = [&](std::string what) {
    unsigned code = mysql_errno(mysql);
    usable_ = !client_error(code);
    return std::unexpected(Error{describe(mysql, what, endpoint_), static_cast<int>(code)});
  };
  int error = 0;
  int status = mysql_real_query_start(&error, mysql, sql.data(), static_cast<unsigned long>(sql.size()));
  bool in_time = co_await drive(*handle_, status, deadline,
                                [&](int ready) { return mysql_real_query_cont(&error, mysql, ready); });
  if (!in_time) co_return fail(timed_out("query on", endpoint_));
  if (error) co_return refused(quoted(sql) + " on");

  MYSQL_RES* result = nullptr;
  status = mysql_store_result_start(&result, mysql);
  in_time = co_await drive(*handle_, status, deadline,
                           [&](int ready) { return mysql_store_result_cont(&result, mysql, ready); });
  // Owned from here on, whatever happens next.
  std::unique_ptr<MYSQL_RES, decltype(&mysql_free_result)> owned(result, &mysql_free_result);
  if (!in_time) co_return fail(timed_out("reading the result from", endpoint_));
  QueryResult out;
  if (!result) {
    if (mysql_field_count(mysql) != 0) co_return refused("reading the result from");
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
  usable_ = true;
  co_return out;
}

asio::awaitable<Result<QueryResult>> MariadbConnection::execute(std::vector<std::string> statements,
                                                                Deadline deadline) {
  Result<QueryResult> last = QueryResult{};
  for (const auto& sql : statements) {
    last = co_await query(sql, deadline);
    if (!last) co_return last;
  }
  co_return last;
}

}  // namespace failoverdns
