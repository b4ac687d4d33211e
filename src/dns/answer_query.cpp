// The DNS hot path: validate, parse the question (lower-casing and hashing
// in one pass), look the name up, copy a pre-rendered response, patch it.
// No allocation, no lock, no exception; every read of the query is bounds
// checked because the query is whatever arrived on the socket.
#include <algorithm>
#include <array>
#include <cstring>

#include "answer_table_impl.hpp"
#include "wire_writer.hpp"
#include "failoverdns/dns/answer_table.hpp"

namespace failoverdns {

using namespace dns;

const NameEntry* AnswerTable::Impl::find(const std::uint8_t* name, std::size_t length,
                                         std::uint64_t hash) const noexcept {
  // The index is at most half full, so a probe always meets an empty slot.
  std::uint64_t slot = slot_of_hash(hash, slot_mask);
  for (;;) {
    std::uint32_t index = slots[slot];
    if (index == empty_slot) return nullptr;
    const NameEntry& e = names[index];
    if (e.hash == hash && e.key_length == length && std::memcmp(keys.data() + e.key_offset, name, length) == 0) {
      return &e;
    }
    slot = (slot + 1) & slot_mask;
  }
}

namespace {

namespace rcode = wire::rcode;
using wire::header_size;
using wire::lower_case;
using wire::read16;
using wire::skip_name;
using wire::write16;
using wire::write32;

constexpr std::size_t opt_size = 11;

constexpr std::size_t plain_udp_limit = 512;
// BADVERS is extended rcode 16: 1 in the OPT's upper 8 bits, 0 in the header.
constexpr std::uint8_t badvers_upper = 1;

struct Question {
  std::uint8_t name[max_name_length];  // lower-case wire name
  std::size_t name_length = 0;         // including the root label
  std::uint64_t hash = name_hash_seed;
  std::uint16_t qtype = 0;
  std::uint16_t qclass = 0;
  std::size_t end = 0;  // offset just past QCLASS, in query and response alike
};

// The question must be plain labels: a pointer there is legal DNS but no
// real client sends one, and refusing it keeps the qname at a fixed length.
bool parse_question(const std::uint8_t* q, std::size_t size, Question& out) noexcept {
  std::size_t pos = header_size;
  std::size_t len = 0;
  std::uint64_t h = name_hash_seed;
  for (;;) {
    if (pos >= size) return false;
    std::uint8_t label = q[pos];
    if (label & 0xC0) return false;
    if (len + 1 + label > max_name_length || pos + 1 + label > size) return false;
    out.name[len++] = label;
    h = name_hash_step(h, label);
    ++pos;
    if (label == 0) break;
    for (std::size_t i = 0; i < label; ++i) {
      std::uint8_t c = lower_case[q[pos + i]];
      out.name[len++] = c;
      h = name_hash_step(h, c);
    }
    pos += label;
  }
  if (pos + 4 > size) return false;
  out.name_length = len;
  out.hash = h;
  out.qtype = read16(q + pos);
  out.qclass = read16(q + pos + 2);
  out.end = pos + 4;
  return true;
}

struct Edns {
  bool present = false;
  bool dnssec_ok = false;
  std::uint16_t payload = 0;
  std::uint8_t version = 0;
};

// Walks every record after the question (each consumes at least 11 bytes,
// so hostile counts cannot make this loop long) to find the OPT.
bool parse_edns(const std::uint8_t* q, std::size_t size, std::size_t pos, Edns& edns) noexcept {
  std::size_t before_additional = std::size_t{read16(q + 6)} + read16(q + 8);
  std::size_t total = before_additional + read16(q + 10);
  for (std::size_t i = 0; i < total; ++i) {
    bool root_owner = pos < size && q[pos] == 0;
    if (!skip_name(q, size, pos)) return false;
    if (pos + 10 > size) return false;
    std::uint16_t type = read16(q + pos);
    std::size_t rdlength = read16(q + pos + 8);
    if (pos + 10 + rdlength > size) return false;
    if (i >= before_additional && type == rrtype::opt) {
      // RFC 6891 6.1.1: one OPT at most, owned by the root.
      if (edns.present || !root_owner) return false;
      edns.present = true;
      edns.payload = read16(q + pos + 2);
      edns.version = q[pos + 5];
      edns.dnssec_ok = (q[pos + 6] & 0x80) != 0;
    }
    pos += 10 + rdlength;
  }
  return true;
}

class Responder {
 public:
  Responder(const AnswerTable::Impl& impl, std::span<const std::uint8_t> query, std::span<std::uint8_t> response,
            Transport transport) noexcept
      : impl_(impl), q_(query.data()), q_size_(query.size()), r_(response.data()), r_size_(response.size()),
        transport_(transport) {}

