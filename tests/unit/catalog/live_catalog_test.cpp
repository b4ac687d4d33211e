#include <doctest/doctest.h>

#include "failoverdns/catalog/live_catalog.hpp"

using namespace failoverdns;

namespace {

Catalog pair_catalog() {
  Catalog c;
  c.datacenter = "dc1";
  c.domain = "consul";
  c.failover_services = {"mysql"};
  for (auto [id, ip] : {std::pair{"node1", "127.0.0.11"}, std::pair{"node2", "127.0.0.12"}}) {
    Instance in;
    in.id = id;
    in.service = "mysql";
    in.node = id;
    in.address = *IpAddress::parse(ip);
    c.instances.push_back(in);
  }
  return c;
}

}  // namespace

TEST_CASE("LiveCatalog tells the listener about effective changes only") {
  int calls = 0;
  Catalog seen;
  LiveCatalog live(pair_catalog(), [&](const Catalog& c) {
    ++calls;
    seen = c;
  });

  CHECK_FALSE(live.set_health("node1", Health::passing));  // already passing
  CHECK(calls == 0);
  CHECK(live.set_health("node1", Health::critical));
  CHECK(calls == 1);
  CHECK(seen.instances[0].health == Health::critical);
  CHECK_FALSE(live.set_health("unknown", Health::critical));

  // Service names are lower-case everywhere once the config is loaded.
  CHECK(live.set_roles("mysql", {{"node1", Role::primary}, {"node2", Role::replica}}));
  CHECK(calls == 2);
  CHECK_FALSE(live.set_roles("mysql", {{"node1", Role::primary}, {"node2", Role::replica}}));
  CHECK(calls == 2);
  // An instance left out of the decider's roles loses its role.
  CHECK(live.set_roles("mysql", {{"node2", Role::primary}}));
  CHECK(seen.instances[0].role == Role::none);
  CHECK(seen.instances[1].role == Role::primary);
}

TEST_CASE("LiveCatalog keeps health and roles across a reload") {
  LiveCatalog live(pair_catalog(), nullptr);
  live.set_health("node2", Health::warning);
  live.set_roles("mysql", {{"node1", Role::primary}});
  Catalog next = pair_catalog();
  next.instances[1].address = *IpAddress::parse("127.0.0.13");
  live.replace_base(next);
  CHECK(live.current().instances[1].health == Health::warning);
  CHECK(live.current().instances[1].address == *IpAddress::parse("127.0.0.13"));
  CHECK(live.current().instances[0].role == Role::primary);
}

TEST_CASE("LiveCatalog::Batch publishes a decision once, with all of it") {
  int calls = 0;
  Catalog seen;
  LiveCatalog live(pair_catalog(), [&](const Catalog& c) {
    ++calls;
    seen = c;
  });
  {
    LiveCatalog::Batch outer(live);
    live.set_roles("mysql", {{"node1", Role::fenced}, {"node2", Role::primary}});
    {
      LiveCatalog::Batch inner(live);
      live.set_health("node1", Health::critical);
    }
    CHECK(calls == 0);
  }
  CHECK(calls == 1);
  CHECK(seen.instances[0].health == Health::critical);
  CHECK(seen.instances[1].role == Role::primary);
  { LiveCatalog::Batch nothing(live); }
  CHECK(calls == 1);
}

TEST_CASE("LiveCatalog: failover status and lags; a lag-only change is told apart") {
  int calls = 0;
  bool lag_only = false;
  Catalog seen;
  LiveCatalog* self = nullptr;
  LiveCatalog live(pair_catalog(), [&](const Catalog& c) {
    ++calls;
    seen = c;
    lag_only = self->only_lag_changed();
  });
  self = &live;
  FailoverSummary status{1, std::chrono::sys_seconds(std::chrono::seconds(1000))};

  CHECK(live.set_failover_summary("mysql", status, {{"node1", 0}, {"node2", 4}}));
  CHECK(calls == 1);
  CHECK_FALSE(lag_only);  // the first status is news
  CHECK(seen.failover_summary.at("mysql") == status);
  CHECK(seen.instances[0].lag == 0u);
  CHECK(seen.instances[1].lag == 4u);

  CHECK_FALSE(live.set_failover_summary("mysql", status, {{"node1", 0}, {"node2", 4}}));
  CHECK(calls == 1);
  CHECK(live.set_failover_summary("mysql", status, {{"node1", 0}, {"node2", 5}}));
  CHECK(calls == 2);
  CHECK(lag_only);
  CHECK_FALSE(live.only_lag_changed());  // only while the listener runs
  // An instance left out has an unknown lag.
  CHECK(live.set_failover_summary("mysql", status, {{"node1", 0}}));
  CHECK_FALSE(seen.instances[1].lag.has_value());
  CHECK(lag_only);

  status.epoch = 2;
  CHECK(live.set_failover_summary("mysql", status, {{"node1", 0}}));
  CHECK_FALSE(lag_only);

  // In a batch: lag-only only if every change in it is.
  {
    LiveCatalog::Batch batch(live);
    live.set_failover_summary("mysql", status, {{"node1", 0}, {"node2", 1}});
    live.set_roles("mysql", {{"node1", Role::primary}});
  }
  CHECK(calls == 5);
  CHECK_FALSE(lag_only);
  {
    LiveCatalog::Batch batch(live);
    live.set_roles("mysql", {{"node1", Role::primary}});  // no change
    live.set_failover_summary("mysql", status, {{"node1", 0}, {"node2", 2}});
  }
  CHECK(calls == 6);
  CHECK(lag_only);

  // A reload keeps them.
  live.replace_base(pair_catalog());
  CHECK(live.current().instances[1].lag == 2u);
  CHECK(live.current().failover_summary.at("mysql") == status);
}
