// SPDX-License-Identifier: MIT
#pragma once

#include <filesystem>
#include <string>

namespace SQLite {
class Database;
}

namespace strata {

// The database's schema as SQL, from sqlite_schema in a deterministic order (tables, then
// indexes, views and triggers, each by name), without SQLite's internal objects, automatic
// indexes, virtual tables' shadow tables and strata's state table (with its indexes and
// triggers). Each statement ends with ";\n" and a blank line separates them; "" for an empty
// schema. Throws SQLite::Exception (callers translate it with rethrow_as_error).
std::string dump_schema(SQLite::Database& db);

// Writes dump_schema(db) to `path` atomically (util's writer: an exclusive temporary file
// beside it that never follows a link, renamed over it), creating missing folders. Throws
// Error(Usage) when `path` is the database or one of its side files (written_file_problem),
// Error(Database) naming `path` when it cannot be written.
void write_schema_file(SQLite::Database& db, const std::filesystem::path& path);

} // namespace strata