  QueryOutcome answer(std::uint32_t rotation) noexcept {
    // Answering a response could start a loop between two servers.
    if (q_size_ < header_size || (q_[2] & 0x80)) return {};
    if (r_size_ < plain_udp_limit) return {};

    std::uint8_t opcode = (q_[2] >> 3) & 0x0F;
    bool parsed = read16(q_ + 4) == 1 && parse_question(q_, q_size_, question_);
    if (!parsed) return error(opcode != 0 ? rcode::notimp : rcode::formerr, false);
    Edns edns;
    bool edns_ok = parse_edns(q_, q_size_, question_.end, edns);
    // RFC 6891 7: a query with an OPT gets one back, NOTIMP included.
    if (opcode != 0) {
      if (edns_ok) edns_ = edns;
      return error(rcode::notimp, true);
    }
    if (!edns_ok) return error(rcode::formerr, false);
    edns_ = edns;
    limit_ = response_limit();
    if (edns_.present && edns_.version > 0) return badvers();
    if (question_.qclass != class_in && question_.qclass != class_any) return error(rcode::refused, true);
    // No zone transfers: the zone is generated and changes with health.
    if (question_.qtype == rrtype::axfr || question_.qtype == rrtype::ixfr) return error(rcode::refused, true);

    if (const NameEntry* entry = impl_.find(question_.name, question_.name_length, question_.hash)) {
      const Answer& a = impl_.answers[entry->answers[static_cast<std::size_t>(slot_of(question_.qtype))]];
      bool limited = transport_ == Transport::udp && !edns_.present;
      std::uint32_t first = limited ? a.first_limited : a.first_variant;
      return copy_variant(impl_.variants[first + rotation % a.variant_count], limited && a.limited_cut);
    }
    int zone = zone_of_question();
    if (zone >= 0) {
      // Names with a number in them are not in the table: parsed only here,
      // after the exact lookup missed.
      if (const LagName* lag = lag_name_of_question()) return lag_answer(*lag, rotation);
      return addr_answer(static_cast<std::size_t>(zone));
    }
    // Not ours: the resolver's, when there is one. REFUSED goes with it.
    QueryOutcome refused = error(rcode::refused, true);
    if (!impl_.recursion_flag) return refused;
    refused.action = QueryOutcome::Action::forward;
    refused.question = {question_.hash,
                        static_cast<std::uint16_t>(question_.name_length),
                        question_.qtype,
                        question_.qclass,
                        static_cast<std::uint16_t>(udp_limit()),
                        edns_.present,
                        edns_.dnssec_ok,
                        (q_[3] & 0x10) != 0};
    return refused;
  }

 private:
  std::size_t response_limit() const noexcept {
    return std::min(transport_ == Transport::tcp ? max_response_size : udp_limit(), r_size_);
  }

  std::size_t udp_limit() const noexcept {
    if (!edns_.present) return plain_udp_limit;
    std::size_t limit = std::min<std::size_t>(edns_.payload, impl_.edns_buffer_size);
    return std::max(limit, plain_udp_limit);  // RFC 6891: below 512 means 512
  }

  std::size_t opt_length() const noexcept { return edns_.present ? opt_size : 0; }

  // The question's type goes with every reply (0 if it did not parse).
  QueryOutcome replied(std::size_t length) const noexcept {
    QueryOutcome outcome;
    outcome.action = QueryOutcome::Action::reply;
    outcome.qtype = question_.qtype;
    outcome.length = length;
    return outcome;
  }

  // Flags from the query: opcode and RD (byte 2), CD (byte 3); RA while
  // recursors are configured.
  void header(std::uint8_t rcode, bool aa, bool tc, std::uint16_t qd, std::uint16_t an, std::uint16_t ns,
              std::uint16_t ar) noexcept {
    r_[0] = q_[0];
    r_[1] = q_[1];
    r_[2] = static_cast<std::uint8_t>(0x80 | (q_[2] & 0x79) | (aa ? 0x04 : 0) | (tc ? 0x02 : 0));
    r_[3] = static_cast<std::uint8_t>(impl_.recursion_flag | (q_[3] & 0x10) | rcode);
    write16(r_ + 4, qd);
    write16(r_ + 6, an);
    write16(r_ + 8, ns);
    write16(r_ + 10, ar);
  }

