// An asynchronous MariaDB client connection for the control plane, built on
// libmariadb's non-blocking API (mysql_*_start/_cont) driven by Asio waits
// on the connection's socket. Every call has a deadline; when it passes the
// socket is shut down, so a frozen server (SIGSTOP) stalls nothing else.
// Never blocks the calling thread. Not thread-safe: one coroutine uses a
// connection at a time, on the executor it was connected with.
#pragma once

#include "failoverdns/support/asio.hpp"  // first: Boost 1.74 (see there)

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "failoverdns/support/error.hpp"

namespace failoverdns {

struct MariadbEndpoint {
  std::string host;
  std::uint16_t port = 3306;
  std::string user;
  std::string password;
};

struct QueryResult {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;

  // The value of `column` in row `row`; nullopt for NULL, a missing row or column.
  std::optional<std::string> value(std::size_t row, std::string_view column) const;
};

class MariadbConnection {
 public:
  using Deadline = std::chrono::steady_clock::time_point;

  // Fails with Error::code = the server's ER_* number when it answered (1045:
  // access denied), a CR_* number when it could not be reached (2002:
  // refused), 0 when the deadline passed.
  static boost::asio::awaitable<Result<std::unique_ptr<MariadbConnection>>> connect(
      boost::asio::any_io_executor executor, MariadbEndpoint endpoint, Deadline deadline);

  // Sends COM_QUIT if the socket takes it at once, never waits for an
  // answer: safe with a frozen server.
  ~MariadbConnection();
  MariadbConnection(const MariadbConnection&) = delete;
  MariadbConnection& operator=(const MariadbConnection&) = delete;

  // One statement; its result set if it has one (an empty QueryResult if
  // not). A statement the server refused fails with Error::code = its ER_*
  // number and leaves the connection usable; a timeout or a lost connection
  // (code 0 or CR_*) leaves it broken (usable() is false): drop it. `sql`
  // must stay alive until the co_await returns.
  boost::asio::awaitable<Result<QueryResult>> query(std::string_view sql, Deadline deadline);

  // Statements in order within one deadline, stopping at the first error;
  // the last one's result. For the failover executor's action scripts.
  boost::asio::awaitable<Result<QueryResult>> execute(std::vector<std::string> statements, Deadline deadline);

  bool usable() const { return usable_; }
  const MariadbEndpoint& endpoint() const { return endpoint_; }

  struct Handle;

 private:
  MariadbConnection(boost::asio::any_io_executor executor, MariadbEndpoint endpoint, std::unique_ptr<Handle> handle);

  boost::asio::any_io_executor executor_;
  MariadbEndpoint endpoint_;
  std::unique_ptr<Handle> handle_;
  bool usable_ = true;
};

}  // namespace failoverdns
