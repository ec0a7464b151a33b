// SPDX-License-Identifier: MIT
#pragma once

#include "strata/executor/sqlite_api.hpp"

#include <filesystem>
#include <string>
#include <string_view>

namespace strata {

// The database's schema as SQL, from sqlite_schema in a deterministic order (tables, then
// indexes, views and triggers, each by name), without SQLite's internal objects, automatic
// indexes, virtual tables' shadow tables and strata's state table `state_table` (with its
// indexes and triggers). Each statement ends with ";\n" and a blank line separates them; "" for
// an empty schema. Throws sqlite::Failure (callers translate it with rethrow_as_error).
std::string dump_schema(sqlite::Database db, std::string_view state_table);

// Writes dump_schema(db, state_table) to `path` atomically (util's writer: an exclusive
// temporary file beside it that never follows a link, renamed over it), creating missing
// folders. Throws Error(Usage) when `path` is the database or one of its side files
// (written_file_problem), Error(Database) naming `path` when it cannot be written.
void write_schema_file(sqlite::Database db, const std::filesystem::path& path,
                       std::string_view state_table);

} // namespace strata
