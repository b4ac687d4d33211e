#include "load.hpp"

namespace fdns_bench {

int account_response(std::span<const std::uint8_t> message, std::int64_t now, const QuerySet& queries,
                     OutstandingTable& table, RunStats& stats) noexcept {
  if (message.size() < 12 || (message[2] & 0x80) == 0) {
    ++stats.malformed;
    return -1;
  }
  const auto id = static_cast<std::uint16_t>(message[0] << 8 | message[1]);
  OutstandingTable::Slot& slot = table.slot(id);
  if (slot.state == OutstandingTable::State::timed_out) {
    ++stats.late;
    table.forget(id);
    return -1;
  }
  if (slot.state != OutstandingTable::State::in_flight) {
    ++stats.unexpected;
    return -1;
  }
  const int connection = slot.connection;
  if (!queries.question_matches(slot.query, message)) {
    // The query is settled as an error, not left to time out as well.
    ++stats.mismatched;
    table.finish(id);
    return connection;
  }
  ++stats.answered;
  ++stats.rcodes[message[3] & 0x0f];
  if ((message[2] & 0x02) != 0) {
    ++stats.truncated;
  }
  stats.latency.record(now - slot.start_ns);
  stats.last_answer_ns = now;
  table.finish(id);
  return connection;
}

void RunStats::merge(const RunStats& other) noexcept {
  sent += other.sent;
  answered += other.answered;
  lost += other.lost;
  late += other.late;
  unsent += other.unsent;
  truncated += other.truncated;
  mismatched += other.mismatched;
  malformed += other.malformed;
  unexpected += other.unexpected;
  io_errors += other.io_errors;
  for (std::size_t i = 0; i < rcodes.size(); ++i) {
    rcodes[i] += other.rcodes[i];
  }
  latency.merge(other.latency);
  send_lag.merge(other.send_lag);
  last_answer_ns = std::max(last_answer_ns, other.last_answer_ns);
}

}  // namespace fdns_bench
