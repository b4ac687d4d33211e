#include "cached_answer.hpp"

#include <time.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "failoverdns/dns/wire.hpp"

namespace failoverdns::resolver {

using namespace wire;

namespace {

constexpr std::size_t opt_size = 11;
constexpr std::size_t plain_udp_limit = 512;

// RFC 2181 8: a TTL with the top bit set means zero.
std::uint32_t ttl_value(std::uint32_t raw) noexcept { return raw & 0x80000000u ? 0 : raw; }

}  // namespace

QuestionKey QuestionKey::of(std::span<const std::uint8_t> query, const ForwardedQuestion& q) {
  QuestionKey key;
  key.name.resize(q.name_length);
  for (std::size_t i = 0; i < q.name_length; ++i)
    key.name[i] = static_cast<char>(lower_case[query[header_size + i]]);
  key.qtype = q.qtype;
  key.qclass = q.qclass;
  key.flags = flags_of(q);
  return key;
}

std::uint64_t key_hash(std::uint64_t name_hash, std::uint16_t qtype, std::uint16_t qclass,
                       std::uint8_t flags) noexcept {
  std::uint64_t h = name_hash ^ (std::uint64_t{qtype} << 24 | std::uint64_t{qclass} << 8 | flags);
  h *= 0x9E3779B97F4A7C15ULL;  // spread type/class/flag bits into the high bits slots use
  return h ^ (h >> 29);
}

std::uint64_t QuestionKey::hash() const noexcept {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(name.data());
  return key_hash(wire::name_hash(bytes, name.size()), qtype, qclass, flags);
}

bool CachedAnswer::answers(const std::uint8_t* query_name, std::uint16_t qtype, std::uint16_t qclass,
                           std::uint8_t flags) const noexcept {
  if (key.qtype != qtype || key.qclass != qclass || key.flags != flags) return false;
  const auto* ours = reinterpret_cast<const std::uint8_t*>(key.name.data());
  // Most clients ask in lower case: one memcmp. 0x20-randomised ones take
  // the byte-by-byte way.
  if (std::memcmp(query_name, ours, key.name.size()) == 0) return true;
  for (std::size_t i = 0; i < key.name.size(); ++i)
    if (lower_case[query_name[i]] != ours[i]) return false;
  return true;
}

std::int64_t monotonic_ms() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return std::int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1'000'000;
}

Result<std::shared_ptr<const CachedAnswer>> cache_reply(std::span<const std::uint8_t> reply, QuestionKey key,
                                                        std::int64_t now_ms) {
  const std::uint8_t* m = reply.data();
  const std::size_t size = reply.size();
  if (size < header_size || read16(m + 4) != 1) return fail("the reply does not carry exactly one question");
  std::size_t pos = header_size;
  if (!skip_name(m, size, pos) || pos + 4 > size) return fail("the reply's question is cut short");
  const std::size_t question_end = pos + 4;
  pos = question_end;

  auto answer = std::make_shared<CachedAnswer>();
  const std::size_t an = read16(m + 6), ns = read16(m + 8), ar = read16(m + 10);
  std::size_t opt_start = 0;
  std::uint32_t lifetime = max_ttl;
  std::size_t soa_ttl_offset = 0;
  std::uint32_t soa_negative_ttl = 0;
  std::vector<std::uint8_t> wire_bytes(reply.begin(), reply.end());
  for (std::size_t i = 0; i < an + ns + ar; ++i) {
    const std::size_t start = pos;
    if (!skip_name(m, size, pos) || pos + 10 > size) return fail(fmt::format("record {} is cut short", i + 1));
    const std::uint16_t type = read16(m + pos);
    const std::size_t rdlength = read16(m + pos + 8);
    const std::size_t rdata = pos + 10;
    if (rdata + rdlength > size) return fail(fmt::format("record {} is cut short", i + 1));
    pos = rdata + rdlength;
    if (type == type_opt) {
      // Our own OPT goes out instead; an OPT anywhere but last would leave
      // compression pointers behind it pointing at the wrong bytes.
      if (i < an + ns || i + 1 != an + ns + ar) return fail("the OPT record is not the last record");
      opt_start = start;
      continue;
    }
    const std::uint32_t ttl = std::min(ttl_value(read32(m + rdata - 6)), max_ttl);
    const auto ttl_offset = static_cast<std::uint16_t>(rdata - 6);
    write32(wire_bytes.data() + ttl_offset, ttl);
    answer->ttl_offsets.push_back(ttl_offset);
    lifetime = std::min(lifetime, ttl);
    if (type == type_soa && i >= an && i < an + ns && rdlength >= 20 && soa_ttl_offset == 0) {
      soa_ttl_offset = ttl_offset;
      soa_negative_ttl = std::min({ttl, ttl_value(read32(m + rdata + rdlength - 4)), max_negative_ttl});
    }
  }
  if (pos != size) return fail("the reply has bytes after its last record");

  const std::uint8_t rc = m[3] & 0x0F;
  const bool negative = rc == rcode::nxdomain || (rc == rcode::noerror && an == 0);
  if (negative) {
    // RFC 2308 5: kept for the SOA's TTL or MINIMUM, whichever is smaller,
    // and relayed with that TTL on the SOA; without a SOA, not kept.
    if (soa_ttl_offset) {
      write32(wire_bytes.data() + soa_ttl_offset, soa_negative_ttl);
      lifetime = std::min(lifetime, soa_negative_ttl);
    } else {
      lifetime = 0;
    }
  } else if (answer->ttl_offsets.empty()) {
    lifetime = 0;
  }
  if (opt_start) {
    wire_bytes.resize(opt_start);
    write16(wire_bytes.data() + 10, static_cast<std::uint16_t>(ar - 1));
  }
  write16(wire_bytes.data(), 0);
  for (std::size_t i = header_size; i < question_end - 4; ++i) wire_bytes[i] = lower_case[wire_bytes[i]];
  answer->wire = std::move(wire_bytes);
  answer->key = std::move(key);
  answer->hash = answer->key.hash();
  answer->stored_ms = now_ms;
  answer->lifetime = lifetime;
  return std::shared_ptr<const CachedAnswer>(std::move(answer));
}

