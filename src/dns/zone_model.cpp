#include "zone_model.hpp"

#include <time.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <unordered_set>
#include <utility>

namespace failoverdns::dns {

QtypeSlot slot_of(std::uint16_t qtype) noexcept {
  switch (qtype) {
    case rrtype::a: return QtypeSlot::a;
    case rrtype::aaaa: return QtypeSlot::aaaa;
    case rrtype::srv: return QtypeSlot::srv;
    case rrtype::any: return QtypeSlot::any;
    case rrtype::soa: return QtypeSlot::soa;
    case rrtype::ns: return QtypeSlot::ns;
    case rrtype::ptr: return QtypeSlot::ptr;
    case rrtype::txt: return QtypeSlot::txt;
    default: return QtypeSlot::other;
  }
}

namespace {

using Instances = std::vector<const Instance*>;

template <class... Labels>
std::optional<WireName> join(const WireName& suffix, Labels... labels) {
  std::array<std::string_view, sizeof...(Labels)> list{std::string_view(labels)...};
  return make_name(list, suffix);
}

std::uint32_t ttl_seconds(Seconds s) {
  auto count = s.count();
  if (count <= 0) return 0;
  // RFC 2181: TTLs are 31-bit.
  return static_cast<std::uint32_t>(std::min<long long>(count, std::numeric_limits<std::int32_t>::max()));
}

bool visible(const Instance& in, const DnsSettings& dns) {
  if (in.health == Health::critical) return false;
  return in.health == Health::passing || !dns.only_passing;
}

std::size_t slot(QtypeSlot s) { return static_cast<std::size_t>(s); }

enum class Family { v4, v6, both };

std::optional<AnswerSpec> address_answer(const WireName& owner, const std::vector<IpAddress>& addresses,
                                         std::uint32_t ttl, Family family) {
  AnswerSpec spec;
  spec.address_records = true;
  for (const auto& ip : addresses) {
    if ((family == Family::v4 && ip.v6) || (family == Family::v6 && !ip.v6)) continue;
    spec.items.push_back({address_record(owner, ip, ttl), {}});
  }
  if (spec.items.empty()) return std::nullopt;
  return spec;
}

// "2026-12-02T16:03:11Z": RFC 3339, UTC, whole seconds.
std::string utc_text(std::chrono::sys_seconds t) {
  std::time_t time = t.time_since_epoch().count();
  std::tm tm{};
  gmtime_r(&time, &tm);
  char buf[32];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf, n);
}

// One line of _status.<svc>: what an operator asks first, as key=value.
std::string status_text(const Instance& in, const FailoverSummary* status) {
  // Appends only: g++ 12 -O2 warns falsely (-Wrestrict) on "literal" + string.
  std::string text;
  auto field = [&](std::string_view key, std::string_view value) {
    if (!text.empty()) text += ' ';
    text += key;
    text += '=';
    text += value;
  };
  field("node", in.node);
  field("id", in.id);
  field("role", to_string(in.role));
  field("health", to_string(in.health));
  field("lag", in.lag ? std::to_string(*in.lag) : std::string("unknown"));
  field("epoch", std::to_string(status ? status->epoch : 0));
  // "since" belongs to the primary role: it is when this instance became
  // the primary. Replicas have no such moment worth showing (a replica
  // drops out and back with every hiccup), so they leave it out.
  if (in.role == Role::primary)
    field("since", status && status->primary_since ? utc_text(*status->primary_since) : std::string("unknown"));
  return text;
}

void add_unique(std::vector<IpAddress>& list, const IpAddress& ip) {
  if (std::ranges::find(list, ip) == list.end()) list.push_back(ip);
}

class ModelBuilder {
 public:
  ModelBuilder(const Catalog& catalog, std::uint32_t serial) : catalog_(catalog), serial_(serial) {
    for (const auto& in : catalog.instances) {
      if (std::ranges::find(services_, in.service) == services_.end()) services_.push_back(in.service);
      if (std::ranges::find(node_order_, in.node) == node_order_.end()) node_order_.push_back(in.node);
      add_unique(node_addresses_[in.node], in.address);
    }
    if (valid_label(catalog.datacenter)) model_.datacenter = WireName(1, static_cast<char>(catalog.datacenter.size())) + catalog.datacenter;
  }

