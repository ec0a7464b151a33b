// SPDX-License-Identifier: MIT
#pragma once

#include "strata/executor/sql_runner.hpp"
#include "strata/executor/sqlite_api.hpp"

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strata {

// One row whose foreign key points at no parent row.
struct ForeignKeyViolation {
    std::string table;
    std::int64_t rowid = 0;
    std::string parent;
};

// A foreign key SQLite cannot check: its parent columns are neither the PRIMARY KEY nor a
// UNIQUE index of the parent ("foreign key mismatch"). SQLite accepts such a schema.
struct UncheckableForeignKey {
    std::string table;          // the child
    std::string columns;        // the child's columns, "a" or "a, b"
    std::string parent;         // the parent table
    std::string parent_columns; // as declared; "" when it names the parent's primary key
};

// What a foreign-key check found.
struct ForeignKeyCheck {
    std::vector<ForeignKeyViolation> violations;
    // Keys skipped because SQLite cannot check them; the other keys of their tables were
    // checked one by one.
    std::vector<UncheckableForeignKey> unchecked;
};

// The main database's tables as name and root page, taken before a migration runs. A table
// renamed since (or rebuilt under an old name) shows up afterwards with a pair not in it.
class TableSnapshot {
  public:
    // Reads sqlite_schema. Throws sqlite::Failure when it cannot be read.
    static TableSnapshot take(sqlite::Database db);
    // Whether `table` (any letter case) existed with that root page. With auto_vacuum on, a
    // DROP moves other tables' root pages, so only the name counts.
    bool contains(const std::string& table, std::int64_t root_page) const;

  private:
    std::set<std::pair<std::string, std::int64_t>> m_tables; // names in lower case
    bool m_names_only = false;
};

// Whether running `sql` could rename a table. Only ALTER TABLE renames, and a trigger body cannot
// hold one, so SQL without the word ALTER (in any case) cannot: most migrations then need no
// TableSnapshot. A false alarm (the word in a comment) only costs a snapshot.
bool may_rename_tables(std::string_view sql);

// Runs SQLite's foreign_key_check on the tables a migration (or a whole run) could have broken:
// those whose rows it wrote, those renamed or created since `before` (null: the caller knows no
// table was renamed), and those whose foreign keys refer to a table whose rows it removed. A
// whole-database check at every migration would make a run cost migrations x database size.
// Throws sqlite::Failure when SQLite fails.
ForeignKeyCheck check_foreign_keys(sqlite::Database db, const TouchedTables& touched,
                                   const TableSnapshot* before);

// Sets PRAGMA foreign_keys for the duration of a run (it is ignored inside a transaction, so
// this happens before BEGIN) and restores the connection's previous setting afterwards.
class ForeignKeyEnforcement {
  public:
    ForeignKeyEnforcement(sqlite::Database db, bool enforce);
    ~ForeignKeyEnforcement();
    ForeignKeyEnforcement(const ForeignKeyEnforcement&) = delete;
    ForeignKeyEnforcement& operator=(const ForeignKeyEnforcement&) = delete;

  private:
    sqlite::Database m_db;
    bool m_previous;
    bool m_changed;
};

} // namespace strata
