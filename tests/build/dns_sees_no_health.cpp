// Compiled against fdns_dns only: the data plane must not see the health
// module's headers. This file must fail to compile (module_boundaries.sh).
#include "failoverdns/health/health_check.hpp"

int dns_sees_no_health() { return 0; }
