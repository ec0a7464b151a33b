// SPDX-License-Identifier: MIT
// What `strata lint` asks SQLite about a migration on a scratch database: which functions each
// statement calls (SQLite's authorizer names them as it resolves them), which it does not know,
// and which objects the schema holds.
#pragma once

#include "strata/executor/sqlite_api.hpp"

#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;

namespace strata {

// An empty in-memory database with the settings of strata's own connections, closed on
// destruction. Throws Error(Database) when SQLite cannot open one.
class ScratchDatabase {
  public:
    ScratchDatabase();
    ~ScratchDatabase();
    ScratchDatabase(const ScratchDatabase&) = delete;
    ScratchDatabase& operator=(const ScratchDatabase&) = delete;
    sqlite::Database db() const { return sqlite::Database(m_handle); }

  private:
    sqlite3* m_handle = nullptr;
};

// One statement of a migration's text and the functions it calls.
struct ProbedStatement {
    std::size_t offset = 0; // from the start of the text, where the statement's first token is
    std::string_view text;  // the statement as written
    std::vector<std::string> functions; // as SQLite resolved them (lower case), each once
    std::vector<std::string> unknown;   // not known to SQLite or a stand-in: given one here
};

// Prepares and runs each statement of `sql` on `db`, in order, so the names a statement makes
// are there for the next one; the caller rolls the work back. A function SQLite does not know
// gets a stand-in (register_stand_in_functions) and the statement is prepared again. VACUUM is
// only prepared. Throws Error(MigrationFailed) at path:line:col for any other failure.
std::vector<ProbedStatement> probe_statements(sqlite::Database db, std::string_view sql,
                                              const std::string& path);

// "table users", "index users_email", ... for every object of the main schema but SQLite's own.
std::set<std::string> schema_objects(sqlite::Database db);

} // namespace strata