  // Our OPT: our payload size, version 0, no DO (we sign nothing), no options.
  std::size_t put_opt(std::size_t pos, std::uint8_t extended_rcode) noexcept {
    std::uint8_t* p = r_ + pos;
    p[0] = 0;
    write16(p + 1, rrtype::opt);
    write16(p + 3, impl_.edns_buffer_size);
    p[5] = extended_rcode;
    p[6] = 0;
    write16(p + 7, 0);
    write16(p + 9, 0);
    return pos + opt_size;
  }

  std::size_t echo_question() noexcept {
    std::memcpy(r_ + header_size, q_ + header_size, question_.end - header_size);
    return question_.end;
  }

  // Errors carry the question when we could parse it, and our OPT when the
  // query had a valid one (FORMERR is answered before EDNS is read).
  QueryOutcome error(std::uint8_t rc, bool with_question) noexcept {
    std::size_t pos = header_size;
    if (with_question) pos = echo_question();
    bool opt = edns_.present;
    header(rc, false, false, with_question ? 1 : 0, 0, 0, opt ? 1 : 0);
    if (opt) pos = put_opt(pos, 0);
    return replied(pos);
  }

  QueryOutcome badvers() noexcept {
    std::size_t pos = echo_question();
    header(rcode::noerror, false, false, 1, 0, 0, 1);
    pos = put_opt(pos, badvers_upper);
    return replied(pos);
  }

  // Sends the longest prefix of `v` that fits. Additional records go first
  // and silently; losing answer or authority records sets TC (if enabled),
  // as does a variant that udp_answer_limit already cut (`cut`), as Consul.
  QueryOutcome copy_variant(const Variant& v, bool cut) noexcept {
    const std::uint8_t* src = impl_.arena.data() + v.offset;
    std::size_t length = v.length;
    std::uint16_t an = v.an, ns = v.ns, ar = v.ar;
    bool tc = cut && impl_.enable_truncate;
    std::size_t room = limit_ - opt_length();
    if (length > room) {
      const std::uint16_t* ends = impl_.record_ends.data() + v.record_ends;
      std::size_t total = std::size_t{an} + ns + ar;
      auto fitting = static_cast<std::size_t>(std::upper_bound(ends, ends + total, room) - ends);
      if (fitting >= std::size_t{an} + ns) {
        ar = static_cast<std::uint16_t>(fitting - an - ns);
      } else {
        an = static_cast<std::uint16_t>(std::min<std::size_t>(fitting, an));
        ns = 0;
        ar = 0;
        tc = impl_.enable_truncate;
      }
      std::size_t kept = std::size_t{an} + ns + ar;
      length = kept ? ends[kept - 1] : question_.end;
    }
    std::memcpy(r_, src, length);
    // The template's question is lower-case; echo the query's own bytes so
    // 0x20-randomised resolvers see their case. Same length in any case.
    echo_question();
    std::uint8_t rc = src[3] & 0x0F;
    header(rc, true, tc, 1, an, ns, static_cast<std::uint16_t>(ar + (edns_.present ? 1 : 0)));
    if (edns_.present) length = put_opt(length, 0);
    return replied(length);
  }

  // The zone whose apex is the longest label-aligned suffix of the qname.
  int zone_of_question() const noexcept {
    int best = -1;
    std::size_t best_length = 0;
    for (std::size_t z = 0; z < impl_.zones.size(); ++z) {
      const auto& apex = impl_.zones[z].apex;
      if (apex.size() > question_.name_length || (best >= 0 && apex.size() <= best_length)) continue;
      std::size_t offset = question_.name_length - apex.size();
      if (std::memcmp(question_.name + offset, apex.data(), apex.size()) != 0) continue;
      std::size_t pos = 0;
      while (pos < offset) pos += 1 + question_.name[pos];
      if (pos != offset) continue;
      best = static_cast<int>(z);
      best_length = apex.size();
    }
    return best;
  }

