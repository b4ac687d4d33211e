#include "failoverdns/failover/state_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>
#include <type_traits>
#include <utility>

#include "failoverdns/failover/gtid.hpp"

namespace failoverdns {

namespace {

constexpr int format_version = 1;
// A state file is a few hundred bytes; anything huge is not ours.
constexpr std::uintmax_t max_file_size = 1 << 20;

using json = nlohmann::json;

std::string errno_text(int err) { return std::strerror(err); }

std::string utc_text(WallTime t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

json to_json(const FailoverState& s, const std::string& service) {
  json j;
  j["format"] = format_version;
  j["service"] = service;
  j["primary"] = s.primary;
  j["epoch"] = s.epoch;
  j["promotion"] = {{"binlog_file", s.coordinates.binlog_file},
                    {"binlog_pos", s.coordinates.binlog_pos},
                    {"gtid_binlog_pos", s.coordinates.gtid_binlog_pos}};
  j["fenced"] = s.fenced;
  if (s.last_failover) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(s.last_failover->time_since_epoch()).count();
    j["last_failover_unix_ms"] = ms;
    j["last_failover_utc"] = utc_text(*s.last_failover);  // for people; load ignores it
  }
  if (s.primary_since) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(s.primary_since->time_since_epoch()).count();
    j["primary_since_unix_ms"] = ms;
    j["primary_since_utc"] = utc_text(*s.primary_since);  // for people; load ignores it
  }
  j["gtid_lineage"] = s.gtid_lineage;
  if (s.promoting) j["promoting"] = {{"candidate", s.promoting->candidate}, {"old_primary", s.promoting->old_primary}};
  j["diverged"] = s.diverged;
  j["maintenance"] = s.maintenance;
  if (!s.demoted.empty()) j["demoted"] = s.demoted;
  return j;
}

// Reads a field of the expected type; absent optional fields keep defaults.
template <class T>
Result<void> read_field(const json& j, const char* key, T& out, bool required) {
  auto it = j.find(key);
  if (it == j.end()) {
    if (required) return fail(std::string("missing \"") + key + "\"");
    return {};
  }
  if constexpr (std::is_unsigned_v<T>) {
    // nlohmann would wrap -1 around to a huge epoch.
    if (!it->is_number_unsigned()) return fail(std::string("\"") + key + "\" has the wrong type");
  }
  try {
    out = it->template get<T>();
  } catch (const json::exception&) {
    return fail(std::string("\"") + key + "\" has the wrong type");
  }
  return {};
}

Result<FailoverState> from_json(const json& j, const std::string& service) {
  if (!j.is_object()) return fail("the top level is not a JSON object");
  int format = 0;
  if (auto r = read_field(j, "format", format, true); !r) return std::unexpected(r.error());
  if (format != format_version) {
    return fail("format " + std::to_string(format) + " is not supported (this failoverdns writes format " +
                std::to_string(format_version) + ")");
  }
  std::string file_service;
  if (auto r = read_field(j, "service", file_service, true); !r) return std::unexpected(r.error());
  if (file_service != service) {
    return fail("it belongs to service \"" + file_service + "\", not \"" + service +
                "\"; give each failover service its own state_file");
  }
  FailoverState s;
  if (auto r = read_field(j, "primary", s.primary, true); !r) return std::unexpected(r.error());
  if (auto r = read_field(j, "epoch", s.epoch, true); !r) return std::unexpected(r.error());
  if (auto it = j.find("promotion"); it != j.end()) {
    if (!it->is_object()) return fail("\"promotion\" is not an object");
    if (auto r = read_field(*it, "binlog_file", s.coordinates.binlog_file, false); !r)
      return std::unexpected(r.error());
    if (auto r = read_field(*it, "binlog_pos", s.coordinates.binlog_pos, false); !r) return std::unexpected(r.error());
    if (auto r = read_field(*it, "gtid_binlog_pos", s.coordinates.gtid_binlog_pos, false); !r) {
      return std::unexpected(r.error());
    }
  }
  if (auto r = read_field(j, "fenced", s.fenced, false); !r) return std::unexpected(r.error());
  std::int64_t ms = 0;
  if (j.contains("last_failover_unix_ms")) {
    if (auto r = read_field(j, "last_failover_unix_ms", ms, true); !r) return std::unexpected(r.error());
    s.last_failover = WallTime(std::chrono::duration_cast<WallTime::duration>(std::chrono::milliseconds(ms)));
  }
  if (j.contains("primary_since_unix_ms")) {
    if (auto r = read_field(j, "primary_since_unix_ms", ms, true); !r) return std::unexpected(r.error());
    s.primary_since = WallTime(std::chrono::duration_cast<WallTime::duration>(std::chrono::milliseconds(ms)));
  } else if (!s.primary.empty()) {
    // Files written before primary_since existed: the last failover is
    // when the current primary was promoted (a discovered primary has none).
    s.primary_since = s.last_failover;
  }
  if (auto r = read_field(j, "gtid_lineage", s.gtid_lineage, false); !r) return std::unexpected(r.error());
  if (auto lineage = GtidPosition::parse(s.gtid_lineage); !lineage) {
    return fail("\"gtid_lineage\": " + lineage.error().message);
  }
  if (auto it = j.find("promoting"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) return fail("\"promoting\" is not an object");
    PromotionIntent intent;
    if (auto r = read_field(*it, "candidate", intent.candidate, true); !r) return std::unexpected(r.error());
    if (auto r = read_field(*it, "old_primary", intent.old_primary, false); !r) return std::unexpected(r.error());
    s.promoting = intent;
  }
  if (auto r = read_field(j, "diverged", s.diverged, false); !r) return std::unexpected(r.error());
  if (auto r = read_field(j, "maintenance", s.maintenance, false); !r) return std::unexpected(r.error());
  if (auto r = read_field(j, "demoted", s.demoted, false); !r) return std::unexpected(r.error());
  if (s.primary.empty() && s.epoch != 0) return fail("\"epoch\" is set but \"primary\" is empty");
  if (!s.primary.empty() && s.is_fenced(s.primary)) return fail("the primary is also listed as \"fenced\"");
  return s;
}

// Closes the descriptor on every path out of save().
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  int release() { return std::exchange(fd, -1); }
};

