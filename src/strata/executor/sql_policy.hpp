// SPDX-License-Identifier: MIT
#pragma once

#include "strata/executor/sql_runner.hpp"

#include <set>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;

namespace strata {

// A refusal's hint: fixed text, or text worded when the hint is read, for one that names a
// command, option or setting (strata/terms.hpp), so it speaks to the reader of the error.
class RunnerHint {
  public:
    RunnerHint(const char* text) : m_text(text) {}
    RunnerHint(std::string (*worded)()) : m_worded(worded) {}
    operator std::string() const { return m_worded != nullptr ? m_worded() : m_text; }

  private:
    const char* m_text = "";
    std::string (*m_worded)() = nullptr;
};

// A refusal the runner decides itself, on the text or on the connection's state, because
// SQLite's authorizer is not asked about it. sqlite_code goes into the Error.
struct RunnerRefusal {
    const char* message;
    RunnerHint hint;
    int sqlite_code;
};

// Text in which a /* comment is never closed (see unterminated_comment).
extern const RunnerRefusal k_unclosed_comment;
// A statement that left the connection in autocommit mode in the transaction phase.
extern const RunnerRefusal k_transaction_ended;
// A VACUUM INTO, refused in every phase (see vacuum_writes_elsewhere).
extern const RunnerRefusal k_vacuum_into;
// Down SQL read back from the database that has an after-commit section.
extern const RunnerRefusal k_stored_after_commit;
// Why a VACUUM (see is_vacuum) may not run in `phase`, or nullptr when it may.
const RunnerRefusal* vacuum_refusal(SqlPhase phase);
// Whether `statement`, one VACUUM statement, writes to a file (VACUUM ... INTO), as SQLite's own
// compilation of it says; also true when SQLite cannot compile it.
bool vacuum_writes_elsewhere(sqlite3* db, std::string_view statement);

// SQLite's authorizer, installed on `db` for as long as it lives: while a migration's
// statements are prepared it denies what strata refuses in `phase` (see sql_policy.cpp for the
// rules) and records the tables each statement touches in `touched` (when not null).
// `state_table` names strata's state table (Settings::state_table).
class Authorizer {
  public:
    // `effects`, when not null, is filled as statements are prepared (SqlEffects).
    Authorizer(sqlite3* db, SqlPhase phase, TouchedTables* touched, std::string_view state_table,
               SqlEffects* effects = nullptr);
    ~Authorizer();
    Authorizer(const Authorizer&) = delete;
    Authorizer& operator=(const Authorizer&) = delete;

    // Whether SQLite asks this authorizer about a statement (it asks nothing when SQLite was
    // built without authorizer support). Call right after construction.
    bool answering();

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
    void note_schema_change(std::set<std::string> TouchedTables::*change, const char* table);
    void note_effects(int action, const char* a1, const char* a2, const char* database);

    sqlite3* m_db;
    SqlPhase m_phase;
    TouchedTables* m_touched;
    SqlEffects* m_effects;
    std::string m_state_table;
    std::string m_refusal;
    long m_questions = 0;
    std::vector<std::string> m_defined;
};

} // namespace strata
