// AnswerTable::compile: renders the zone model into complete responses, one
// per (name, query type, rotation, UDP answer limit), and checks every one of
// them with ldns so a rendering bug fails the compile, not a client.
#include "failoverdns/dns/answer_table.hpp"

#include "ldns_wire.hpp"

#include <algorithm>
#include <bit>
#include <functional>
#include <stdexcept>
#include <string>
#include <unordered_set>

#include "answer_table_impl.hpp"
#include "wire_writer.hpp"
#include "zone_model.hpp"

namespace failoverdns {

using namespace dns;

namespace {

// Header flags of a pre-rendered positive or NODATA response: QR and AA.
constexpr std::uint16_t flags_qr_aa = 0x8400;

std::uint16_t qtype_for(QtypeSlot s) {
  switch (s) {
    case QtypeSlot::a: return rrtype::a;
    case QtypeSlot::aaaa: return rrtype::aaaa;
    case QtypeSlot::srv: return rrtype::srv;
    case QtypeSlot::any: return rrtype::any;
    case QtypeSlot::soa: return rrtype::soa;
    case QtypeSlot::ns: return rrtype::ns;
    case QtypeSlot::ptr: return rrtype::ptr;
    case QtypeSlot::txt: return rrtype::txt;
    case QtypeSlot::other: return rrtype::txt;
  }
  return rrtype::txt;
}

class TableCompiler {
 public:
  TableCompiler(const Catalog& catalog, AnswerTable::Impl& impl) : catalog_(catalog), impl_(impl) {}

  void compile(const ZoneModel& model) {
    model_ = &model;
    for (const auto& zone : model.zones) impl_.zones.push_back(zone_data(zone));
    impl_.datacenter.assign(model.datacenter.begin(), model.datacenter.end());
    for (const auto& spec : model.names) add_name(spec);
    for (const auto& lag : model.lag_names) add_lag_name(lag);
    build_index();
  }

 private:
  void add_name(const NameSpec& spec) {
    NameEntry entry;
    entry.key_offset = static_cast<std::uint32_t>(impl_.keys.size());
    entry.key_length = static_cast<std::uint16_t>(spec.name.size());
    entry.zone = static_cast<std::uint8_t>(spec.zone);
    impl_.keys.insert(impl_.keys.end(), spec.name.begin(), spec.name.end());
    entry.hash = name_hash(impl_.keys.data() + entry.key_offset, entry.key_length);

    std::uint32_t nodata = 0;
    bool have_nodata = false;
    for (std::size_t s = 0; s < qtype_slot_count; ++s) {
      const auto& answer = spec.answers[s];
      if (spec.any_is_srv && s == static_cast<std::size_t>(QtypeSlot::any)) continue;
      if (answer && !answer->items.empty()) {
        entry.answers[s] = add_answer(spec, static_cast<QtypeSlot>(s), *answer);
        continue;
      }
      // Every type without data shares one NODATA response: the question is
      // overwritten from the query, so the qtype in it does not matter.
      if (!have_nodata) {
        nodata = static_cast<std::uint32_t>(impl_.answers.size());
        Answer a;
        a.first_variant = a.first_limited = render(spec, qtype_for(static_cast<QtypeSlot>(s)), {}, nullptr);
        impl_.answers.push_back(a);
        have_nodata = true;
      }
      entry.answers[s] = nodata;
    }
    if (spec.any_is_srv) {
      entry.answers[static_cast<std::size_t>(QtypeSlot::any)] = entry.answers[static_cast<std::size_t>(QtypeSlot::srv)];
    }
    impl_.names.push_back(entry);
  }

  std::uint32_t add_answer(const NameSpec& spec, QtypeSlot s, const AnswerSpec& answer) {
    return add_answer(answer, [&](const std::vector<const AnswerItem*>& order) {
      return render(spec, qtype_for(s), order, &answer);
    });
  }

  void add_lag_name(const LagSpec& lag) {
    LagName entry;
    entry.key_offset = static_cast<std::uint32_t>(impl_.keys.size());
    entry.key_length = static_cast<std::uint16_t>(lag.base.size());
    entry.zone = static_cast<std::uint8_t>(lag.zone);
    impl_.keys.insert(impl_.keys.end(), lag.base.begin(), lag.base.end());
    entry.hash = name_hash(impl_.keys.data() + entry.key_offset, entry.key_length);
    entry.first = static_cast<std::uint32_t>(impl_.lag_bounds.size());
    entry.count = static_cast<std::uint32_t>(lag.lags.size());
    for (std::size_t j = 0; j < lag.lags.size(); ++j) {
      impl_.lag_bounds.push_back(lag.lags[j]);
      std::array<std::uint32_t, qtype_slot_count> row;
      row.fill(no_data);
      for (std::size_t s = 0; s < qtype_slot_count; ++s) {
        const auto& answer = lag.answers[j][s];
        if (!answer || answer->items.empty()) continue;
        row[s] = add_answer(*answer, [&](const std::vector<const AnswerItem*>& order) {
          return render_detached(lag, order, *answer);
        });
      }
      impl_.lag_answers.push_back(row);
    }
    impl_.lag_names.push_back(entry);
  }

