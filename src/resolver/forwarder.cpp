#include "forwarder.hpp"

#include <algorithm>
#include <numeric>

#include <boost/asio/require.hpp>
#include <boost/asio/post.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "failoverdns/dns/wire.hpp"
#include "failoverdns/support/log_value.hpp"
#include "failoverdns/support/thread.hpp"

namespace failoverdns::resolver {

namespace asio = boost::asio;

namespace {

// Askers one question in flight may gather before more get SERVFAIL: a
// bound on memory for a flood of one name.
constexpr std::size_t max_waiters = 1024;

std::string pending_key_of(const QuestionKey& key) {
  std::string k = key.name;
  k.push_back(static_cast<char>(key.qtype >> 8));
  k.push_back(static_cast<char>(key.qtype));
  k.push_back(static_cast<char>(key.qclass >> 8));
  k.push_back(static_cast<char>(key.qclass));
  k.push_back(static_cast<char>(key.flags));
  return k;
}

// The question as people read it, for the log: "www.example.org. A".
std::string shown(const QuestionKey& key) {
  std::string name;
  for (std::size_t i = 0; i < key.name.size() && key.name[i] != 0;) {
    const auto length = static_cast<std::size_t>(static_cast<std::uint8_t>(key.name[i]));
    name.append(key.name, i + 1, length);
    name.push_back('.');
    i += 1 + length;
  }
  // Not `name = "."`: g++ 12 -O3 reports a false -Wrestrict there.
  return fmt::format("{} type{}", name.empty() ? std::string_view(".") : std::string_view(name), key.qtype);
}

std::string endpoint_text(const ResolverSettings::Upstream& u) {
  return u.address.find(':') == std::string::npos ? fmt::format("{}:{}", u.address, u.port)
                                                   : fmt::format("[{}]:{}", u.address, u.port);
}

}  // namespace

Forwarder::Forwarder(const ResolverSettings& settings, std::uint16_t payload)
    : payload_(payload), cache_(static_cast<std::size_t>(settings.cache_size)) {
  apply(settings);
}

Forwarder::~Forwarder() { stop(); }

void Forwarder::start() {
  if (running_) return;
  running_ = true;
  thread_ = std::thread([this] {
    become_worker_thread("dns-forward");
    // Runs until stop(), also while nothing is in flight.
    auto work = asio::require(io_.get_executor(), asio::execution::outstanding_work.tracked);
    io_.run();
  });
}

void Forwarder::stop() {
  if (!running_) return;
  running_ = false;
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

void Forwarder::submit(QuestionKey key, bool tcp, Completion done) {
  asio::post(io_, [this, key = std::move(key), tcp, done = std::move(done)]() mutable {
    handle(std::move(key), tcp, std::move(done));
  });
}

void Forwarder::reconfigure(const ResolverSettings& settings) {
  asio::post(io_, [this, settings] { apply(settings); });
}

void Forwarder::apply(const ResolverSettings& settings) {
  if (settings.recursors != settings_.recursors) cache_.clear();
  settings_ = settings;
  addresses_.clear();
  for (const auto& u : settings_.recursors) addresses_.push_back(asio::ip::make_address(u.address));
}

void Forwarder::handle(QuestionKey key, bool tcp, Completion done) {
  const auto now = monotonic_ms();
  const auto* name = reinterpret_cast<const std::uint8_t*>(key.name.data());
  if (const auto* hit = cache_.find(key.hash(), name, key.qtype, key.qclass, key.flags, now)) {
    ++counts_.cache_hits;
    done(*hit);
    return;
  }
  std::string pending_key = pending_key_of(key);
  if (auto it = pending_.find(pending_key); it != pending_.end()) {
    if (it->second.waiters.size() < max_waiters) {
      ++counts_.coalesced;
      it->second.waiters.push_back(std::move(done));
      return;
    }
  } else if (addresses_.empty()) {
    // A reload just took the recursors away; the answer table that stops
    // sending us questions is on its way.
    done(failure_answer(std::move(key), wire::rcode::servfail, 0, now));
    return;
  } else if (pending_.size() < static_cast<std::size_t>(settings_.max_outstanding)) {
    pending_[pending_key].waiters.push_back(std::move(done));
    asio::co_spawn(io_, resolve(std::move(key), std::move(pending_key), tcp), fail_loudly("forwarding a question"));
    return;
  }
  ++counts_.overloaded;
  if (overloaded_log_.due()) {
    spdlog::warn("event=forward_overloaded in_flight={} limit={} refused_total={} hint=\"clients get SERVFAIL; if "
                 "the recursors are slow, check them; if this is normal load, raise "
                 "dns_config.recursor_max_outstanding\"",
                 pending_.size(), settings_.max_outstanding, counts_.overloaded);
  }
  done(failure_answer(std::move(key), wire::rcode::servfail, 0, now));
}

asio::awaitable<Exchange> Forwarder::ask(std::size_t recursor, const QuestionKey& key, bool tcp) {
  // Copies: a reload may replace the settings while we wait.
  const auto u = settings_.recursors[recursor];
  const auto address = addresses_[recursor];
  const auto timeout = settings_.timeout;
  auto query = make_query(key, random_.next(), payload_);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const auto dropped_before = counts_.dropped.wrong_source + counts_.dropped.wrong_question;
  ++counts_.upstream_questions;
  // No co_await inside ?: -- g++ 12 destroys the result early there.
  Exchange x;
  if (tcp) x = co_await ask_tcp({address, u.port}, std::move(query), key, deadline, counts_.dropped);
  else x = co_await ask_udp({address, u.port}, std::move(query), key, deadline, counts_.dropped);
  if (counts_.dropped.wrong_source + counts_.dropped.wrong_question != dropped_before && dropped_log_.due()) {
    // What a spoofing attempt looks like (or a confused recursor): said,
    // with the totals, and otherwise ignored.
    spdlog::warn("event=upstream_answer_dropped recursor={} question={} wrong_source_total={} "
                 "wrong_question_total={} hint=\"answers not from the address asked, or not for the question "
                 "asked, were ignored; many of them mean someone is trying to spoof answers\"",
                 endpoint_text(u), logfmt_value(shown(key)), counts_.dropped.wrong_source,
                 counts_.dropped.wrong_question);
  }
  if (x.outcome == Exchange::Outcome::truncated) {
    // Too big for UDP: the same recursor over TCP, with a fresh ID and time.
    ++counts_.upstream_questions;
    x = co_await ask_tcp({address, u.port}, make_query(key, random_.next(), payload_), key,
                         std::chrono::steady_clock::now() + timeout, counts_.dropped);
  }
  co_return x;
}

asio::awaitable<void> Forwarder::resolve(QuestionKey key, std::string pending_key, bool tcp) {
  // The settings may change while we wait: keep the ones we started with.
  const std::size_t count = settings_.recursors.size();
  std::vector<std::size_t> order(count);
  std::iota(order.begin(), order.end(), 0);
  if (settings_.strategy == ResolverSettings::Strategy::random)
    for (std::size_t i = count; i > 1; --i) std::swap(order[i - 1], order[random_.below(static_cast<std::uint32_t>(i))]);
  const auto recursors = settings_.recursors;

  std::shared_ptr<const CachedAnswer> answer;
  std::vector<std::string> problems;
  for (std::size_t index : order) {
    if (index >= settings_.recursors.size() || settings_.recursors[index] != recursors[index]) break;  // reloaded
    Exchange x = co_await ask(index, key, tcp);
    std::string problem = x.problem;
    if (x.outcome == Exchange::Outcome::answered) {
      const std::uint8_t rc = x.reply[3] & 0x0F;
      if (rc == wire::rcode::noerror || rc == wire::rcode::nxdomain) {
        auto cached = cache_reply(x.reply, key, monotonic_ms());
        if (cached) {
          answer = std::move(*cached);
          break;
        }
        problem = "unusable answer: " + cached.error().message;
      } else {
        problem = fmt::format("answered rcode {}", rc);
      }
    }
    problems.push_back(fmt::format("{} {}", endpoint_text(recursors[index]), problem));
  }
  if (!answer) {
    ++counts_.failed;
    answer = failure_answer(key, wire::rcode::servfail, failure_ttl, monotonic_ms());
    if (failed_log_.due()) {
      spdlog::warn("event=forward_failed question={} tried={} failed_total={} hint=\"clients get SERVFAIL; check "
                   "the recursors (recursors, dns_config.recursor_timeout)\"",
                   logfmt_value(shown(key)), logfmt_value(fmt::format("{}", fmt::join(problems, "; "))),
                   counts_.failed);
    }
  } else if (!problems.empty() && spdlog::should_log(spdlog::level::debug)) {
    spdlog::debug("event=forward_retried question={} failed={}", logfmt_value(shown(key)),
                  logfmt_value(fmt::format("{}", fmt::join(problems, "; "))));
  }
  cache_.insert(answer, monotonic_ms());
  auto node = pending_.extract(pending_key);
  if (node.empty()) co_return;
  for (auto& done : node.mapped().waiters) done(answer);
}

}  // namespace failoverdns::resolver