  ZoneModel build() {
    std::vector<std::string> domains{catalog_.domain};
    if (!catalog_.alt_domain.empty() && catalog_.alt_domain != catalog_.domain) domains.push_back(catalog_.alt_domain);
    for (const auto& domain : domains) {
      auto apex = name_from_text(domain);
      if (!apex) continue;  // config validation keeps this from happening
      add_zone(*apex);
    }
    add_empty_non_terminals();
    return std::move(model_);
  }

 private:
  NameSpec* add(const WireName& name, std::size_t zone) {
    // The first definition wins should two forms spell the same name.
    auto [it, inserted] = index_.emplace(name, model_.names.size());
    if (!inserted) return nullptr;
    model_.names.push_back(NameSpec{name, zone, {}, false});
    return &model_.names.back();
  }

  void add_zone(const WireName& apex) {
    std::size_t zone = model_.zones.size();
    const auto& soa_settings = catalog_.dns.soa;
    auto ns_name = join(apex, "ns");
    auto hostmaster = join(apex, "hostmaster");
    if (!ns_name || !hostmaster) return;  // apex too long to hold the server names

    Record soa;
    soa.owner = apex;
    soa.type = rrtype::soa;
    soa.ttl = apex_ttl;
    soa.soa = SoaData{*ns_name, *hostmaster, serial_, soa_settings.refresh, soa_settings.retry,
                      soa_settings.expire, soa_settings.min_ttl};
    Record negative = soa;
    // RFC 2308 section 5: negative answers live min(SOA TTL, SOA MINIMUM).
    negative.ttl = std::min(apex_ttl, soa_settings.min_ttl);
    model_.zones.push_back(Zone{apex, negative});

    Record ns;
    ns.owner = apex;
    ns.type = rrtype::ns;
    ns.ttl = apex_ttl;
    ns.ns = *ns_name;
    std::vector<Record> glue;
    for (const auto& ip : catalog_.ns_addresses) glue.push_back(address_record(*ns_name, ip, apex_ttl));

    if (NameSpec* spec = add(apex, zone)) {
      spec->answers[slot(QtypeSlot::soa)] = AnswerSpec{{{soa, {}}}, false, false, {}};
      spec->answers[slot(QtypeSlot::ns)] = AnswerSpec{{{ns, {}}}, false, false, glue};
      spec->answers[slot(QtypeSlot::any)] = AnswerSpec{{{soa, {}}, {ns, {}}}, false, false, glue};
    }
    if (NameSpec* spec = add(*ns_name, zone)) {
      std::vector<IpAddress> addresses;
      for (const auto& ip : catalog_.ns_addresses) add_unique(addresses, ip);
      spec->answers[slot(QtypeSlot::a)] = address_answer(*ns_name, addresses, apex_ttl, Family::v4);
      spec->answers[slot(QtypeSlot::aaaa)] = address_answer(*ns_name, addresses, apex_ttl, Family::v6);
      spec->answers[slot(QtypeSlot::any)] = address_answer(*ns_name, addresses, apex_ttl, Family::both);
    }

    // SRV targets always name the datacenter, as Consul's do.
    WireName dc_suffix = model_.datacenter.empty() ? apex : model_.datacenter + apex;
    auto target_suffix = join(dc_suffix, "node");
    add_forms(apex, zone, target_suffix);
    if (!model_.datacenter.empty()) add_forms(dc_suffix, zone, target_suffix);
    if (zone == 0 && target_suffix) add_reverse_names(zone, *target_suffix);
  }

