// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <vector>

struct sqlite3;

namespace strata {

// Registers on `db`, for each of `names`, a function taking any number of arguments that returns
// NULL: a stand-in for a function the application registers itself (strata.toml `functions`),
// so that SQL calling it prepares and runs outside the application. The stand-ins are
// deterministic and innocuous, so views, triggers, indexes and generated columns may use them.
// Throws Error(Database) when SQLite refuses one.
void register_stand_in_functions(sqlite3* db, const std::vector<std::string>& names);

} // namespace strata
