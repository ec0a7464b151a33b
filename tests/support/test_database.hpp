// SPDX-License-Identifier: MIT
// A connection a test opens for itself, closed when it goes, which can be handed to the library
// wherever it takes one (strata::sqlite::Database).
#pragma once

#include "strata/executor/sqlite_api.hpp"

#include <sqlite3.h>

#include <string>

namespace strata::test {

class TestDatabase {
  public:
    // Opens `path` with sqlite3_open_v2's `flags`; throws sqlite::Failure when it cannot.
    explicit TestDatabase(const std::string& path, int flags = SQLITE_OPEN_READONLY,
                          int busy_timeout_ms = 0, const std::string& vfs = "") {
        const int code =
            sqlite3_open_v2(path.c_str(), &m_db, flags, vfs.empty() ? nullptr : vfs.c_str());
        if (code != SQLITE_OK) {
            const sqlite::Failure failure(code, m_db ? sqlite3_errmsg(m_db) : sqlite3_errstr(code));
            sqlite3_close_v2(m_db);
            throw failure;
        }
        sqlite3_busy_timeout(m_db, busy_timeout_ms);
    }
    ~TestDatabase() { sqlite3_close_v2(m_db); }
    TestDatabase(const TestDatabase&) = delete;
    TestDatabase& operator=(const TestDatabase&) = delete;

    operator sqlite::Database() const { return sqlite::Database(m_db); }
    sqlite3* handle() const { return m_db; }
    void exec(const std::string& sql) const { sqlite::Database(m_db).exec(sql); }
    int try_exec(const std::string& sql) const { return sqlite::Database(m_db).try_exec(sql); }
    std::string filename() const { return sqlite::Database(m_db).filename(); }

  private:
    sqlite3* m_db = nullptr;
};

// Whether the main schema of `db` has a table called `name`.
inline bool table_exists(sqlite::Database db, const std::string& name) {
    sqlite::Statement query(db,
                            "SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND name = ?");
    query.bind_text(1, name);
    return query.step();
}

} // namespace strata::test