  using Renderer = std::function<std::uint32_t(const std::vector<const AnswerItem*>&)>;

  std::uint32_t add_answer(const AnswerSpec& answer, const Renderer& render_order) {
    const auto& dns = catalog_.dns;
    std::size_t n = answer.items.size();
    std::size_t count = answer.rotate ? std::min(n, max_rotation_variants) : 1;
    std::size_t address_limit = answer.address_records && dns.a_record_limit > 0
                                    ? static_cast<std::size_t>(dns.a_record_limit)
                                    : n;
    std::size_t kept = std::min(n, address_limit);
    bool udp_limited = dns.udp_answer_limit > 0 && kept > static_cast<std::size_t>(dns.udp_answer_limit);

    std::vector<std::vector<const AnswerItem*>> orders;
    for (std::size_t k = 0; k < count; ++k) {
      std::size_t start = count == n ? k : k * n / count;
      std::vector<const AnswerItem*> order;
      for (std::size_t i = 0; i < kept; ++i) order.push_back(&answer.items[(start + i) % n]);
      orders.push_back(std::move(order));
    }

    Answer a;
    a.variant_count = static_cast<std::uint16_t>(count);
    a.first_variant = static_cast<std::uint32_t>(impl_.variants.size());
    for (const auto& order : orders) render_order(order);
    a.first_limited = a.first_variant;
    if (udp_limited) {
      a.limited_cut = true;
      a.first_limited = static_cast<std::uint32_t>(impl_.variants.size());
      for (auto order : orders) {
        order.resize(static_cast<std::size_t>(dns.udp_answer_limit));
        render_order(order);
      }
    }
    impl_.answers.push_back(a);
    return static_cast<std::uint32_t>(impl_.answers.size() - 1);
  }

  // Renders one response; no items and no spec means NODATA. Returns the
  // variant's index.
  std::uint32_t render(const NameSpec& spec, std::uint16_t qtype, const std::vector<const AnswerItem*>& items,
                       const AnswerSpec* answer) {
    WireWriter w(impl_.compress);
    w.u16(0);
    w.u16(flags_qr_aa);
    w.u16(1);
    w.u16(0);
    w.u16(0);
    w.u16(0);
    w.name(spec.name);
    w.u16(qtype);
    w.u16(class_in);

    std::vector<std::uint16_t> ends;
    bool full = false;
    // A message never exceeds what TCP can carry; records past that are cut.
    auto put = [&](const Record& rr) {
      if (full) return false;
      std::size_t before = w.size();
      w.record(rr);
      if (w.size() > max_response_size) {
        w.truncate(before);
        full = true;
        return false;
      }
      ends.push_back(static_cast<std::uint16_t>(w.size()));
      return true;
    };

    std::uint16_t an = 0, ns = 0, ar = 0;
    std::vector<const AnswerItem*> shown;
    for (const AnswerItem* item : items) {
      if (!put(item->answer)) break;
      ++an;
      shown.push_back(item);
    }
    if (!answer && put(model_->zones[spec.zone].negative_soa)) ++ns;
    std::unordered_set<std::string> added;
    auto add_additional = [&](const Record& rr) {
      if (added.insert(rr_key(rr)).second && put(rr)) ++ar;
    };
    for (const AnswerItem* item : shown) {
      for (const auto& rr : item->additional) add_additional(rr);
    }
    if (answer) {
      for (const auto& rr : answer->additional) add_additional(rr);
    }
    w.set_u16(6, an);
    w.set_u16(8, ns);
    w.set_u16(10, ar);

    Variant v;
    v.offset = static_cast<std::uint32_t>(impl_.arena.size());
    v.length = static_cast<std::uint16_t>(w.size());
    v.record_ends = static_cast<std::uint32_t>(impl_.record_ends.size());
    v.an = an;
    v.ns = ns;
    v.ar = ar;
    impl_.arena.insert(impl_.arena.end(), w.bytes().begin(), w.bytes().end());
    impl_.record_ends.insert(impl_.record_ends.end(), ends.begin(), ends.end());
    self_check(spec, v);
    impl_.variants.push_back(v);
    return static_cast<std::uint32_t>(impl_.variants.size() - 1);
  }

