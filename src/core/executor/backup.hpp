// SPDX-License-Identifier: MIT
#pragma once

#include "core/executor/database.hpp"

#include <filesystem>
#include <vector>

namespace strata {

// Writes a consistent copy of the open database (SQLite's online backup API) to
// "<database>.<UTC timestamp>.bak" beside it, then deletes the oldest of that database's
// backups beyond `keep`. Returns the new backup's path. Throws Error(Database).
std::filesystem::path backup_database(Connection& connection, int keep);

// The backups of `database` that backup_database wrote, oldest first.
std::vector<std::filesystem::path> list_backups(const std::filesystem::path& database);

// Copies `backup` over `database` page by page inside SQLite's locks, after checking that the
// backup is a healthy SQLite database. Throws Error(Busy) while another connection holds the
// database, Error(Database) for a missing or damaged backup.
void restore_database(const std::filesystem::path& database, const std::filesystem::path& backup,
                      const DatabaseOptions& options);

} // namespace strata
