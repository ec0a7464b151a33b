// SPDX-License-Identifier: MIT
#include "strata/executor/sql_runner.hpp"

#include "strata/error.hpp"
#include "strata/executor/database.hpp"
#include "strata/executor/sql_policy.hpp"
#include "strata/executor/sql_text.hpp"
#include "strata/executor/sqlite_api.hpp"

#include <sqlite3.h>

#include <chrono>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <set>
#include <string>

namespace strata {

namespace {

struct StatementDeleter {
    void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using StatementPtr = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

// More rows of one table than this and checking them one by one costs more than checking the
// whole table (and more than the migration's own writes to it).
constexpr std::size_t k_max_tracked_rows = 10000;

// SQLite's update hook, installed while a migration's SQL runs when it reports touched tables
// (SqlRun::track_rows): notes the rowids written to each main table
// (TouchedTables::written_rowids), so that the foreign-key check looks at those rows and not at
// the whole table. SQLite cannot tell a hook that was there before, so an application's own
// connection is never given one (its tables are checked whole).
class RowHook {
  public:
    RowHook(sqlite3* db, TouchedTables* touched) : m_db(db), m_touched(touched) {
        if (m_touched != nullptr)
            sqlite3_update_hook(m_db, &noted, this);
    }
    ~RowHook() {
        if (m_touched != nullptr)
            sqlite3_update_hook(m_db, nullptr, nullptr);
    }
    RowHook(const RowHook&) = delete;
    RowHook& operator=(const RowHook&) = delete;

  private:
    static void noted(void* self, int operation, const char* database, const char* table,
                      sqlite3_int64 rowid) {
        if (operation != SQLITE_INSERT && operation != SQLITE_UPDATE)
            return;
        if (database == nullptr || std::strcmp(database, "main") != 0 || table == nullptr)
            return;
        static_cast<RowHook*>(self)->note(table, rowid);
    }

    void note(const char* table, sqlite3_int64 rowid) {
        // The same table row after row, as a bulk INSERT writes: no lookup per row.
        if (m_rows == nullptr || m_table != table) {
            m_table = table;
            std::string key = m_table;
            for (char& c : key)
                if (c >= 'A' && c <= 'Z')
                    c = static_cast<char>(c - 'A' + 'a');
            m_key = key;
            m_rows =
                m_touched->untracked.count(key) != 0 ? nullptr : &m_touched->written_rowids[key];
            if (m_rows == nullptr) {
                m_table.clear();
                return;
            }
        }
        m_rows->insert(rowid);
        if (m_rows->size() > k_max_tracked_rows) {
            m_touched->written_rowids.erase(m_key);
            m_touched->untracked.insert(m_key);
            m_rows = nullptr;
            m_table.clear();
        }
    }

