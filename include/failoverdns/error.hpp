// Errors crossing a module boundary are values, not exceptions: a message
// written for the user, saying what is wrong and what to do about it.
#pragma once

#include <expected>
#include <string>

namespace failoverdns {

struct Error {
  std::string message;
};

template <class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(std::string message) { return std::unexpected(Error{std::move(message)}); }

}  // namespace failoverdns