  // dig -x <node address>: PTR <node>.node.<dc>.<domain>, as Consul
  // answers (every node with that address, in catalog order).
  void add_reverse_names(std::size_t zone, const WireName& target_suffix) {
    const std::uint32_t ttl = ttl_seconds(catalog_.dns.node_ttl);
    std::vector<std::pair<WireName, AnswerSpec>> names;
    for (const auto& node : node_order_) {
      auto target = join(target_suffix, node);
      if (!target) continue;
      for (const auto& ip : node_addresses_[node]) {
        auto name = reverse_name(ip);
        if (!name) continue;
        auto it = std::ranges::find_if(names, [&](const auto& n) { return n.first == *name; });
        if (it == names.end()) it = names.insert(names.end(), {*name, AnswerSpec{{}, false, false, {}}});
        Record ptr;
        ptr.owner = *name;
        ptr.type = rrtype::ptr;
        ptr.ttl = ttl;
        ptr.ns = *target;
        it->second.items.push_back({ptr, {}});
      }
    }
    for (auto& [name, spec] : names) {
      NameSpec* added = add(name, zone);
      if (!added) continue;
      added->answers[slot(QtypeSlot::ptr)] = spec;
      added->answers[slot(QtypeSlot::any)] = spec;
      reverse_.insert(name);
    }
  }

  static std::optional<WireName> reverse_name(const IpAddress& ip) {
    std::string text;
    if (ip.v6) {
      static constexpr char hex[] = "0123456789abcdef";
      for (std::size_t i = 16; i-- > 0;) {
        text += hex[ip.bytes[i] & 0x0F];
        text += '.';
        text += hex[ip.bytes[i] >> 4];
        text += '.';
      }
      text += "ip6.arpa";
    } else {
      for (std::size_t i = 4; i-- > 0;) text += std::to_string(ip.bytes[i]) + ".";
      text += "in-addr.arpa";
    }
    return name_from_text(text);
  }

  // Everything below <suffix> = <domain> or <dc>.<domain>.
  void add_forms(const WireName& suffix, std::size_t zone, const std::optional<WireName>& target_suffix) {
    if (auto addr = join(suffix, "addr")) add(*addr, zone);  // <hex>.addr is answered at query time
    auto service_suffix = join(suffix, "service");
    auto node_suffix = join(suffix, "node");
    if (service_suffix && target_suffix) {
      for (const auto& service : services_) add_service(service, suffix, *service_suffix, zone, *target_suffix);
    }
    if (node_suffix) {
      std::uint32_t ttl = ttl_seconds(catalog_.dns.node_ttl);
      for (const auto& node : node_order_) {
        auto name = join(*node_suffix, node);
        if (!name) continue;
        NameSpec* spec = add(*name, zone);
        if (!spec) continue;
        const auto& addresses = node_addresses_[node];
        spec->answers[slot(QtypeSlot::a)] = address_answer(*name, addresses, ttl, Family::v4);
        spec->answers[slot(QtypeSlot::aaaa)] = address_answer(*name, addresses, ttl, Family::v6);
        spec->answers[slot(QtypeSlot::any)] = address_answer(*name, addresses, ttl, Family::both);
      }
    }
  }