    sqlite3* m_db;
    TouchedTables* m_touched;
    std::string m_table; // the table of the last row noted, as SQLite names it
    std::string m_key;   // the same in lower case
    std::set<std::int64_t>* m_rows = nullptr;
};

} // namespace

void run_migration_sql(sqlite::Database database, std::string_view sql, const std::string& path) {
    run_migration_sql(database, sql, SqlRun{path});
}

void run_migration_sql(sqlite::Database database, std::string_view sql, const SqlRun& run) {
    sqlite3* db = database.handle();
    Authorizer authorizer(db, run.phase, run.touched, run.state_table, run.effects);
    const RowHook rows(db, run.track_rows ? run.touched : nullptr);
    const bool in_transaction = run.phase == SqlPhase::InTransaction;
    const std::string& path = run.path;
    const char* const begin = sql.data();
    const char* const end = begin + sql.size();
    const char* at = begin;
    TextPosition position(begin, run.first_line);
    const std::string failure_hint =
        in_transaction ? "fix the statement and run again; nothing of this migration was kept"
                       : "the statements before it in the section did run";

    // Where messages point: the statement's start, or the token SQLite names.
    const char* failed_at = at;
    auto fail = [&](const std::string& message, const std::string& hint, int code,
                    ErrorKind kind = ErrorKind::MigrationFailed) {
        throw Error(kind, message, SourceLocation{path, position.line(), position.column()}, hint)
            .with_sqlite_code(code)
            .with_source_line(std::string(line_at(begin, end, failed_at)));
    };

    // A statement that fails because of the file itself (read-only, I/O error, disk full, ...)
    // is not the migration's fault: it gets the database's error kind and hint.
    auto fail_statement = [&](bool preparing) {
        // Only a statement SQLite could not compile names a token of its text; a failure while
        // stepping (a constraint, or a trigger's own SQL) keeps the statement's start.
        const int offset = preparing ? sqlite3_error_offset(db) : -1;
        if (offset >= 0 && offset < end - at) {
            failed_at = at + offset;
            position.advance_to(failed_at);
        }
        const std::string_view message = sqlite3_errmsg(db);
        // SQLite's words when a view, trigger or index of the schema uses a function or virtual
        // table it does not mark innocuous: strata's connections do not trust the schema.
        const bool untrusted = message.starts_with("unsafe use of");
        SqliteFailure failure; // named: see rethrow_as_error on GCC 12
        failure.message = "statement failed: " + std::string(message);
        failure.otherwise = ErrorKind::MigrationFailed;
        failure.hint = untrusted ? "strata runs migrations with trusted_schema off, so a view or "
                                   "trigger may not use that function or virtual table "
                                   "(docs/security.md); " +
                                       failure_hint
                                 : failure_hint;
        failure.busy_hint = "";
        failure.where = {path, position.line(), position.column()};
        failure.database = database.filename();
        throw sqlite_error(sqlite3_extended_errcode(db), std::move(failure))
            .with_source_line(std::string(line_at(begin, end, failed_at)));
    };

    auto refuse = [&](const RunnerRefusal& refusal) {
        fail(refusal.message, refusal.hint, refusal.sqlite_code);
    };

    if (!authorizer.answering())
        throw Error(ErrorKind::Refused,
                    "internal state error: this SQLite does not consult strata's authorizer, so "
                    "strata cannot check what a migration's SQL does",
                    SourceLocation{path}, "build strata with a SQLite that has authorizer support");

    if (const char* comment = unterminated_comment(begin, end)) {
        position.advance_to(comment);
        failed_at = comment;
        refuse(k_unclosed_comment);
    }

    while (true) {
        at = skip_blank(at, end);
        if (at >= end)
            break;
        position.advance_to(at);
        failed_at = at;
        const bool vacuum = is_vacuum(at, end);

        sqlite3_stmt* raw = nullptr;
        const char* tail = nullptr;
        authorizer.reset();
        const auto started = std::chrono::steady_clock::now();
        const int prepared = sqlite3_prepare_v3(db, at, static_cast<int>(end - at), 0, &raw, &tail);
        StatementPtr statement(raw);
        if (prepared != SQLITE_OK) {
            if (!authorizer.refusal().empty())
                fail("statement refused: " + authorizer.refusal(), authorizer.refusal_hint(),
                     prepared);
            fail_statement(true);
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
        if (vacuum) {
            // INTO first: moving the statement to an after-commit section would not help.
            if (vacuum_writes_elsewhere(db,
                                        std::string_view(at, static_cast<std::size_t>(tail - at))))
                refuse(k_vacuum_into);
            if (const RunnerRefusal* refusal = vacuum_refusal(run.phase))
                refuse(*refusal);
        }

        // An after-commit VACUUM (checked above to write nowhere else) runs statements of its
        // own, which are not the migration's: an ATTACH of a temporary file among them. For that
        // one statement the authorizer steps aside and one attached database is allowed.
        int attach_limit = -1;
        if (vacuum) {
            authorizer.suspend();
            attach_limit = sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 1);
        }
        int stepped;
        while ((stepped = sqlite3_step(statement.get())) == SQLITE_ROW) {
        }
        if (vacuum) {
            sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, attach_limit);
            authorizer.resume();
        }
        if (stepped != SQLITE_DONE) {
            // Table-valued PRAGMA functions ask the authorizer when they run, not when prepared.
            if (!authorizer.refusal().empty())
                fail("statement refused: " + authorizer.refusal(), authorizer.refusal_hint(),
                     stepped);
            fail_statement(false);
        }
        // Belt and braces: whatever a statement did, the transaction must still be open.
        if (in_transaction && sqlite3_get_autocommit(db) != 0)
            refuse(k_transaction_ended);
        if (run.on_statement) {
            // SQLite skips empty statements (a lone ';') before the one it prepared; so does
            // the text reported.
            const char* first = at;
            while (first < tail && *first == ';')
                first = skip_blank(first + 1, tail);
            std::string_view text(first, static_cast<std::size_t>(tail - first));
            while (!text.empty() && (text.back() == ' ' || text.back() == '\n' ||
                                     text.back() == '\t' || text.back() == '\r'))
                text.remove_suffix(1);
            run.on_statement(text, std::chrono::duration_cast<std::chrono::microseconds>(
                                       std::chrono::steady_clock::now() - started));
        }
        at = tail;
    }
}

void run_migration_code(sqlite::Database database, const MigrationCallback& code,
                        const SqlRun& run) {
    sqlite3* db = database.handle();
    Authorizer authorizer(db, SqlPhase::InTransaction, run.touched, run.state_table, run.effects);
    const RowHook rows(db, run.track_rows ? run.touched : nullptr);
    const SourceLocation where{run.path};
    const std::string hint = "fix the migration and run again; nothing of it was kept";
    if (!authorizer.answering())
        throw Error(ErrorKind::Refused,
                    "internal state error: this SQLite does not consult strata's authorizer, so "
                    "strata cannot check what a migration written in C++ does",
                    where, "build strata with a SQLite that has authorizer support");

    // The callback's statements are its own business; only what it leaves matters. Its
    // exception is the migration's failure, in its own words.
    std::optional<std::string> thrown;
    try {
        code(db);
    } catch (const Error& e) {
        thrown = e.message();
    } catch (const std::exception& e) {
        thrown = e.what();
    } catch (...) {
        thrown = "an exception that is not a std::exception";
    }
    // A statement the policy denied fails the migration even when the callback caught the
    // error and went on: the policy is the same as for a file, not advice.
    if (!authorizer.refusal().empty())
        throw Error(ErrorKind::MigrationFailed, "statement refused: " + authorizer.refusal(), where,
                    authorizer.refusal_hint())
            .with_sqlite_code(SQLITE_AUTH);
    if (sqlite3_get_autocommit(db) != 0)
        throw Error(ErrorKind::MigrationFailed, k_transaction_ended.message, where,
                    k_transaction_ended.hint)
            .with_sqlite_code(k_transaction_ended.sqlite_code);
    if (thrown)
        throw Error(ErrorKind::MigrationFailed, "the C++ migration threw: " + *thrown, where, hint);
    if (run.defined != nullptr)
        for (const std::string& name : authorizer.defined())
            run.defined->push_back({name, where});
}

} // namespace strata
