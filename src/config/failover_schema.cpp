#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "config_schema.hpp"

namespace failoverdns::conf {
namespace {

namespace fs = std::filesystem;

// A secret is only as private as the file that holds it. A password file
// may be read by its owner and by the group failoverdns runs as, nobody
// else; a Consul config dir is often root:consul 0640 for the agent's group,
// so only "others" is too open for a config file.
struct Exposure {
  mode_t too_open;
  std::string_view said;
};
constexpr Exposure kConfigFile{S_IROTH, "readable by others"};

void warn_if_exposed(const std::string& file, mode_t mode, Exposure exposure, std::string_view fix,
                     const std::string& path, ConfigReader& r) {
  if ((mode & exposure.too_open) != 0) r.warning(path, fmt::format("\"{}\" is {}; {}", file, exposure.said, fix));
}

void warn_if_secret_exposed(const std::string& file, const struct stat& st, const SecretReaders& readers,
                            const std::string& path, ConfigReader& r) {
  const bool group_ok = st.st_gid == readers.gid && (st.st_mode & (S_IWGRP | S_IXGRP)) == 0;
  if ((st.st_mode & S_IRWXO) == 0 && ((st.st_mode & S_IRWXG) == 0 || group_ok)) return;
  const std::string fix = readers.group.empty()
                              ? fmt::format("chmod 600 {}", file)
                              : fmt::format("chgrp {} {} and chmod 640 it", readers.group, file);
  r.warning(path, fmt::format("\"{}\" is accessible by group or others; {}", file, fix));
}

// A password written inline is readable by whoever can read its config file.
void warn_if_inline_exposed(const std::string& password, const std::string& settings_path, std::string_view key,
                            ConfigReader& r) {
  if (password.empty()) return;  // nothing to leak
  const std::string path = child_path(settings_path, key);
  const std::string file = r.file_of(path);
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return;
  const std::string fix =
      fmt::format("put the password in a file named by \"{}_file\" (chmod 600 it), or chmod o-r {}", key, file);
  warn_if_exposed(file, st.st_mode, kConfigFile, fix, path, r);
}

}  // namespace

std::optional<std::string> read_secret_file(const std::string& name, const std::string& path,
                                            const SecretReaders& readers, ConfigReader& r, fs::path& file) {
  file = name;
  if (file.is_relative()) file = fs::path(r.file_of(path)).parent_path() / file;
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    r.error(path, fmt::format("cannot read \"{}\": {}", file.string(), std::strerror(errno)));
    return std::nullopt;
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0) warn_if_secret_exposed(file.string(), st, readers, path, r);
  std::string secret;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) secret.append(buf, static_cast<std::size_t>(n));
  const int read_errno = errno;
  ::close(fd);
  if (n < 0) {
    r.error(path, fmt::format("cannot read \"{}\": {}", file.string(), std::strerror(read_errno)));
    return std::nullopt;
  }
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  return secret;
}

namespace {

// failover.<svc>.hooks: event -> a command. A string runs through
// /bin/sh -c (pipes, redirections); an array is the argv itself, as a
// Consul check's "args".
void read_hooks(const json& hooks, const std::string& path, std::map<std::string, std::vector<std::string>>& out,
                ConfigReader& r) {
  const auto command = [&](std::string name) {
    return [&r, &out, name](auto& v, auto& p) {
      if (v.is_string()) {
        auto text = v.template get<std::string>();
        if (text.empty()) r.error(p, "expected a command, got \"\"");
        else out[name] = {"/bin/sh", "-c", text};
        return;
      }
      if (!v.is_array()) {
        r.error(p, fmt::format("expected a command (a string for /bin/sh -c, or an array of program and arguments), "
                               "got {}",
                               shown(v, p)));
        return;
      }
      auto args = r.strings(v, p);
      if (args && (args->empty() || args->front().empty())) r.error(p, "expected a program and its arguments");
      else if (args) out[name] = std::move(*args);
    };
  };
  r.walk(hooks, path,
         {
             {"failover_started", command("failover_started")},
             {"failover_complete", command("failover_complete")},
             {"failover_failed", command("failover_failed")},
             {"switchover", command("switchover")},
             {"fenced", command("fenced")},
         });
}

}  // namespace