  // <svc>.service, <tag>.<svc>.service and the RFC 2782 SRV names, which
  // Consul also answers without the "service" label (_<svc>._tcp.<suffix>).
  void add_service(const std::string& service, const WireName& suffix, const WireName& service_suffix,
                   std::size_t zone, const WireName& target_suffix) {
    const auto& dns = catalog_.dns;
    Instances bare;
    std::map<std::string, Instances> tagged;
    bool failover = catalog_.under_failover(service);
    for (const auto& in : catalog_.instances) {
      if (in.service != service || !visible(in, dns)) continue;
      if (failover) {
        // Roles replace configured tags: a stale "master" tag in a Consul
        // service definition must not send writes to a replica.
        if (in.role == Role::primary) {
          bare.push_back(&in);
          tagged["master"].push_back(&in);
          tagged["primary"].push_back(&in);
        } else if (in.role == Role::replica) {
          tagged["replica"].push_back(&in);
          tagged["slave"].push_back(&in);
        }
      } else {
        bare.push_back(&in);
        for (const auto& tag : in.tags) {
          auto& list = tagged[tag];
          if (std::ranges::find(list, &in) == list.end()) list.push_back(&in);
        }
      }
    }
    std::uint32_t ttl = ttl_seconds(dns.ttl_for_service(service));
    std::string underscored = "_" + service;

    // A failover service without a primary answers NXDOMAIN for its bare
    // name even while replica.<svc> exists: an application must see "no
    // such host", never a replica. RFC 8020 cuts below an NXDOMAIN are only
    // taken on DNSSEC-validated denials, and this zone is unsigned.
    if (bare.empty() && failover) {
      if (auto name = join(service_suffix, service)) absent_.insert(*name);
    }
    auto add_rfc2782 = [&](const std::string& second, const Instances& list) {
      for (const WireName* under : {&service_suffix, &suffix})
        if (auto name = join(*under, underscored, second)) add_srv_name(*name, zone, list, ttl, target_suffix);
    };
    if (!bare.empty()) {
      if (auto name = join(service_suffix, service)) add_service_name(*name, zone, bare, ttl, target_suffix);
      add_rfc2782("_tcp", bare);
    }
    for (const auto& [tag, list] : tagged) {
      if (auto name = join(service_suffix, tag, service)) {
        add_service_name(*name, zone, list, ttl, target_suffix);
        if (failover && (tag == "replica" || tag == "slave")) add_lag_spec(*name, zone, list, ttl, target_suffix);
      }
      if (tag == "tcp") continue;  // _<svc>._tcp means "no tag filter"
      add_rfc2782("_" + tag, list);
    }
    if (failover) add_status_name(service, service_suffix, zone);
  }

  // _status.<svc>: a troubleshooting view, so every instance in every role
  // and health, in configuration order, at TTL 0 (it must never be stale).
  void add_status_name(const std::string& service, const WireName& service_suffix, std::size_t zone) {
    auto name = join(service_suffix, "_status", service);
    if (!name) return;
    auto it = catalog_.failover_summary.find(service);
    const FailoverSummary* status = it == catalog_.failover_summary.end() ? nullptr : &it->second;
    AnswerSpec spec;
    spec.rotate = false;
    for (const auto& in : catalog_.instances) {
      if (in.service != service) continue;
      Record txt;
      txt.owner = *name;
      txt.type = rrtype::txt;
      txt.ttl = 0;
      txt.txt = status_text(in, status);
      spec.items.push_back({std::move(txt), {}});
    }
    if (spec.items.empty()) return;
    NameSpec* added = add(*name, zone);
    if (!added) return;
    added->answers[slot(QtypeSlot::txt)] = spec;
    added->answers[slot(QtypeSlot::any)] = spec;
  }

  void add_lag_spec(const WireName& base, std::size_t zone, const Instances& list, std::uint32_t ttl,
                    const WireName& target_suffix) {
    for (const auto& other : model_.lag_names)
      if (other.base == base) return;  // the first definition wins, as for add()
    LagSpec lag{base, zone, {}, {}};
    for (const Instance* in : list)
      if (in->lag) lag.lags.push_back(*in->lag);
    if (lag.lags.empty()) return;  // as good as no replica: NXDOMAIN
    std::ranges::sort(lag.lags);
    for (std::uint32_t bound : lag.lags) {
      Instances within;  // configuration order, as <tag>.<svc>
      for (const Instance* in : list)
        if (in->lag && *in->lag <= bound) within.push_back(in);
      std::vector<IpAddress> addresses;
      for (const Instance* in : within) add_unique(addresses, in->address);
      auto& answers = lag.answers.emplace_back();
      answers[slot(QtypeSlot::a)] = address_answer(base, addresses, ttl, Family::v4);
      answers[slot(QtypeSlot::aaaa)] = address_answer(base, addresses, ttl, Family::v6);
      answers[slot(QtypeSlot::any)] = address_answer(base, addresses, ttl, Family::both);
      answers[slot(QtypeSlot::srv)] = srv_answer(base, within, ttl, target_suffix);
    }
    model_.lag_names.push_back(std::move(lag));
  }