  // lag-<N>s.<base> with N in 0..max_lag_bound and <base> a name with a
  // lag set; bound_ gets N. nullptr otherwise.
  const LagName* lag_name_of_question() noexcept {
    const std::uint8_t* n = question_.name;
    std::size_t label = n[0];
    // "lag-" digits "s", at most 5 digits (86400).
    if (label < 6 || label > 10 || std::memcmp(n + 1, "lag-", 4) != 0 || n[label] != 's') return nullptr;
    std::uint32_t bound = 0;
    for (std::size_t i = 5; i < label; ++i) {
      std::uint8_t c = n[i];
      if (c < '0' || c > '9') return nullptr;
      bound = bound * 10 + static_cast<std::uint32_t>(c - '0');
    }
    if (bound > max_lag_bound) return nullptr;
    const std::uint8_t* base = n + 1 + label;
    std::size_t base_length = question_.name_length - 1 - label;
    std::uint64_t hash = name_hash(base, base_length);
    for (const LagName& lag : impl_.lag_names) {
      if (lag.hash == hash && lag.key_length == base_length &&
          std::memcmp(impl_.keys.data() + lag.key_offset, base, base_length) == 0) {
        bound_ = bound;
        return &lag;
      }
    }
    return nullptr;
  }

  // The replicas within bound_: the answer rendered for the largest lag
  // not above it (k replicas, k nested answers), or NXDOMAIN when none.
  QueryOutcome lag_answer(const LagName& lag, std::uint32_t rotation) noexcept {
    const std::uint32_t* bounds = impl_.lag_bounds.data() + lag.first;
    auto within = static_cast<std::size_t>(std::upper_bound(bounds, bounds + lag.count, bound_) - bounds);
    if (within == 0) return negative(lag.zone, rcode::nxdomain);
    std::uint32_t index = impl_.lag_answers[lag.first + within - 1][static_cast<std::size_t>(slot_of(question_.qtype))];
    if (index == no_data) return negative(lag.zone, rcode::noerror);
    const Answer& a = impl_.answers[index];
    bool limited = transport_ == Transport::udp && !edns_.present;
    std::uint32_t first = limited ? a.first_limited : a.first_variant;
    return copy_detached(impl_.variants[first + rotation % a.variant_count], limited && a.limited_cut);
  }

  // A detached variant after the query's question, the query's name as
  // each answer's owner (a pointer to it, or a copy without compression).
  // What does not fit is cut as copy_variant cuts.
  QueryOutcome copy_detached(const Variant& v, bool cut) noexcept {
    const std::uint8_t* src = impl_.arena.data() + v.offset;
    const std::uint16_t* ends = impl_.record_ends.data() + v.record_ends;
    std::size_t pos = echo_question();
    std::size_t room = limit_ - opt_length();
    std::size_t owner_length = impl_.compress ? 2 : question_.name_length;
    bool tc = cut && impl_.enable_truncate;
    std::uint16_t an = 0, ar = 0;
    std::size_t start = 0;
    for (; an < v.an; ++an) {
      std::size_t length = ends[an] - start;
      if (pos + owner_length + length > room) {
        tc = impl_.enable_truncate;
        break;
      }
      if (impl_.compress) {
        write16(r_ + pos, 0xC000 | header_size);
      } else {
        std::memcpy(r_ + pos, q_ + header_size, question_.name_length);
      }
      std::memcpy(r_ + pos + owner_length, src + start, length);
      pos += owner_length + length;
      start = ends[an];
    }
    // Additional records only with every answer, and silently left out.
    for (; an == v.an && ar < v.ar; ++ar) {
      std::size_t length = ends[an + ar] - start;
      if (pos + length > room) break;
      std::memcpy(r_ + pos, src + start, length);
      pos += length;
      start = ends[an + ar];
    }
    header(rcode::noerror, true, tc, 1, an, 0, static_cast<std::uint16_t>(ar + (edns_.present ? 1 : 0)));
    if (edns_.present) pos = put_opt(pos, 0);
    return replied(pos);
  }

