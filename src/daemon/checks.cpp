#include "daemon/checks.hpp"

namespace failoverdns {

struct CheckSet::Impl {
  boost::asio::io_context& io;
  const Config& config;
  LiveCatalog& catalog;
};

CheckSet::CheckSet(boost::asio::io_context& io, const Config& config, LiveCatalog& catalog)
    : impl_(std::make_unique<Impl>(Impl{io, config, catalog})) {}
CheckSet::~CheckSet() = default;
CheckSet::CheckSet(CheckSet&&) noexcept = default;

void CheckSet::start() {}
void CheckSet::stop() {}

}  // namespace failoverdns
