// SPDX-License-Identifier: MIT
#pragma once

#include <filesystem>
#include <string>

namespace SQLite {
class Database;
}

namespace strata {

// The database's schema as SQL, from sqlite_schema in a deterministic order (tables, then
// indexes, views and triggers, each by name), without SQLite's internal objects and without
// strata's state table. Each statement ends with ";" and a blank line separates them.
std::string dump_schema(SQLite::Database& db);

// Writes dump_schema(db) to `path` atomically (a temporary file renamed over it).
void write_schema_file(SQLite::Database& db, const std::filesystem::path& path);

} // namespace strata
