#include "failoverdns/support/asio.hpp"  // first: Boost 1.74 (see there)

#include "failoverdns/http/http_server.hpp"

#include <list>
#include <map>
#include <optional>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "write_access.hpp"
#include "failoverdns/http/api.hpp"
#include "failoverdns/support/thread.hpp"

namespace failoverdns {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// A request must arrive whole within this (keep-alive idleness included,
// so a slowloris holds its slot no longer), an answer be taken within kWrite.
constexpr auto kRead = std::chrono::seconds(30);
constexpr auto kWrite = std::chrono::seconds(10);
constexpr std::size_t kHeaderLimit = 8 * 1024;
constexpr std::uint64_t kBodyLimit = 64 * 1024;

std::string_view header(const bhttp::request<bhttp::string_body>& r, std::string_view name) {
  auto it = r.find(beast::string_view(name.data(), name.size()));
  if (it == r.end()) return {};
  return {it->value().data(), it->value().size()};
}

}  // namespace

struct HttpServer::Impl {
  asio::io_context io{1};
  std::vector<tcp::acceptor> acceptors;
  std::thread thread;
  bool running = false;
  HttpSettings limits;
  // Below: the HTTP thread's own, changed only by what publish() and
  // set_access() post to it.
  std::shared_ptr<const ApiView> view;
  std::unique_ptr<http::WriteAccess> access;
  MetricsRenderer metrics;
  WriteHandler writes;
  std::list<asio::steady_timer*> waiting;  // blocking queries, woken by a new view
  int connections = 0;
  std::map<asio::ip::address, int> per_client;
  Clock::time_point quiet_until{};  // refusals are logged at most every 10 s
  std::uint64_t unlogged_refusals = 0;

  asio::awaitable<void> accept_loop(tcp::acceptor& acceptor);
  asio::awaitable<void> serve(tcp::socket socket);
  asio::awaitable<void> refuse_connection(tcp::socket socket, std::string why);
  asio::awaitable<ApiResponse> respond(const bhttp::request<bhttp::string_body>& request, const tcp::endpoint& peer);
  asio::awaitable<void> wait_for_change(WatchedIndex watched, std::uint64_t index, Clock::time_point deadline);
  asio::awaitable<ApiResponse> carry_out(Write write);
  void log_refusal(const tcp::endpoint& peer, std::string_view why);
};

void HttpServer::Impl::log_refusal(const tcp::endpoint& peer, std::string_view why) {
  ++unlogged_refusals;
  const auto now = Clock::now();
  if (now < quiet_until) return;
  spdlog::warn("event=http_refused peer={} reason={} refused={}", peer.address().to_string(), logfmt_value(why),
               unlogged_refusals);
  unlogged_refusals = 0;
  quiet_until = now + std::chrono::seconds(10);
}

