#include "failoverdns/support/asio.hpp"  // first: Boost 1.74 (see there)

#include "api_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

namespace failoverdns::cli {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;

namespace {

struct Call {
  std::string host, port, method, target, token;
  std::chrono::milliseconds timeout;
  Result<HttpReply> result = fail("no answer");
};

asio::awaitable<void> run(Call& c) {
  auto executor = co_await asio::this_coro::executor;
  boost::system::error_code ec;
  tcp::resolver resolver(executor);
  auto endpoints = co_await resolver.async_resolve(c.host, c.port, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    c.result = fail(fmt::format("cannot resolve {}: {}", c.host, ec.message()));
    co_return;
  }
  beast::tcp_stream stream(executor);
  stream.expires_after(c.timeout);
  co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    c.result = fail(fmt::format("cannot reach failoverdns's HTTP API at {}:{}: {}; is failoverdns running, and are "
                                "addresses.http/ports.http what -http-addr says?",
                                c.host, c.port, ec.message()));
    co_return;
  }
  bhttp::request<bhttp::string_body> request{bhttp::string_to_verb(c.method), c.target, 11};
  request.set(bhttp::field::host, c.host);
  request.set(bhttp::field::user_agent, "failoverdns-cli");
  if (!c.token.empty()) request.set("X-Consul-Token", c.token);
  request.prepare_payload();
  co_await bhttp::async_write(stream, request, asio::redirect_error(asio::use_awaitable, ec));
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> response;
  if (!ec) co_await bhttp::async_read(stream, buffer, response, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    c.result = fail(fmt::format("no answer from {}:{} within {} ms: {}", c.host, c.port, c.timeout.count(),
                                ec.message()));
    co_return;
  }
  c.result = HttpReply{static_cast<int>(response.result_int()), std::move(response.body())};
}

}  // namespace

Result<HttpReply> http_call(const std::string& address, const std::string& method, const std::string& target,
                            const std::string& token, std::chrono::milliseconds timeout) {
  std::string_view a = address;
  if (a.starts_with("http://")) a.remove_prefix(7);
  while (a.ends_with('/')) a.remove_suffix(1);
  Call c;
  const auto colon = a.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == a.size())
    return fail(fmt::format("-http-addr \"{}\": expected host:port, e.g. 127.0.0.1:8500", address));
  c.host = std::string(a.substr(0, colon));
  if (c.host.starts_with('[') && c.host.ends_with(']')) c.host = c.host.substr(1, c.host.size() - 2);
  c.port = std::string(a.substr(colon + 1));
  c.method = method;
  c.target = target;
  c.token = token;
  c.timeout = timeout;
  asio::io_context io{1};
  asio::co_spawn(io, run(c), fail_loudly("http client"));
  // The stream's own deadline covers connect, write and read; this one
  // covers name resolution too.
  io.run_for(timeout + std::chrono::seconds(1));
  return c.result;
}

}  // namespace failoverdns::cli
