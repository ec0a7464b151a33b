// SPDX-License-Identifier: MIT
#include "strata/executor/foreign_keys.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <set>

namespace strata {

namespace {

bool table_exists(SQLite::Database& db, const std::string& table) {
    SQLite::Statement query(db,
                            "SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND name = ?");
    query.bind(1, table);
    return query.executeStep();
}

// Tables with a foreign key to any of `parents`: one scan of the schema's foreign-key lists.
void add_children(SQLite::Database& db, const std::set<std::string>& parents,
                  std::set<std::string>& out) {
    SQLite::Statement query(db,
                            "SELECT DISTINCT s.name, f.\"table\" FROM main.sqlite_schema AS s, "
                            "pragma_foreign_key_list(s.name, 'main') AS f WHERE s.type = 'table'");
    while (query.executeStep()) {
        const std::string parent = query.getColumn(1).getString();
        for (const std::string& removed : parents) {
            if (sqlite3_stricmp(parent.c_str(), removed.c_str()) == 0) {
                out.insert(query.getColumn(0).getString());
                break;
            }
        }
    }
}

} // namespace

std::vector<ForeignKeyViolation> find_foreign_key_violations(SQLite::Database& db,
                                                             const TouchedTables& touched) {
    std::set<std::string> tables = touched.rows_written;
    if (!touched.keys_removed.empty())
        add_children(db, touched.keys_removed, tables);

    std::vector<ForeignKeyViolation> violations;
    SQLite::Statement check(
        db, "SELECT \"table\", rowid, parent FROM pragma_foreign_key_check(?, 'main')");
    for (const std::string& table : tables) {
        if (!table_exists(db, table)) // dropped or renamed by the migration
            continue;
        check.reset();
        check.bind(1, table);
        while (check.executeStep()) {
            ForeignKeyViolation violation;
            violation.table = check.getColumn(0).getString();
            violation.rowid = check.getColumn(1).getInt64();
            violation.parent = check.getColumn(2).getString();
            violations.push_back(std::move(violation));
        }
    }
    return violations;
}

ForeignKeyEnforcement::ForeignKeyEnforcement(SQLite::Database& db, bool enforce)
    : m_db(db), m_previous(db.execAndGet("PRAGMA foreign_keys").getInt() != 0),
      m_changed(m_previous != enforce) {
    if (m_changed)
        m_db.exec(enforce ? "PRAGMA foreign_keys = ON" : "PRAGMA foreign_keys = OFF");
}

ForeignKeyEnforcement::~ForeignKeyEnforcement() {
    // Best effort: a destructor must not throw, and the connection is closed soon after.
    if (m_changed)
        m_db.tryExec(m_previous ? "PRAGMA foreign_keys = ON" : "PRAGMA foreign_keys = OFF");
}

} // namespace strata
