// SPDX-License-Identifier: MIT
#pragma once

#include <filesystem>
#include <memory>
#include <string>

namespace SQLite {
class Database;
}

namespace strata {

enum class OpenMode {
    ReadOnly,  // never writes; fails when the file is missing
    ReadWrite, // fails when the file is missing
    Create,    // creates the file when it is missing
};

struct DatabaseOptions {
    int busy_timeout_ms = 5000;
    std::string vfs; // "" = SQLite's default; fault-injection tests register their own
};

// The one place strata opens a database. Throws Error(Database) with the path and SQLite's
// message when the file cannot be opened or is not a database.
std::unique_ptr<SQLite::Database> open_database(const std::filesystem::path& path, OpenMode mode,
                                                const DatabaseOptions& options);

} // namespace strata
