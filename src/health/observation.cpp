#include "failoverdns/health/observation.hpp"

#include <errmsg.h>
#include <mysqld_error.h>

namespace failoverdns {

std::string_view to_string(ProbeOutcome outcome) {
  switch (outcome) {
    case ProbeOutcome::answered:
      return "answered";
    case ProbeOutcome::no_answer:
      return "no_answer";
    case ProbeOutcome::refused:
      return "refused";
    case ProbeOutcome::overloaded:
      return "overloaded";
  }
  return "?";
}

ProbeOutcome outcome_of_error(int code) {
  switch (code) {
    case 0:                   // our own deadline: nothing came back in time
    case ER_SERVER_SHUTDOWN:  // it says so itself: it is going away
      return ProbeOutcome::no_answer;
    case ER_CON_COUNT_ERROR:            // 1040 max_connections
    case ER_TOO_MANY_USER_CONNECTIONS:  // 1203 max_user_connections
    case ER_USER_LIMIT_REACHED:         // 1226 an account's MAX_* limit
    case ER_OUT_OF_RESOURCES:           // 1041
    case ER_OUTOFMEMORY:                // 1037
    case ER_OUT_OF_SORTMEMORY:          // 1038
    case ER_CANT_CREATE_THREAD:         // 1135
      return ProbeOutcome::overloaded;
    // The server asked for an authentication plugin this client cannot
    // use: it answered, so it is alive.
    case CR_AUTH_PLUGIN_CANNOT_LOAD:
    case CR_AUTH_PLUGIN_ERR:
      return ProbeOutcome::refused;
    default:
      break;
  }
  // CR_* numbers are this client's own view: refused, reset, lost, timed out.
  if (code >= CR_MIN_ERROR && code <= CR_MAX_ERROR) return ProbeOutcome::no_answer;
  return ProbeOutcome::refused;
}

}  // namespace failoverdns