Result<void> write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(errno_text(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

}  // namespace

bool FailoverState::is_fenced(const std::string& id) const { return std::ranges::find(fenced, id) != fenced.end(); }

StateStore::StateStore(std::filesystem::path path, std::string service)
    : path_(std::move(path)), service_(std::move(service)) {}

Result<FailoverState> StateStore::load() const {
  std::error_code ec;
  auto status = std::filesystem::status(path_, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return fail("cannot read failover state file " + path_.string() + ": " + ec.message() +
                "; check the permissions of its directory");
  }
  if (!std::filesystem::exists(status)) return FailoverState{};
  const std::string fix =
      "; failoverdns will not guess the primary from a damaged file. Fix the file, or move it "
      "away to start from what the servers say (the single writable, non-replicating instance "
      "becomes primary; fenced former primaries must then be checked by hand)";
  if (!std::filesystem::is_regular_file(status)) {
    return fail("failover state file " + path_.string() + " is not a regular file" + fix);
  }
  auto size = std::filesystem::file_size(path_, ec);
  if (ec) return fail("cannot read failover state file " + path_.string() + ": " + ec.message());
  if (size > max_file_size) return fail("failover state file " + path_.string() + " is too large to be ours" + fix);
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    return fail("cannot open failover state file " + path_.string() + ": " + errno_text(errno) +
                "; check that failoverdns's user may read it");
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  json j = json::parse(buffer.str(), nullptr, false);
  if (j.is_discarded()) return fail("failover state file " + path_.string() + " is not valid JSON" + fix);
  auto state = from_json(j, service_);
  if (!state) return fail("failover state file " + path_.string() + ": " + state.error().message + fix);
  return state;
}

Result<void> StateStore::save(const FailoverState& state) const {
  auto where = [&](const std::string& what) {
    return fail("cannot save failover state file " + path_.string() + ": " + what +
                "; failoverdns keeps running but will not publish a new primary until the state is saved. Check the "
                "disk and the permissions of " +
                path_.parent_path().string());
  };
  auto dir = path_.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return where("creating the directory: " + ec.message());

  std::string data = to_json(state, service_).dump(2) + "\n";
  std::string tmpl = (dir / (path_.filename().string() + ".tmp.XXXXXX")).string();
  Fd file{::mkstemp(tmpl.data())};
  if (file.fd < 0) return where("creating a temporary file: " + errno_text(errno));
  std::string tmp = tmpl;
  auto abandon = [&](const std::string& what) {
    ::close(file.release());
    ::unlink(tmp.c_str());
    return where(what);
  };
  if (auto r = write_all(file.fd, data); !r) return abandon("writing: " + r.error().message);
  if (::fsync(file.fd) != 0) return abandon("fsync: " + errno_text(errno));
  if (::close(file.release()) != 0) {
    ::unlink(tmp.c_str());
    return where("closing: " + errno_text(errno));
  }
  if (::rename(tmp.c_str(), path_.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return where("renaming the temporary file into place: " + errno_text(err));
  }
  // The rename is only durable once the directory entry is on disk.
  Fd d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (d.fd < 0 || ::fsync(d.fd) != 0) return where("fsync of the directory: " + errno_text(errno));
  return {};
}

}  // namespace failoverdns
