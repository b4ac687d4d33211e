// The FailoverIo of the daemon: MariadbProbe per probe loop, each action's
// SQL (action_sql.hpp) over a connection of its own, the state file through
// StateStore::save.
#pragma once

#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "action_sql.hpp"
#include "failoverdns/config/config.hpp"
#include "failoverdns/failover/failover_io.hpp"
#include "failoverdns/mariadb/mariadb_connection.hpp"
#include "failoverdns/failover/state_store.hpp"

namespace failoverdns {

class MariadbFailoverIo final : public FailoverIo {
 public:
  MariadbFailoverIo(boost::asio::any_io_executor executor, FailoverSettings settings,
                    std::vector<FailoverMember> members);

  std::unique_ptr<Probe> probe(const FailoverMember& member) override;
  boost::asio::awaitable<ActionResult> run(const Action& action) override;

 private:
  MariadbEndpoint endpoint_of(const FailoverMember& m) const;
  const FailoverMember* member(const std::string& id) const;
  boost::asio::awaitable<Result<QueryResult>> sql(const std::string& instance,
                                                  const std::vector<std::string>& statements, Milliseconds budget);
  boost::asio::awaitable<ActionResult> fence(const Fence& fence, Milliseconds budget);
  boost::asio::awaitable<SessionsEnded> end_client_sessions(MariadbConnection& connection,
                                                            MariadbConnection::Deadline deadline);
  boost::asio::awaitable<Result<QueryResult>> read_coordinates(const std::string& instance, Milliseconds budget,
                                                               PromotionCoordinates& out);

  boost::asio::any_io_executor executor_;
  FailoverSettings settings_;
  std::vector<FailoverMember> members_;
  StateStore store_;
  ReplicationCredentials credentials_;
};

}  // namespace failoverdns
