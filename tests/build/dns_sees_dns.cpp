// Compiled against fdns_dns only: a module sees its own public headers and
// those of the modules it links (catalog, config, support).
#include "failoverdns/catalog/catalog.hpp"
#include "failoverdns/dns/answer_table.hpp"
#include "failoverdns/support/error.hpp"

int dns_sees_dns() { return 0; }