std::shared_ptr<const CachedAnswer> failure_answer(QuestionKey key, std::uint8_t rc, std::uint32_t lifetime,
                                                   std::int64_t now_ms) {
  auto answer = std::make_shared<CachedAnswer>();
  auto& w = answer->wire;
  w.assign(header_size + key.name.size() + 4, 0);
  w[2] = 0x81;  // QR, RD
  w[3] = rc;
  write16(w.data() + 4, 1);
  std::memcpy(w.data() + header_size, key.name.data(), key.name.size());
  write16(w.data() + header_size + key.name.size(), key.qtype);
  write16(w.data() + header_size + key.name.size() + 2, key.qclass);
  answer->key = std::move(key);
  answer->hash = answer->key.hash();
  answer->stored_ms = now_ms;
  answer->lifetime = lifetime;
  return answer;
}

std::size_t relay(const CachedAnswer& a, std::span<const std::uint8_t> query, const ForwardedQuestion& q,
                  Transport transport, std::uint16_t our_payload, std::int64_t now_ms,
                  std::span<std::uint8_t> out) noexcept {
  const std::size_t question_end = header_size + q.name_length + 4;
  const std::size_t limit = std::min<std::size_t>(transport == Transport::tcp ? 65535 : q.udp_limit, out.size());
  const std::size_t opt = q.edns ? opt_size : 0;
  std::uint8_t* r = out.data();
  std::size_t length;
  bool tc = false;
  if (a.wire.size() + opt <= limit) {
    std::memcpy(r, a.wire.data(), a.wire.size());
    length = a.wire.size();
    // Whole seconds since it arrived, off every TTL: at most lifetime - 1,
    // and every TTL is at least the lifetime, so none goes below 1.
    const auto elapsed = static_cast<std::uint32_t>(std::max<std::int64_t>(0, now_ms - a.stored_ms) / 1000);
    for (std::uint16_t offset : a.ttl_offsets) write32(r + offset, read32(r + offset) - elapsed);
  } else {
    std::memcpy(r, a.wire.data(), question_end);
    write16(r + 6, 0);
    write16(r + 8, 0);
    write16(r + 10, 0);
    length = question_end;
    tc = true;
  }
  // The client's own ID and question bytes (its 0x20 case), its RD and CD.
  std::memcpy(r, query.data(), 2);
  std::memcpy(r + header_size, query.data() + header_size, question_end - header_size);
  // AD only for a client that showed it understands it (RFC 6840 5.7).
  const bool ad = (a.wire[3] & 0x20) && (q.dnssec_ok || (query[3] & 0x20));
  r[2] = static_cast<std::uint8_t>(0x80 | (query[2] & 0x01) | (tc ? 0x02 : 0));
  r[3] = static_cast<std::uint8_t>(0x80 | (ad ? 0x20 : 0) | (query[3] & 0x10) | a.rcode());
  if (q.edns) {
    write16(r + 10, static_cast<std::uint16_t>(read16(r + 10) + 1));
    std::uint8_t* p = r + length;
    p[0] = 0;
    write16(p + 1, type_opt);
    write16(p + 3, our_payload);
    p[5] = 0;  // extended rcode
    p[6] = 0;  // version
    write16(p + 7, q.dnssec_ok ? 0x8000 : 0);  // DO echoed
    write16(p + 9, 0);
    length += opt_size;
  }
  return length;
}

}  // namespace failoverdns::resolver