asio::awaitable<void> HttpServer::Impl::accept_loop(tcp::acceptor& acceptor) {
  for (;;) {
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Out of descriptors, say: wait a little instead of spinning.
      spdlog::warn("event=http_accept_failed error={}", logfmt_value(ec.message()));
      asio::steady_timer pause(io, std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    const auto peer = socket.remote_endpoint(ec);
    if (ec) continue;
    if (connections >= limits.max_connections) {
      log_refusal(peer, "http_max_connections");
      asio::co_spawn(io, refuse_connection(std::move(socket), "too many connections to the HTTP API"),
                     fail_loudly("http refusal"));
      continue;
    }
    if (per_client[peer.address()] >= limits.max_connections_per_client) {
      log_refusal(peer, "limits.http_max_conns_per_client");
      asio::co_spawn(io, refuse_connection(std::move(socket), "too many connections from your address"),
                     fail_loudly("http refusal"));
      continue;
    }
    ++connections;
    ++per_client[peer.address()];
    asio::co_spawn(io, serve(std::move(socket)), fail_loudly("http connection"));
  }
}

// 429 as Consul answers a client over its connection limit, then close.
asio::awaitable<void> HttpServer::Impl::refuse_connection(tcp::socket socket, std::string why) {
  beast::tcp_stream stream(std::move(socket));
  bhttp::response<bhttp::string_body> response{bhttp::status::too_many_requests, 11};
  response.set(bhttp::field::content_type, "application/json");
  response.set(bhttp::field::connection, "close");
  response.body() = error_response(429, why).body;
  response.prepare_payload();
  stream.expires_after(std::chrono::seconds(1));
  boost::system::error_code ec;
  co_await bhttp::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
}

asio::awaitable<void> HttpServer::Impl::wait_for_change(WatchedIndex watched, std::uint64_t index,
                                                        Clock::time_point deadline) {
  asio::steady_timer timer(io, deadline);
  while (index_of(watched, *view) <= index && Clock::now() < deadline) {
    auto it = waiting.insert(waiting.end(), &timer);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    waiting.erase(it);
    if (!running) co_return;
    timer.expires_at(deadline);
  }
}

// A switchover may take switchover_timeout and a promotion: the answer
// waits for it (a client that gives up does not stop it).
asio::awaitable<ApiResponse> HttpServer::Impl::carry_out(Write write) {
  if (!writes) co_return error_response(404, "this failoverdns takes no writes");
  // A timer that never expires, cancelled when the answer arrives: Boost
  // 1.74 has no channel to await a callback with.
  struct Wait {
    explicit Wait(asio::io_context& io) : timer(io, Clock::time_point::max()) {}
    asio::steady_timer timer;
    std::optional<ApiResponse> response;
  };
  auto wait = std::make_shared<Wait>(io);
  writes(std::move(write), [this, wait](ApiResponse response) {
    asio::post(io, [wait, response = std::move(response)]() mutable {
      wait->response = std::move(response);
      wait->timer.cancel();
    });
  });
  while (!wait->response && running) {
    auto it = waiting.insert(waiting.end(), &wait->timer);
    boost::system::error_code ec;
    co_await wait->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    waiting.erase(it);
  }
  if (!wait->response) co_return error_response(503, "failoverdns is stopping");
  co_return *wait->response;
}

asio::awaitable<ApiResponse> HttpServer::Impl::respond(const bhttp::request<bhttp::string_body>& request,
                                                       const tcp::endpoint& peer) {
  const std::string method(request.method_string());
  auto parsed = parse_target(method, std::string_view(request.target().data(), request.target().size()));
  if (!parsed) co_return error_response(400, "bad percent-encoding in the URL");
  ApiRequest& r = *parsed;
  if (r.method != "GET" && r.method != "HEAD") {
    if (auto refused = access->refusal(peer.data(), peer.address().to_string(), header(request, "X-Consul-Token"),
                                       header(request, "Authorization"))) {
      spdlog::warn("event=http_write_refused peer={} method={} path={} reason={}", peer.address().to_string(),
                   r.method, logfmt_value(r.path), logfmt_value(*refused));
      co_return error_response(403, *refused);
    }
    auto write = parse_write(r);
    if (!write) co_return answer(r, *view);  // 404 or 405, saying why
    if (auto* bad = std::get_if<ApiResponse>(&*write)) co_return *bad;
    co_return co_await carry_out(std::get<Write>(std::move(*write)));
  }
  if (r.path == "/metrics") {
    if (!metrics) co_return error_response(404, "no metrics in this build");
    ApiResponse m;
    m.body = metrics();
    m.content_type = "text/plain; version=0.0.4; charset=utf-8";
    co_return m;
  }
  const WatchedIndex watched = watched_index(r);
  if (auto it = r.query.find("index"); it != r.query.end() && watched != WatchedIndex::none) {
    std::uint64_t index = 0;
    try {
      index = std::stoull(it->second);
    } catch (const std::exception&) {
      co_return error_response(400, fmt::format("index \"{}\" is not a number; send X-Consul-Index as it came",
                                                it->second));
    }
    const auto wait = parse_wait(r);
    if (!wait) co_return error_response(400, fmt::format("wait \"{}\" is not a duration like \"30s\" or \"5m\"",
                                                         r.query["wait"]));
    if (index > 0) co_await wait_for_change(watched, index, Clock::now() + *wait);
  }
  co_return answer(r, *view);
}

asio::awaitable<void> HttpServer::Impl::serve(tcp::socket socket) {
  boost::system::error_code ec;
  const tcp::endpoint peer = socket.remote_endpoint(ec);
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer(kHeaderLimit);
  for (;;) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(kBodyLimit);
    stream.expires_after(kRead);
    co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
        ec == asio::error::connection_reset || ec == asio::error::eof)
      break;
    ApiResponse answer_;
    bool keep_alive = false;
    unsigned version = 11;
    if (ec) {
      // Too large, or not HTTP: say so and close.
      answer_ = ec == bhttp::error::body_limit || ec == bhttp::error::header_limit
                    ? error_response(413, fmt::format("request too large (headers at most {} bytes, body at most {})",
                                                      kHeaderLimit, kBodyLimit))
                    : error_response(400, fmt::format("not an HTTP request we can read: {}", ec.message()));
    } else {
      const auto& request = parser.get();
      keep_alive = request.keep_alive();
      version = request.version();
      answer_ = co_await respond(request, peer);
      if (!running) break;
      if (request.method() == bhttp::verb::head) answer_.body.clear();
    }
    bhttp::response<bhttp::string_body> response{static_cast<bhttp::status>(answer_.status), version};
    response.set(bhttp::field::server, "failoverdns");
    response.set(bhttp::field::content_type, answer_.content_type);
    if (answer_.index) {
      response.set("X-Consul-Index", std::to_string(*answer_.index));
      response.set("X-Consul-KnownLeader", "true");
      response.set("X-Consul-LastContact", "0");
    }
    response.keep_alive(keep_alive);
    response.body() = std::move(answer_.body);
    response.prepare_payload();
    stream.expires_after(kWrite);
    co_await bhttp::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !keep_alive) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  --connections;
  if (auto it = per_client.find(peer.address()); it != per_client.end() && --it->second == 0) per_client.erase(it);
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() { stop(); }

