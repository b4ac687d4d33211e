// ldns for C++ translation units. ldns/common.h defines bool, true and false
// as macros unless stdbool's guard is set, which breaks libstdc++ headers
// included after it (<optional>'s operator<=>); stdbool.h sets the guard.
#pragma once

#include <stdbool.h>  // NOLINT: must precede ldns

#include <ldns/ldns.h>
