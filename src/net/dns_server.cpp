#include "failoverdns/net/dns_server.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "dns_metrics.hpp"
#include "failoverdns/support/thread.hpp"
#include "tcp_listener.hpp"
#include "udp_listener.hpp"

namespace failoverdns {
namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

namespace {

std::string describe_bind_error(const std::string& where, const boost::system::error_code& ec, int port) {
  if (ec == asio::error::access_denied)
    return fmt::format("cannot listen on {}: port {} needs root or CAP_NET_BIND_SERVICE (or use ports.dns 8600 "
                       "behind dnsmasq)",
                       where, port);
  if (ec == asio::error::address_in_use)
    return fmt::format("cannot listen on {}: address in use — is Consul or another DNS server on it? change "
                       "ports.dns or stop the other server",
                       where);
  if (ec == boost::system::errc::address_not_available)
    return fmt::format("cannot listen on {}: no interface has this address; check addresses.dns", where);
  return fmt::format("cannot listen on {}: {}", where, ec.message());
}

std::string where(const asio::ip::address& a, int port) {
  return a.is_v6() ? fmt::format("[{}]:{}", a.to_string(), port) : fmt::format("{}:{}", a.to_string(), port);
}

// UDP sockets: one per worker on the same port (SO_REUSEPORT spreads the
// clients), each with a large receive buffer.
template <class Socket, class Endpoint>
bool open_and_bind(Socket& socket, const Endpoint& endpoint, bool udp, boost::system::error_code& ec) {
  socket.open(endpoint.protocol(), ec);
  if (ec) return false;
  // "::" means IPv6 only: IPv4 is listed separately in addresses.dns, and a
  // dual-stack socket would collide with it.
  if (endpoint.address().is_v6()) socket.set_option(asio::ip::v6_only(true), ec);
  socket.set_option(asio::socket_base::reuse_address(true), ec);
  if (udp) {
    // Room for a burst while the worker is busy: past the buffer, the kernel
    // drops queries. Capped by net.core.rmem_max; best effort.
    socket.set_option(asio::socket_base::receive_buffer_size(4 << 20), ec);
    int one = 1;
    if (::setsockopt(socket.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
      ec.assign(errno, boost::system::system_category());
      return false;
    }
  }
  socket.bind(endpoint, ec);
  return !ec;
}

}  // namespace

struct DnsServer::Impl {
  struct Worker {
    asio::io_context io{1};
    std::vector<std::unique_ptr<net::UdpListener>> udp;
    std::thread thread;
  };
  std::vector<std::unique_ptr<Worker>> workers;
  asio::io_context tcp_io{1};
  std::vector<std::unique_ptr<net::TcpListener>> tcp;
  std::thread tcp_thread;
  // Every thread's counters; shared with whoever scrapes them.
  std::shared_ptr<net::DnsMetrics> metrics;
  int port = 0;
  bool running = false;