Result<std::unique_ptr<HttpServer>> HttpServer::bind(const HttpSettings& settings) {
  auto impl = std::make_unique<Impl>();
  impl->limits = settings;
  impl->access = std::make_unique<http::WriteAccess>(settings);
  int port = settings.port;
  for (const auto& text : settings.addresses) {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(text, ec);
    if (ec) return fail(fmt::format("addresses.http: \"{}\" is not an IP address", text));
    tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
    const std::string where = address.is_v6() ? fmt::format("[{}]:{}", text, port) : fmt::format("{}:{}", text, port);
    tcp::acceptor acceptor(impl->io);
    acceptor.open(endpoint.protocol(), ec);
    if (!ec && address.is_v6()) acceptor.set_option(asio::ip::v6_only(true), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec == asio::error::address_in_use)
      return fail(fmt::format("cannot listen on {} for the HTTP API: address in use — is Consul still running? stop "
                              "it, or set ports.http (-1 turns the API off)",
                              where));
    if (ec)
      return fail(fmt::format("cannot listen on {} for the HTTP API: {}; check addresses.http and ports.http", where,
                              ec.message()));
    if (port == 0) port = acceptor.local_endpoint().port();
    impl->acceptors.push_back(std::move(acceptor));
  }
  impl->limits.port = port;
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

void HttpServer::start(std::shared_ptr<const ApiView> first, MetricsRenderer metrics, WriteHandler writes) {
  if (impl_->running) return;
  impl_->running = true;
  impl_->view = std::move(first);
  impl_->metrics = std::move(metrics);
  impl_->writes = std::move(writes);
  for (auto& acceptor : impl_->acceptors)
    asio::co_spawn(impl_->io, impl_->accept_loop(acceptor), fail_loudly("http accept loop"));
  impl_->thread = std::thread([impl = impl_.get()] {
    become_worker_thread("http");
    impl->io.run();
  });
}

void HttpServer::stop() {
  if (!impl_ || !impl_->running) return;
  asio::post(impl_->io, [impl = impl_.get()] {
    impl->running = false;
    for (auto& a : impl->acceptors) a.close();
    for (auto* t : impl->waiting) t->cancel();
    impl->io.stop();
  });
  if (impl_->thread.joinable()) impl_->thread.join();
}

void HttpServer::publish(std::shared_ptr<const ApiView> view) {
  asio::post(impl_->io, [impl = impl_.get(), view = std::move(view)]() mutable {
    impl->view = std::move(view);
    for (auto* t : impl->waiting) t->cancel();
  });
}

void HttpServer::set_access(const HttpSettings& settings) {
  asio::post(impl_->io, [impl = impl_.get(), access = std::make_shared<http::WriteAccess>(settings)] {
    impl->access = std::make_unique<http::WriteAccess>(*access);
  });
}

std::uint16_t HttpServer::port() const { return static_cast<std::uint16_t>(impl_->limits.port); }

}  // namespace failoverdns
