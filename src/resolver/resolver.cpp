#include "failoverdns/resolver/resolver.hpp"

#include <boost/asio/post.hpp>

#include "answer_cache.hpp"
#include "cached_answer.hpp"
#include "failoverdns/support/published.hpp"
#include "forwarder.hpp"
#include "failoverdns/support/network_acl.hpp"

namespace failoverdns {

using namespace resolver;

namespace {

// What the DNS threads read at every forwarded query; replaced at reload.
struct Policy {
  NetworkAcl acl;
  std::uint16_t payload;
  std::uint64_t cache_epoch;  // moves when the recursors change: caches empty themselves
};

}  // namespace

struct Resolver::Impl {
  Impl(const ResolverSettings& s, std::uint16_t payload)
      : settings(s), forwarder(s, payload), policy(std::make_shared<const Policy>(Policy{NetworkAcl(s.acl), payload, 0})) {}

  ResolverSettings settings;  // control plane's copy
  std::uint64_t epoch = 0;
  Forwarder forwarder;
  Published<Policy> policy;
};

Resolver::Resolver(const ResolverSettings& settings, std::uint16_t payload)
    : impl_(std::make_unique<Impl>(settings, payload)) {}

Resolver::~Resolver() { stop(); }

void Resolver::start() { impl_->forwarder.start(); }
void Resolver::stop() { impl_->forwarder.stop(); }

void Resolver::reconfigure(const ResolverSettings& settings, std::uint16_t payload) {
  ResolverSettings next = settings;
  next.cache_size = impl_->settings.cache_size;  // sized at start
  if (next.recursors != impl_->settings.recursors) ++impl_->epoch;
  impl_->settings = next;
  impl_->forwarder.reconfigure(next);
  impl_->policy.publish(std::make_shared<const Policy>(Policy{NetworkAcl(next.acl), payload, impl_->epoch}));
}

struct Resolver::Session::State {
  State(Resolver::Impl& resolver, boost::asio::any_io_executor executor)
      : impl(resolver), home(std::move(executor)), policy(resolver.policy),
        cache(static_cast<std::size_t>(resolver.settings.cache_size)), scratch(65535) {}

  const Policy& current_policy() noexcept {
    const Policy& p = policy.get();
    if (p.cache_epoch != epoch) {
      cache.clear();
      epoch = p.cache_epoch;
    }
    return p;
  }

  Resolver::Impl& impl;
  boost::asio::any_io_executor home;
  Published<Policy>::Reader policy;
  std::uint64_t epoch = 0;
  AnswerCache cache;
  std::vector<std::uint8_t> scratch;  // where forwarded answers are relayed
};

Resolver::Session::Session(Resolver& resolver, boost::asio::any_io_executor home)
    : state_(std::make_shared<State>(*resolver.impl_, std::move(home))) {}

Resolver::Session::~Session() = default;

Resolver::Session::Step Resolver::Session::handle(std::span<const std::uint8_t> query, const ForwardedQuestion& q,
                                                  const sockaddr* peer, Transport transport,
                                                  std::span<std::uint8_t> response, std::size_t& length) noexcept {
  State& s = *state_;
  const Policy& policy = s.current_policy();
  if (!policy.acl.allows(peer)) return Step::refused;
  const std::int64_t now = monotonic_ms();
  const std::uint8_t flags = QuestionKey::flags_of(q);
  const auto* hit = s.cache.find(key_hash(q.name_hash, q.qtype, q.qclass, flags), query.data() + 12, q.qtype,
                                 q.qclass, flags, now);
  if (!hit) return Step::miss;
  length = relay(**hit, query, q, transport, policy.payload, now, response);
  return Step::answered;
}

void Resolver::Session::forward(std::span<const std::uint8_t> query, const ForwardedQuestion& q, Transport transport,
                                Deliver deliver) {
  // What relaying needs of the query: its header and question.
  std::vector<std::uint8_t> asked(query.begin(), query.begin() + 12 + q.name_length + 4);
  auto arrived = [state = state_, asked = std::move(asked), q, transport,
                  deliver = std::move(deliver)](std::shared_ptr<const CachedAnswer> answer) mutable {
    // Forwarder thread: hand over to the asking thread.
    auto home = state->home;
    boost::asio::post(home, [state = std::move(state), asked = std::move(asked), q, transport,
                             deliver = std::move(deliver), answer = std::move(answer)] {
      const std::int64_t now = monotonic_ms();
      const Policy& policy = state->current_policy();
      state->cache.insert(answer, now);
      const std::size_t length = relay(*answer, asked, q, transport, policy.payload, now, state->scratch);
      deliver(std::span<const std::uint8_t>(state->scratch.data(), length));
    });
  };
  state_->impl.forwarder.submit(QuestionKey::of(query, q), transport == Transport::tcp, std::move(arrived));
}

}  // namespace failoverdns