  // Every socket, or the first error. `collided` tells a port that another
  // program took between our first bind and a later one.
  static Result<std::unique_ptr<Impl>> bind(const ListenerSettings& options, int workers, AnswerPublisher& answers,
                                             Resolver* resolver, bool& collided);
};

Result<std::unique_ptr<DnsServer::Impl>> DnsServer::Impl::bind(const ListenerSettings& options, int workers,
                                                               AnswerPublisher& answers, Resolver* resolver,
                                                               bool& collided) {
  collided = false;
  auto impl = std::make_unique<Impl>();
  for (int i = 0; i < workers; ++i) impl->workers.push_back(std::make_unique<Impl::Worker>());
  impl->metrics = std::make_shared<net::DnsMetrics>(answers, impl->workers.size());

  int port = options.port;
  for (const auto& text : options.addresses) {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(text, ec);
    if (ec) return fail(fmt::format("addresses.dns: \"{}\" is not an IP address", text));
    // With port 0 the first socket picks a free port and every other one
    // binds the same, so UDP and TCP share it as clients expect.
    auto failed = [&](const char* protocol) {
      collided = options.port == 0 && port != 0 && ec == asio::error::address_in_use;
      return fail(describe_bind_error(where(address, port) + protocol, ec, port));
    };
    auto bind_udp = [&]() -> Result<void> {
      for (std::size_t w = 0; w < impl->workers.size(); ++w) {
        auto& worker = impl->workers[w];
        udp::socket socket(worker->io);
        if (!open_and_bind(socket, udp::endpoint(address, static_cast<unsigned short>(port)), true, ec))
          return failed("/udp");
        if (port == 0) port = socket.local_endpoint().port();
        worker->udp.push_back(
            std::make_unique<net::UdpListener>(std::move(socket), answers, resolver, impl->metrics->udp(w)));
      }
      return {};
    };
    // No SO_REUSEPORT here: a second failoverdns (or anything else) on the
    // port must make this bind fail, not quietly share the traffic.
    auto bind_tcp = [&]() -> Result<void> {
      tcp::acceptor acceptor(impl->tcp_io);
      if (!open_and_bind(acceptor, tcp::endpoint(address, static_cast<unsigned short>(port)), false, ec))
        return failed("/tcp");
      acceptor.listen(asio::socket_base::max_listen_connections, ec);
      if (ec) return failed("/tcp");
      impl->tcp.push_back(std::make_unique<net::TcpListener>(
          std::move(acceptor), answers,
          net::TcpLimits{options.tcp_idle_timeout, options.tcp_max_connections,
                         options.tcp_max_connections_per_client},
          resolver, impl->metrics->tcp()));
      return {};
    };
    // A given port: TCP first, so a port another failoverdns holds fails
    // before our UDP sockets join its SO_REUSEPORT group and take a share of
    // its queries for as long as we take to exit. Port 0: UDP picks it.
    const bool udp_picks = port == 0;
    auto first = udp_picks ? bind_udp() : bind_tcp();
    if (!first) return std::unexpected(first.error());
    auto second = udp_picks ? bind_tcp() : bind_udp();
    if (!second) return std::unexpected(second.error());
  }
  impl->port = port;
  return impl;
}

DnsServer::DnsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

DnsServer::~DnsServer() { stop(); }

Result<std::unique_ptr<DnsServer>> DnsServer::bind(const ListenerSettings& options, AnswerPublisher& answers,
                                                   Resolver* resolver) {
  if (options.addresses.empty()) return fail("addresses.dns is empty: give at least one address, e.g. \"127.0.0.1\"");
  if (options.port < 0 || options.port > 65535)
    return fail(fmt::format("ports.dns: {} is not a port; use 1-65535, or -1 for no DNS server", options.port));
  const int workers =
      options.workers > 0 ? options.workers : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // A free UDP port is not always free for TCP (or on the next address): with
  // port 0, pick another one rather than fail.
  for (int attempt = 1;; ++attempt) {
    bool collided = false;
    auto impl = Impl::bind(options, workers, answers, resolver, collided);
    if (impl) return std::unique_ptr<DnsServer>(new DnsServer(std::move(*impl)));
    if (!collided || attempt == 10) return std::unexpected(impl.error());
  }
}

void DnsServer::start() {
  if (impl_->running) return;
  impl_->running = true;
  int n = 0;
  for (auto& worker : impl_->workers) {
    for (auto& l : worker->udp) l->start();
    worker->thread = std::thread([w = worker.get(), name = fmt::format("dns-udp-{}", n++)] {
      become_worker_thread(name.c_str());
      w->io.run();
    });
  }
  for (auto& l : impl_->tcp) l->start();
  impl_->tcp_thread = std::thread([this] {
    become_worker_thread("dns-tcp");
    impl_->tcp_io.run();
  });
}

void DnsServer::stop() {
  if (!impl_ || !impl_->running) return;
  impl_->running = false;
  for (auto& worker : impl_->workers) worker->io.stop();
  impl_->tcp_io.stop();
  for (auto& worker : impl_->workers)
    if (worker->thread.joinable()) worker->thread.join();
  if (impl_->tcp_thread.joinable()) impl_->tcp_thread.join();
}

int DnsServer::udp_port() const { return impl_->port; }
int DnsServer::tcp_port() const { return impl_->port; }

std::size_t DnsServer::worker_count() const { return impl_->workers.size(); }

std::shared_ptr<const prometheus::Collectable> DnsServer::metrics() const { return impl_->metrics; }

}  // namespace failoverdns