std::vector<FailoverSettings> read_failover(const json& failover, ConfigReader& r,
                                            const std::vector<ServiceDefinition>& services,
                                            const SecretReaders& readers) {
  std::vector<FailoverSettings> out;
  if (!failover.is_object()) {
    r.error("failover", fmt::format("expected an object of service name to failover settings, got {}",
                                    shown(failover, "failover")));
    return out;
  }
  for (const auto& [service, value] : failover.items()) {
    const std::string path = child_path("failover", service);
    FailoverSettings f;
    f.service = lower_ascii(service);
    f.path = r.where(path);
    f.state_file = fs::path("/var/lib/failoverdns") / (service + ".state");
    std::optional<std::pair<std::string, std::string>> password_file, replication_password_file;  // name, path
    bool inline_password = false, inline_replication_password = false;
    std::vector<std::pair<std::string, std::string>> no_promotion;  // id, path

    const auto text = [&](std::string& out_value) {
      return [&r, &out_value](auto& v, auto& p) {
        if (auto s = r.string(v, p)) out_value = *s;
      };
    };
    const auto nonempty_text = [&](std::string& out_value) {
      return [&r, &out_value](auto& v, auto& p) {
        auto s = r.string(v, p);
        if (s && s->empty()) r.error(p, "expected a non-empty string, got \"\"");
        else if (s) out_value = *s;
      };
    };
    const auto file_name = [&](std::optional<std::pair<std::string, std::string>>& out_value) {
      return [&r, &out_value](auto& v, auto& p) {
        auto s = r.string(v, p);
        if (s && s->empty()) r.error(p, "expected a file name, got \"\"");
        else if (s) out_value.emplace(*s, p);
      };
    };
    const auto duration = [&](Milliseconds& out_value, DurationRange range) {
      return [&r, &out_value, range](auto& v, auto& p) {
        if (auto d = r.duration(v, p, range)) out_value = *d;
      };
    };
    const auto flag = [&](bool& out_value) {
      return [&r, &out_value](auto& v, auto& p) {
        if (auto b = r.boolean(v, p)) out_value = *b;
      };
    };

    const bool is_object = r.walk(
        value, path,
        {
            {"user", nonempty_text(f.user)},
            {"password",
             [&](auto& v, auto& p) {
               inline_password = true;
               text(f.password)(v, p);
             }},
            {"password_file", file_name(password_file)},
            {"replication_user", nonempty_text(f.replication_user)},
            {"replication_password",
             [&](auto& v, auto& p) {
               inline_replication_password = true;
               text(f.replication_password)(v, p);
             }},
            {"replication_password_file", file_name(replication_password_file)},
            {"interval", duration(f.interval, DurationRange::positive)},
            {"timeout", duration(f.timeout, DurationRange::positive)},
            {"failcount",
             [&](auto& v, auto& p) {
               if (auto n = r.integer(v, p, 1, 1000)) f.failcount = static_cast<int>(*n);
             }},
            {"recheck_interval", duration(f.recheck_interval, DurationRange::positive)},
            {"auto_failover", flag(f.auto_failover)},
            {"auto_rejoin", flag(f.auto_rejoin)},
            {"verify_with_replicas", flag(f.verify_with_replicas)},
            {"accept_data_loss", flag(f.accept_data_loss)},
            {"enforce_read_only_replicas", flag(f.enforce_read_only_replicas)},
            {"relay_log_wait", duration(f.relay_log_wait, DurationRange::any)},
            {"switchover_max_lag", duration(f.switchover_max_lag, DurationRange::any)},
            {"switchover_timeout", duration(f.switchover_timeout, DurationRange::positive)},
            {"no_promotion",
             [&](auto& v, auto& p) {
               if (!r.strings(v, p)) return;
               for (std::size_t i = 0; i < v.size(); ++i)
                 no_promotion.emplace_back(v[i].template get<std::string>(), index_path(p, i));
             }},
            {"state_file",
             [&](auto& v, auto& p) {
               std::string s;
               nonempty_text(s)(v, p);
               if (!s.empty()) f.state_file = s;
             }},
            {"cooldown", duration(f.cooldown, DurationRange::any)},
            {"max_replica_lag",
             [&](auto& v, auto& p) {
               if (auto d = r.duration(v, p)) f.max_replica_lag = *d;
             }},
            {"extra_port",
             [&](auto& v, auto& p) {
               if (auto n = r.integer(v, p, 1, 65535)) f.extra_port = static_cast<std::uint16_t>(*n);
             }},
            {"kill_sessions_on_demote", flag(f.kill_sessions_on_demote)},
            {"hooks", [&](auto& v, auto& p) { read_hooks(v, p, f.hooks, r); }},
            {"hook_timeout", duration(f.hook_timeout, DurationRange::positive)},
        });
    if (!is_object) continue;

    if (inline_password) warn_if_inline_exposed(f.password, path, "password", r);
    if (inline_replication_password) warn_if_inline_exposed(f.replication_password, path, "replication_password", r);
    if (inline_password && password_file) r.error(path, "give \"password\" or \"password_file\", not both");
    else if (password_file) {
      if (auto s = read_secret_file(password_file->first, password_file->second, readers, r, f.password_file))
        f.password = *s;
    }
    if (inline_replication_password && replication_password_file)
      r.error(path, "give \"replication_password\" or \"replication_password_file\", not both");
    else if (replication_password_file) {
      if (auto s = read_secret_file(replication_password_file->first, replication_password_file->second, readers, r,
                                    f.replication_password_file))
        f.replication_password = *s;
    }

    std::vector<const ServiceDefinition*> instances;
    for (const auto& s : services)
      if (s.name == f.service) instances.push_back(&s);
    if (instances.empty()) {
      r.error(path, fmt::format("no service named \"{}\" is defined; failover applies to a service's instances",
                                service));
    } else {
      for (const auto& [id, id_path] : no_promotion) {
        if (std::ranges::none_of(instances, [&](const ServiceDefinition* s) { return s->id == id; })) {
          std::vector<std::string_view> ids;
          for (const auto* s : instances) ids.push_back(s->id);
          r.error(id_path, fmt::format("\"{}\" is not an instance of service \"{}\" (its instances: {})", id, service,
                                       fmt::join(ids, ", ")));
        }
      }
      f.no_promotion.clear();
      for (const auto& np : no_promotion) f.no_promotion.push_back(np.first);
    }
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace failoverdns::conf
