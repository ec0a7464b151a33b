// SPDX-License-Identifier: MIT
#pragma once

#include "strata/executor/sql_runner.hpp"

#include <string>
#include <string_view>
#include <vector>

struct sqlite3;

namespace strata {

// A refusal the runner decides itself, on the text or on the connection's state, because
// SQLite's authorizer is not asked about it. sqlite_code goes into the Error.
struct RunnerRefusal {
    const char* message;
    const char* hint;
    int sqlite_code;
};

// Text in which a /* comment is never closed (see unterminated_comment).
extern const RunnerRefusal k_unclosed_comment;
// A statement that left the connection in autocommit mode in the transaction phase.
extern const RunnerRefusal k_transaction_ended;
// Why a VACUUM (see is_vacuum) may not run in `phase`, or nullptr when it may.
const RunnerRefusal* vacuum_refusal(SqlPhase phase);

// SQLite's authorizer, installed on `db` for as long as it lives: while a migration's
// statements are prepared it denies what strata refuses in `phase` (see sql_policy.cpp for the
// rules) and records the tables each statement touches in `touched` (when not null).
// `state_table` names strata's state table (Settings::state_table).
class Authorizer {
  public:
    Authorizer(sqlite3* db, SqlPhase phase, TouchedTables* touched, std::string_view state_table);
    ~Authorizer();
    Authorizer(const Authorizer&) = delete;
    Authorizer& operator=(const Authorizer&) = delete;

    // Stops and restarts the checks, for an after-commit VACUUM (its internal statements are
    // not the migration's).
    void suspend();
    void resume();

    // Why the last statement was denied, or "" when it was not; reset() clears it.
    const std::string& refusal() const { return m_refusal; }
    // The triggers and views the last statement creates (by name), for messages about them.
    const std::vector<std::string>& defined() const { return m_defined; }
    void reset() {
        m_refusal.clear();
        m_defined.clear();
    }
    // What to tell the user about a denied statement in this phase.
    const char* refusal_hint() const;

  private:
    static int callback(void* self, int action, const char* a1, const char* a2,
                        const char* database, const char* trigger);
    int decide(int action, const char* a1, const char* a2, const char* database);
    int decide_in_transaction(int action, const char* a1, const char* a2, bool main_db);
    int decide_after_commit(int action, const char* a1, const char* a2, bool main_db);
    int deny(std::string why);
    bool is_state_table(const char* table) const;
    std::string name_clash(const char* verb) const;
    void touch(const char* table, bool rows_written, bool keys_removed);

    sqlite3* m_db;
    SqlPhase m_phase;
    TouchedTables* m_touched;
    std::string m_state_table;
    std::string m_refusal;
    std::vector<std::string> m_defined;
};

} // namespace strata
