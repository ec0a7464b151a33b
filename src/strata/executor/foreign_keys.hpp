// SPDX-License-Identifier: MIT
#pragma once

#include "strata/executor/sql_runner.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace SQLite {
class Database;
}

namespace strata {

// One row whose foreign key points at no parent row.
struct ForeignKeyViolation {
    std::string table;
    std::int64_t rowid = 0;
    std::string parent;
};

// Runs SQLite's foreign_key_check on the tables a migration could have broken: those whose rows
// it wrote, and those whose foreign keys refer to a table whose rows it removed. A whole-database
// check at every migration would make a run cost migrations x database size.
std::vector<ForeignKeyViolation> find_foreign_key_violations(SQLite::Database& db,
                                                             const TouchedTables& touched);

// Sets PRAGMA foreign_keys for the duration of a run (it is ignored inside a transaction, so
// this happens before BEGIN) and restores the connection's previous setting afterwards.
class ForeignKeyEnforcement {
  public:
    ForeignKeyEnforcement(SQLite::Database& db, bool enforce);
    ~ForeignKeyEnforcement();
    ForeignKeyEnforcement(const ForeignKeyEnforcement&) = delete;
    ForeignKeyEnforcement& operator=(const ForeignKeyEnforcement&) = delete;

  private:
    SQLite::Database& m_db;
    bool m_previous;
    bool m_changed;
};

} // namespace strata
