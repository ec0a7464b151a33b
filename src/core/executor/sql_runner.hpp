// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>

namespace SQLite {
class Database;
}

namespace strata {

// Runs a migration's SQL statement by statement with SQLite's own parser, inside the caller's
// open transaction. Refuses statements that would control or escape that transaction (BEGIN,
// COMMIT, ROLLBACK, ATTACH, DETACH, VACUUM) or write to strata's state table.
// Throws Error(MigrationFailed) at path:line of the failing statement with SQLite's message.
void run_migration_sql(SQLite::Database& db, std::string_view sql, const std::string& path);

} // namespace strata
