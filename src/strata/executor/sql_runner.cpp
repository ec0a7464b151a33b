// SPDX-License-Identifier: MIT
#include "strata/executor/sql_runner.hpp"

#include "strata/error.hpp"
#include "strata/executor/database.hpp"
#include "strata/executor/sql_policy.hpp"
#include "strata/executor/sql_text.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <memory>

namespace strata {

namespace {

struct StatementDeleter {
    void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using StatementPtr = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

} // namespace

void run_migration_sql(SQLite::Database& database, std::string_view sql, const std::string& path) {
    run_migration_sql(database, sql, SqlRun{path});
}

void run_migration_sql(SQLite::Database& database, std::string_view sql, const SqlRun& run) {
    sqlite3* db = database.getHandle();
    Authorizer authorizer(db, run.phase, run.touched, run.state_table);
    const bool in_transaction = run.phase == SqlPhase::InTransaction;
    const std::string& path = run.path;
    const char* const begin = sql.data();
    const char* const end = begin + sql.size();
    const char* at = begin;
    TextPosition position(begin, run.first_line);
    const std::string failure_hint =
        in_transaction ? "fix the statement and run again; nothing of this migration was kept"
                       : "the statements before it in the section did run";

    auto fail = [&](const std::string& message, const std::string& hint, int code,
                    ErrorKind kind = ErrorKind::MigrationFailed) {
        throw Error(kind, message, SourceLocation{path, position.line(), position.column()}, hint)
            .with_sqlite_code(code);
    };

    // A statement that fails because of the file itself (read-only, I/O error, disk full, ...)
    // is not the migration's fault: it gets the database's error kind and hint.
    auto fail_statement = [&] {
        throw sqlite_error(sqlite3_extended_errcode(db),
                           {.message = std::string("statement failed: ") + sqlite3_errmsg(db),
                            .otherwise = ErrorKind::MigrationFailed,
                            .hint = failure_hint,
                            .busy_hint = "",
                            .where = {path, position.line(), position.column()},
                            .database = database.getFilename()});
    };

    auto refuse = [&](const RunnerRefusal& refusal) {
        fail(refusal.message, refusal.hint, refusal.sqlite_code);
    };

    if (const char* comment = unterminated_comment(begin, end)) {
        position.advance_to(comment);
        refuse(k_unclosed_comment);
    }

    while (true) {
        at = skip_blank(at, end);
        if (at >= end)
            break;
        position.advance_to(at);
        const bool vacuum = is_vacuum(at, end);
        if (const RunnerRefusal* refusal = vacuum ? vacuum_refusal(run.phase) : nullptr)
            refuse(*refusal);

        sqlite3_stmt* raw = nullptr;
        const char* tail = nullptr;
        authorizer.reset();
        const int prepared = sqlite3_prepare_v3(db, at, static_cast<int>(end - at), 0, &raw, &tail);
        StatementPtr statement(raw);
        if (prepared != SQLITE_OK) {
            if (!authorizer.refusal().empty())
                fail("statement refused: " + authorizer.refusal(), authorizer.refusal_hint(),
                     prepared);
            fail_statement();
        }
        if (run.defined != nullptr)
            for (const std::string& name : authorizer.defined())
                run.defined->push_back({name, {path, position.line(), position.column()}});
        if (statement == nullptr) { // a lone ';' (or only a comment) was there
            if (tail == nullptr || tail <= at)
                break;
            at = tail;
            continue;
        }

        // An after-commit VACUUM runs statements of its own, which are not the migration's.
        if (vacuum)
            authorizer.suspend();
        int stepped;
        while ((stepped = sqlite3_step(statement.get())) == SQLITE_ROW) {
        }
        if (vacuum)
            authorizer.resume();
        if (stepped != SQLITE_DONE)
            fail_statement();
        // Belt and braces: whatever a statement did, the transaction must still be open.
        if (in_transaction && sqlite3_get_autocommit(db) != 0)
            refuse(k_transaction_ended);
        at = tail;
    }
}

} // namespace strata