  // A lag-<N>s variant (see LagName): position-independent records the hot
  // path puts after the query's question, writing the query's name as each
  // answer's owner. Records that could not fit a TCP message under the
  // longest possible query name are left out, as render() does.
  std::uint32_t render_detached(const LagSpec& lag, const std::vector<const AnswerItem*>& items,
                                const AnswerSpec& answer) {
    std::vector<std::uint8_t> bytes;
    std::vector<std::uint16_t> ends;
    std::size_t worst = wire::header_size + max_name_length + 4;
    auto put = [&](const Record& rr, bool owner_is_qname) {
      WireWriter w(false);
      w.record(rr);
      std::size_t skip = owner_is_qname ? rr.owner.size() : 0;
      std::size_t cost = w.size() - skip + (owner_is_qname ? max_name_length : 0);
      if (worst + cost > max_response_size) return false;
      worst += cost;
      bytes.insert(bytes.end(), w.bytes().begin() + static_cast<std::ptrdiff_t>(skip), w.bytes().end());
      ends.push_back(static_cast<std::uint16_t>(bytes.size()));
      return true;
    };
    Variant v;
    std::vector<const AnswerItem*> shown;
    for (const AnswerItem* item : items) {
      if (!put(item->answer, true)) break;
      ++v.an;
      shown.push_back(item);
    }
    std::unordered_set<std::string> added;
    auto add_additional = [&](const Record& rr) {
      if (added.insert(rr_key(rr)).second && put(rr, false)) ++v.ar;
    };
    for (const AnswerItem* item : shown)
      for (const auto& rr : item->additional) add_additional(rr);
    for (const auto& rr : answer.additional) add_additional(rr);

    v.offset = static_cast<std::uint32_t>(impl_.arena.size());
    v.length = static_cast<std::uint16_t>(bytes.size());
    v.record_ends = static_cast<std::uint32_t>(impl_.record_ends.size());
    impl_.arena.insert(impl_.arena.end(), bytes.begin(), bytes.end());
    impl_.record_ends.insert(impl_.record_ends.end(), ends.begin(), ends.end());
    self_check_detached(lag, v);
    impl_.variants.push_back(v);
    return static_cast<std::uint32_t>(impl_.variants.size() - 1);
  }

  // The message the hot path would build for lag-0s.<base>, parsed by ldns.
  void self_check_detached(const LagSpec& lag, const Variant& v) const {
    static constexpr std::string_view label = "\6lag-0s";
    WireName qname = std::string(label) + lag.base;
    std::vector<std::uint8_t> m{0, 0, 0x84, 0, 0, 1};
    for (std::uint16_t count : {v.an, std::uint16_t{0}, v.ar}) {
      m.push_back(static_cast<std::uint8_t>(count >> 8));
      m.push_back(static_cast<std::uint8_t>(count));
    }
    m.insert(m.end(), qname.begin(), qname.end());
    m.insert(m.end(), {0, 1, 0, 1});
    const std::uint8_t* src = impl_.arena.data() + v.offset;
    const std::uint16_t* ends = impl_.record_ends.data() + v.record_ends;
    std::size_t start = 0;
    for (std::size_t i = 0; i < std::size_t{v.an} + v.ar; ++i) {
      if (i < v.an) {
        if (impl_.compress) {
          m.insert(m.end(), {0xC0, static_cast<std::uint8_t>(wire::header_size)});
        } else {
          m.insert(m.end(), qname.begin(), qname.end());
        }
      }
      m.insert(m.end(), src + start, src + ends[i]);
      start = ends[i];
    }
    ldns_pkt* pkt = nullptr;
    ldns_status status = ldns_wire2pkt(&pkt, m.data(), m.size());
    bool counts_match = status == LDNS_STATUS_OK && ldns_pkt_ancount(pkt) == v.an && ldns_pkt_arcount(pkt) == v.ar;
    if (pkt) ldns_pkt_free(pkt);
    if (status != LDNS_STATUS_OK || !counts_match) {
      throw std::logic_error("answer table: rendered lag response for " + to_text(qname) +
                             " does not parse: " + ldns_get_errorstr_by_id(status));
    }
  }