  void add_service_name(const WireName& name, std::size_t zone, const Instances& list, std::uint32_t ttl,
                        const WireName& target_suffix) {
    NameSpec* spec = add(name, zone);
    if (!spec) return;
    std::vector<IpAddress> addresses;
    for (const Instance* in : list) add_unique(addresses, in->address);
    spec->answers[slot(QtypeSlot::a)] = address_answer(name, addresses, ttl, Family::v4);
    spec->answers[slot(QtypeSlot::aaaa)] = address_answer(name, addresses, ttl, Family::v6);
    spec->answers[slot(QtypeSlot::any)] = address_answer(name, addresses, ttl, Family::both);
    spec->answers[slot(QtypeSlot::srv)] = srv_answer(name, list, ttl, target_suffix);
  }

  void add_srv_name(const WireName& name, std::size_t zone, const Instances& list, std::uint32_t ttl,
                    const WireName& target_suffix) {
    NameSpec* spec = add(name, zone);
    if (!spec) return;
    spec->answers[slot(QtypeSlot::srv)] = srv_answer(name, list, ttl, target_suffix);
    spec->any_is_srv = true;
  }

  std::optional<AnswerSpec> srv_answer(const WireName& owner, const Instances& list, std::uint32_t ttl,
                                       const WireName& target_suffix) {
    AnswerSpec spec;
    std::unordered_set<std::string> seen;
    for (const Instance* in : list) {
      auto target = join(target_suffix, in->node);
      if (!target) continue;
      AnswerItem item;
      item.answer.owner = owner;
      item.answer.type = rrtype::srv;
      item.answer.ttl = ttl;
      item.answer.srv = SrvData{1, in->health == Health::warning ? in->weight_warning : in->weight_passing,
                                in->port, *target};
      if (!seen.insert(rr_key(item.answer)).second) continue;
      // The target's whole address set, as <node>.node answers it: an RRset
      // in the additional section must be complete. At the service's TTL,
      // as Consul's: a client caching the SRV answer keeps both as long.
      for (const auto& ip : node_addresses_[in->node]) item.additional.push_back(address_record(*target, ip, ttl));
      spec.items.push_back(std::move(item));
    }
    if (spec.items.empty()) return std::nullopt;
    return spec;
  }

  // RFC 8020: a resolver that sees NXDOMAIN may treat everything below as
  // nonexistent, so every ancestor of a name we define must exist (NODATA).
  void add_empty_non_terminals() {
    std::size_t defined = model_.names.size();
    for (std::size_t i = 0; i < defined; ++i) {
      if (reverse_.contains(model_.names[i].name)) continue;  // not under the zone's apex
      std::size_t zone = model_.names[i].zone;
      const WireName& apex = model_.zones[zone].apex;
      WireName name = parent_of(model_.names[i].name);
      while (name.size() > apex.size()) {
        if (!absent_.contains(name)) add(name, zone);
        name = parent_of(name);
      }
    }
  }

  const Catalog& catalog_;
  std::uint32_t serial_;
  ZoneModel model_;
  std::map<WireName, std::size_t> index_;
  std::set<WireName> absent_;  // names that must stay NXDOMAIN, not empty non-terminals
  std::set<WireName> reverse_;  // PTR names: outside every zone of ours
  std::vector<std::string> services_;
  std::vector<std::string> node_order_;
  std::map<std::string, std::vector<IpAddress>> node_addresses_;
};

}  // namespace

ZoneModel build_zone_model(const Catalog& catalog, std::uint32_t serial) {
  return ModelBuilder(catalog, serial).build();
}

}  // namespace failoverdns::dns