  // <hex>.addr[.<dc>].<domain>: Consul encodes an address in the name, so
  // there is nothing to pre-render. Anything else here does not exist.
  QueryOutcome addr_answer(std::size_t zone) noexcept {
    const std::uint8_t* n = question_.name;
    std::size_t apex_length = impl_.zones[zone].apex.size();
    std::size_t hex_length = n[0];
    std::size_t middle = 1 + hex_length;  // where "\4addr" must start
    static constexpr std::uint8_t addr_label[] = {4, 'a', 'd', 'd', 'r'};
    bool is_addr = (hex_length == 8 || hex_length == 32) && middle + sizeof addr_label <= question_.name_length &&
                   std::memcmp(n + middle, addr_label, sizeof addr_label) == 0;
    if (is_addr) {
      std::size_t rest = question_.name_length - middle - sizeof addr_label - apex_length;
      const auto& dc = impl_.datacenter;
      is_addr = rest == 0 || (rest == dc.size() && !dc.empty() &&
                              std::memcmp(n + middle + sizeof addr_label, dc.data(), dc.size()) == 0);
    }
    std::uint8_t address[16];
    for (std::size_t i = 0; is_addr && i < hex_length; ++i) {
      std::uint8_t c = n[1 + i];
      int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (digit < 0) {
        is_addr = false;
        break;
      }
      if (i % 2 == 0) {
        address[i / 2] = static_cast<std::uint8_t>(digit << 4);
      } else {
        address[i / 2] = static_cast<std::uint8_t>(address[i / 2] | digit);
      }
    }
    if (!is_addr) return negative(zone, rcode::nxdomain);

    bool v6 = hex_length == 32;
    std::uint16_t type = v6 ? rrtype::aaaa : rrtype::a;
    if (question_.qtype != type && question_.qtype != rrtype::any) return negative(zone, rcode::noerror);
    std::size_t pos = echo_question();
    std::size_t owner_length = impl_.compress ? 2 : question_.name_length;
    std::size_t rdlength = v6 ? 16 : 4;
    std::size_t length = pos + owner_length + 10 + rdlength;
    if (length + opt_length() > limit_) return negative(zone, rcode::noerror);  // cannot happen: < 512
    if (impl_.compress) {
      write16(r_ + pos, 0xC000 | header_size);
    } else {
      std::memcpy(r_ + pos, q_ + header_size, question_.name_length);
    }
    pos += owner_length;
    write16(r_ + pos, type);
    write16(r_ + pos + 2, class_in);
    write32(r_ + pos + 4, impl_.addr_ttl);
    write16(r_ + pos + 8, static_cast<std::uint16_t>(rdlength));
    std::memcpy(r_ + pos + 10, address, rdlength);
    header(rcode::noerror, true, false, 1, 1, 0, edns_.present ? 1 : 0);
    if (edns_.present) length = put_opt(length, 0);
    return replied(length);
  }

  // NXDOMAIN or NODATA built here (the qname is the query's): the zone's
  // SOA in authority, its names pointing at the apex inside the question.
  QueryOutcome negative(std::size_t zone, std::uint8_t rc) noexcept {
    const ZoneData& z = impl_.zones[zone];
    std::size_t pos = echo_question();
    const auto& soa = impl_.compress ? z.soa_compressed : z.soa_uncompressed;
    std::uint16_t ns = 0;
    bool tc = false;
    if (pos + soa.size() + opt_length() <= limit_) {
      std::memcpy(r_ + pos, soa.data(), soa.size());
      if (impl_.compress) {
        auto apex_offset = static_cast<std::uint16_t>(header_size + question_.name_length - z.apex.size());
        for (std::uint16_t p : z.soa_pointers) write16(r_ + pos + p, static_cast<std::uint16_t>(0xC000 | apex_offset));
      }
      pos += soa.size();
      ns = 1;
    } else {
      tc = impl_.enable_truncate;
    }
    header(rc, true, tc, 1, 0, ns, edns_.present ? 1 : 0);
    if (edns_.present) pos = put_opt(pos, 0);
    return replied(pos);
  }

  const AnswerTable::Impl& impl_;
  const std::uint8_t* q_;
  std::size_t q_size_;
  std::uint8_t* r_;
  std::size_t r_size_;
  Transport transport_;
  Question question_;
  Edns edns_;
  std::size_t limit_ = plain_udp_limit;
  std::uint32_t bound_ = 0;  // of a lag-<N>s name
};

}  // namespace

QueryOutcome answer_query(const AnswerTable& table, std::span<const std::uint8_t> query,
                          std::span<std::uint8_t> response, Transport transport, std::uint32_t rotation) noexcept {
  return Responder(table.impl(), query, response, transport).answer(rotation);
}

}  // namespace failoverdns