  // A response ldns cannot parse is a bug in this file; refuse to publish it.
  void self_check(const NameSpec& spec, const Variant& v) const {
    ldns_pkt* pkt = nullptr;
    ldns_status status = ldns_wire2pkt(&pkt, impl_.arena.data() + v.offset, v.length);
    bool counts_match = status == LDNS_STATUS_OK && ldns_pkt_ancount(pkt) == v.an && ldns_pkt_nscount(pkt) == v.ns &&
                        ldns_pkt_arcount(pkt) == v.ar;
    if (pkt) ldns_pkt_free(pkt);
    if (status != LDNS_STATUS_OK || !counts_match) {
      throw std::logic_error("answer table: rendered response for " + to_text(spec.name) +
                             " does not parse: " + ldns_get_errorstr_by_id(status));
    }
  }

  ZoneData zone_data(const Zone& zone) const {
    ZoneData z;
    z.apex.assign(zone.apex.begin(), zone.apex.end());
    WireWriter plain(false);
    plain.record(zone.negative_soa);
    z.soa_uncompressed = plain.bytes();

    // Negative answers are built per query (the qname is the query's), so
    // the apex sits at a query-dependent offset: leave the pointers to patch.
    const SoaData& soa = zone.negative_soa.soa;
    std::vector<std::uint8_t>& b = z.soa_compressed;
    auto u16 = [&](std::uint16_t v) {
      b.push_back(static_cast<std::uint8_t>(v >> 8));
      b.push_back(static_cast<std::uint8_t>(v));
    };
    auto u32 = [&](std::uint32_t v) {
      u16(static_cast<std::uint16_t>(v >> 16));
      u16(static_cast<std::uint16_t>(v));
    };
    z.soa_pointers[0] = static_cast<std::uint16_t>(b.size());
    u16(0xC000);
    u16(rrtype::soa);
    u16(class_in);
    u32(zone.negative_soa.ttl);
    std::size_t rdlength_at = b.size();
    u16(0);
    b.insert(b.end(), {2, 'n', 's'});
    z.soa_pointers[1] = static_cast<std::uint16_t>(b.size());
    u16(0xC000);
    b.insert(b.end(), {10, 'h', 'o', 's', 't', 'm', 'a', 's', 't', 'e', 'r'});
    z.soa_pointers[2] = static_cast<std::uint16_t>(b.size());
    u16(0xC000);
    for (std::uint32_t v : {soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum}) u32(v);
    std::size_t rdlength = b.size() - rdlength_at - 2;
    b[rdlength_at] = static_cast<std::uint8_t>(rdlength >> 8);
    b[rdlength_at + 1] = static_cast<std::uint8_t>(rdlength);
    return z;
  }

  void build_index() {
    std::size_t capacity = std::bit_ceil(std::max<std::size_t>(16, impl_.names.size() * 2));
    impl_.slots.assign(capacity, AnswerTable::Impl::empty_slot);
    impl_.slot_mask = capacity - 1;
    for (std::size_t i = 0; i < impl_.names.size(); ++i) {
      std::uint64_t slot = slot_of_hash(impl_.names[i].hash, impl_.slot_mask);
      while (impl_.slots[slot] != AnswerTable::Impl::empty_slot) slot = (slot + 1) & impl_.slot_mask;
      impl_.slots[slot] = static_cast<std::uint32_t>(i);
    }
  }

  const Catalog& catalog_;
  AnswerTable::Impl& impl_;
  const ZoneModel* model_ = nullptr;
};

}  // namespace

std::shared_ptr<const AnswerTable> AnswerTable::compile(const Catalog& catalog, std::uint32_t serial) {
  auto impl = std::make_unique<Impl>();
  impl->serial = serial;
  impl->compress = !catalog.dns.disable_compression;
  impl->enable_truncate = catalog.dns.enable_truncate;
  impl->edns_buffer_size = catalog.dns.edns_buffer_size;
  impl->recursion_flag = catalog.dns.recursion_available ? 0x80 : 0;
  auto node_ttl = catalog.dns.node_ttl.count();
  impl->addr_ttl = node_ttl <= 0 ? 0 : static_cast<std::uint32_t>(std::min<long long>(node_ttl, 0x7FFFFFFF));

  ZoneModel model = build_zone_model(catalog, serial);
  TableCompiler(catalog, *impl).compile(model);
  return std::shared_ptr<const AnswerTable>(new AnswerTable(std::move(impl)));
}

AnswerTable::AnswerTable(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AnswerTable::~AnswerTable() = default;

std::uint32_t AnswerTable::serial() const noexcept { return impl_->serial; }
std::size_t AnswerTable::entry_count() const noexcept { return impl_->names.size(); }

}  // namespace failoverdns
