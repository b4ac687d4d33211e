// Fuzz target: GTID positions come from the network (@@gtid_*_pos,
// Gtid_IO_Pos) and are untrusted. Parsing must never crash, and whatever
// parses must survive a round trip and the set operations the decider uses.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "failoverdns/failover/gtid.hpp"

using namespace failoverdns;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto half = text.size() / 2;
  auto a = GtidPosition::parse(text.substr(0, half));
  auto b = GtidPosition::parse(text.substr(half));
  if (!a || !b) return 0;
  auto again = GtidPosition::parse(a->to_string());
  if (!again || again->to_string() != a->to_string()) std::abort();
  if (!contains(*a, *a)) std::abort();
  auto order = compare(*a, *b);
  if (order == GtidOrder::equal && compare(*b, *a) != GtidOrder::equal) std::abort();
  return 0;
}
