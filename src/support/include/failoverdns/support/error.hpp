// Errors crossing a module boundary are values, not exceptions: a message
// written for the user, saying what is wrong and what to do about it.
#pragma once

#include <expected>
#include <string>

namespace failoverdns {

struct Error {
  std::string message;
  int code = 0;  // the peer's error number where it gave one (e.g. MariaDB's), else 0
};

template <class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(std::string message) { return std::unexpected(Error{std::move(message)}); }

}  // namespace failoverdns
