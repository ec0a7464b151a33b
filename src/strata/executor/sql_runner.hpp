// SPDX-License-Identifier: MIT
#pragma once

#include "strata/error.hpp"
#include "strata/executor/sqlite_api.hpp"
#include "strata/loader/code_migration.hpp"
#include "strata/project/settings.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

// Which part of a migration file is running.
enum class SqlPhase {
    InTransaction, // the migration proper, inside strata's transaction
    AfterCommit,   // the `-- strata:after-commit` section, after that transaction committed
};

// The tables a migration's statements touched (in the main database), as SQLite's authorizer
// reported them while preparing each statement, including statements run by triggers.
struct TouchedTables {
    // Rows were inserted or updated: their own foreign keys may now point nowhere.
    std::set<std::string> rows_written;
    // Rows were deleted or updated, or the table was dropped or altered: rows of other tables
    // referring to it may now point nowhere.
    std::set<std::string> keys_removed;
    // The schema changes, by name as the statement wrote it (CREATE TABLE's is the name the
    // schema keeps): what ForeignKeyGraph reads again instead of every table.
    std::set<std::string> created; // CREATE TABLE
    std::set<std::string> altered; // ALTER TABLE: renamed, or a column added, renamed or dropped
    std::set<std::string> dropped; // DROP TABLE
    std::set<std::string> indexed; // CREATE INDEX or DROP INDEX on these tables
    // The columns each UPDATE set, by table as the statement wrote it: an UPDATE of no key
    // column removes no key, whatever its table's children.
    std::map<std::string, std::set<std::string>> updated_columns;
    // The rows inserted or updated, by table in lower case, as SQLite's update hook reported
    // their rowids, so that only they are checked. A table with more rows written than are
    // worth looking at one by one is in `untracked` instead, and so is one whose writes the hook
    // does not report (WITHOUT ROWID): all its rows are checked.
    std::map<std::string, std::set<std::int64_t>> written_rowids;
    std::set<std::string> untracked;
};

// A trigger or view the SQL created, and where its CREATE statement starts.
struct DefinedObject {
    std::string name;
    SourceLocation where;
};

// What a migration's statements did beyond their tables' rows and schema, as the authorizer
// saw them while they were prepared: what the executor must look at again afterwards, and
// may skip looking at when nothing of the kind happened.
struct SqlEffects {
    bool pragma_set = false;       // a PRAGMA was given a value: a setting may have changed
    bool temp_schema = false;      // something was created in or dropped from the temp schema
    bool sequence_written = false; // sqlite_sequence was written, directly or by a trigger
};

struct SqlRun {
    std::string path;   // for messages: the file the SQL came from
    int first_line = 1; // the line of `path` the SQL starts on
    SqlPhase phase = SqlPhase::InTransaction;
    TouchedTables* touched = nullptr; // when set, filled as statements are prepared
    std::string_view state_table = k_default_state_table; // the table the policy protects
    std::vector<DefinedObject>* defined = nullptr; // when set, filled as statements are prepared
    SqlEffects* effects = nullptr;                 // when set, filled as statements are prepared
    // With `touched`: also note the rows written (TouchedTables::written_rowids) through
    // SQLite's update hook, which the connection must not be using for anything else.
    bool track_rows = false;
    // When set, called after each statement has run: its text (as written, without the blank
    // before it) and how long preparing and stepping it took. What it throws stops the run.
    std::function<void(std::string_view, std::chrono::microseconds)> on_statement{};
};

// Runs a migration's SQL statement by statement with SQLite's own parser. In both phases it
// refuses transaction control and savepoints, ATTACH, DETACH and VACUUM INTO, setting a PRAGMA
// that is not on strata's allow-list and functions with effects outside the database; in the
// transaction phase also VACUUM and writes to strata's state table; after commit anything that
// changes the schema or the data (the rules and their reasons: sql_policy.cpp). Throws
// Error(MigrationFailed) at path:line:column of the failing statement with SQLite's message,
// Error(Refused) when SQLite does not consult strata's authorizer.
void run_migration_sql(sqlite::Database db, std::string_view sql, const SqlRun& run);

// Runs a migration written in C++ (`code`, in the transaction phase) with the guarantees of
// run_migration_sql: the same authorizer judges every statement it prepares on `db`, collecting
// touched tables and defined objects, and the transaction must still be open afterwards. A
// statement the policy refused is reported as such even when the callback swallowed the error.
// Throws Error(MigrationFailed) with the exception's message when `code` throws anything.
void run_migration_code(sqlite::Database db, const MigrationCallback& code, const SqlRun& run);

// The same for the transaction phase, without collecting touched tables.
void run_migration_sql(sqlite::Database db, std::string_view sql, const std::string& path);

} // namespace strata
