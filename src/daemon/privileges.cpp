#include "privileges.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace failoverdns {
namespace {

namespace fs = std::filesystem;

std::string user_name(uid_t uid) {
  const passwd* pw = ::getpwuid(uid);
  return pw ? std::string(pw->pw_name) : std::to_string(uid);
}

std::string group_name(gid_t gid) {
  const group* gr = ::getgrgid(gid);
  return gr ? std::string(gr->gr_name) : std::to_string(gid);
}

// "user failoverdns": whom the messages are about, as the process runs now.
std::string current_user() { return "user " + user_name(::geteuid()); }

// "mode 0600 root:root", what `ls -l` would show the admin.
std::string file_facts(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::strerror(errno);
  return fmt::format("mode {:04o} {}:{}", st.st_mode & 07777, user_name(st.st_uid), group_name(st.st_gid));
}

bool can(const fs::path& path, int mode) { return ::faccessat(AT_FDCWD, path.c_str(), mode, AT_EACCESS) == 0; }

// The first directory on the way to `path` that the process may not pass.
std::optional<fs::path> blocking_directory(const fs::path& path) {
  fs::path dir;
  const fs::path absolute = fs::absolute(path);
  for (auto it = absolute.begin(); it != absolute.end(); ++it) {
    if (std::next(it) == absolute.end()) break;  // the file itself
    dir /= *it;
    if (!can(dir, X_OK)) return dir;
  }
  return std::nullopt;
}

// `what` (a config key, "config file") names why failoverdns needs `path`.
std::optional<std::string> unreadable(const fs::path& path, std::string_view what, bool is_dir) {
  if (can(path, is_dir ? R_OK | X_OK : R_OK)) return std::nullopt;
  const int err = errno;
  const std::string who = current_user(), group = group_name(::getegid());
  if (err != EACCES) return fmt::format("{} {}: not readable by {}: {}", what, path.string(), who, std::strerror(err));
  if (auto dir = blocking_directory(path))
    return fmt::format(
        "{} {}: not readable by {}: directory {} ({}) does not let it through, and every reload "
        "(SIGHUP) reads it again; chgrp {} {} and chmod g+x it",
        what, path.string(), who, dir->string(), file_facts(*dir), group, dir->string());
  return fmt::format(
      "{} {}: not readable by {} ({}), and every reload (SIGHUP) reads it again; chgrp {} {} and "
      "chmod {} it",
      what, path.string(), who, file_facts(path), group, path.string(), is_dir ? "0750" : "0640");
}

// The state file is replaced (write, rename) on every save, and its
// directory created if missing: what matters is the nearest directory that
// exists, and the file itself for reading at the next start.
std::optional<std::string> unwritable_state(const fs::path& file, std::string_view what) {
  const std::string who = current_user(), owner = user_name(::geteuid()) + ":" + group_name(::getegid());
  std::error_code ec;
  if (fs::exists(file, ec) && !can(file, R_OK))
    return fmt::format("{} {}: not readable by {} ({}); chown {} {}", what, file.string(), who, file_facts(file), owner,
                       file.string());
  const fs::path dir = fs::absolute(file).parent_path();
  fs::path existing = dir;
  while (!fs::exists(existing, ec) && existing.has_relative_path()) existing = existing.parent_path();
  if (can(existing, W_OK | X_OK)) return std::nullopt;
  const int err = errno;
  if (err == EROFS)
    return fmt::format(
        "{} {}: {} is on a read-only file system; put the state file where failoverdns may write "
        "(under systemd, ProtectSystem=strict leaves only /var/lib/failoverdns, its StateDirectory)",
        what, file.string(), existing.string());
  if (err != EACCES)
    return fmt::format("{} {}: cannot write in {}: {}", what, file.string(), existing.string(), std::strerror(err));
  if (existing == dir)
    return fmt::format(
        "{} {}: directory {} ({}) is not writable by {}, and every save replaces the file there; "
        "chown {} {}",
        what, file.string(), dir.string(), file_facts(dir), who, owner, dir.string());
  return fmt::format(
      "{} {}: directory {} does not exist and {} cannot create it in {} ({}); create it: "
      "install -d -o {} -g {} -m 0750 {}",
      what, file.string(), dir.string(), who, existing.string(), file_facts(existing), user_name(::geteuid()),
      group_name(::getegid()), dir.string());
}

}  // namespace

Result<void> drop_privileges(const Config& config) {
  if (config.user.empty()) return {};
  const passwd* pw = ::getpwnam(config.user.c_str());
  if (!pw)
    return fail(
        fmt::format("user \"{}\": no such user on this machine; create it (adduser --system --group {}) or "
                    "change \"user\"",
                    config.user, config.user));
  const uid_t uid = pw->pw_uid;
  gid_t gid = pw->pw_gid;
  const std::string name = pw->pw_name;
  if (!config.group.empty()) {
    const group* gr = ::getgrnam(config.group.c_str());
    if (!gr)
      return fail(
          fmt::format("group \"{}\": no such group on this machine; create it (addgroup --system {}) or "
                      "change \"group\"",
                      config.group, config.group));
    gid = gr->gr_gid;
  }
  const std::string account = fmt::format("user {} (uid {}), group {} (gid {})", name, uid, group_name(gid), gid);

  if (::geteuid() != 0) {
    if (::geteuid() == uid && ::getegid() == gid) {
      spdlog::info("event=running_as user={} uid={} group={} gid={} reason=\"already the configured account\"", name,
                   uid, group_name(gid), gid);
      return {};
    }
    return fail(
        fmt::format("\"user\" asks for {}, but failoverdns runs as user {}, group {}, not root, so it "
                    "cannot switch; start it as root (it switches after binding its sockets), or as that "
                    "user and group (systemd: User=, Group=), or remove \"user\"",
                    account, user_name(::geteuid()), group_name(::getegid())));
  }
  // Groups first: once the user is not root, nothing else may change.
  if (::initgroups(name.c_str(), gid) != 0)
    return fail(fmt::format("cannot take the groups of user {}: {}", name, std::strerror(errno)));
  if (::setresgid(gid, gid, gid) != 0)
    return fail(fmt::format("cannot switch to group {}: {}", group_name(gid), std::strerror(errno)));
  if (::setresuid(uid, uid, uid) != 0)
    return fail(fmt::format("cannot switch to user {}: {}", name, std::strerror(errno)));
  if (uid != 0 && ::setuid(0) == 0)
    return fail("switched to " + account + " but could switch back to root; refusing to run");
  // The kernel made the process undumpable when it changed user. Made
  // dumpable again, it is what systemd's User= starts (and nginx does the
  // same): a crash leaves a core dump, and LeakSanitizer can inspect its
  // threads. Processes of the same user may then ptrace it: one more
  // reason for an account of its own.
  ::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  spdlog::info("event=user_switched user={} uid={} group={} gid={}", name, uid, group_name(gid), gid);
  return {};
}

std::vector<std::string> unreachable_files(const Config& config, const std::vector<ConfigSource>& sources) {
  std::vector<std::string> problems;
  const auto add = [&problems](std::optional<std::string> problem) {
    if (problem) problems.push_back(std::move(*problem));
  };
  for (const auto& source : sources)
    if (source.kind == ConfigSource::Kind::dir) add(unreadable(source.path, "config dir", true));
  for (const auto& file : config.files) add(unreadable(file, "config file", false));
  for (const auto& f : config.failover) {
    const std::string key = "failover." + f.service + ".";
    if (!f.password_file.empty()) add(unreadable(f.password_file, key + "password_file", false));
    if (!f.replication_password_file.empty())
      add(unreadable(f.replication_password_file, key + "replication_password_file", false));
    add(unwritable_state(f.state_file, key + "state_file"));
  }
  if (!config.http.token_file.empty()) add(unreadable(config.http.token_file, "http_token_file", false));
  return problems;
}

}  // namespace failoverdns
