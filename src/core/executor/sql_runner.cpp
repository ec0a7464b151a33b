// SPDX-License-Identifier: MIT
#include "core/executor/sql_runner.hpp"

#include "core/error.hpp"
#include "core/executor/database.hpp"
#include "core/state/state_store.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>
#include <strings.h>

#include <cctype>

namespace strata {

namespace {

bool equals_nocase(const char* a, std::string_view b) {
    return a != nullptr && std::string_view(a).size() == b.size() &&
           ::strncasecmp(a, b.data(), b.size()) == 0;
}

bool is_state_table(const char* table) {
    return equals_nocase(table, StateStore::k_table);
}

bool is_internal(const char* table) {
    return table != nullptr && ::strncasecmp(table, "sqlite_", 7) == 0;
}

// PRAGMAs that cannot take effect inside a transaction, or that strata manages itself, with
// what to do instead.
const char* pragma_refusal(const char* name) {
    if (equals_nocase(name, "foreign_keys"))
        return "PRAGMA foreign_keys has no effect inside the transaction a migration runs in; "
               "set foreign_keys = \"deferred\" (the default) or \"immediate\" in strata.toml";
    if (equals_nocase(name, "journal_mode"))
        return "PRAGMA journal_mode cannot change inside a transaction; set journal_mode in "
               "strata.toml";
    if (equals_nocase(name, "synchronous"))
        return "strata runs migrations with synchronous = FULL; set synchronous in strata.toml";
    if (equals_nocase(name, "writable_schema"))
        return "PRAGMA writable_schema lets SQL edit sqlite_schema directly, which can corrupt "
               "the database; strata refuses it";
    if (equals_nocase(name, "page_size") || equals_nocase(name, "auto_vacuum"))
        return "this PRAGMA only takes effect with a VACUUM, which cannot run inside a "
               "transaction; put both in the migration's -- strata:after-commit section";
    return nullptr;
}

// Installed while a migration's statements are prepared: SQLite asks it about every action a
// statement would take, which catches what a keyword scan would miss (CTEs, triggers, case).
class Authorizer {
  public:
    Authorizer(sqlite3* db, SqlPhase phase, TouchedTables* touched)
        : m_db(db), m_phase(phase), m_touched(touched) {
        sqlite3_set_authorizer(m_db, &callback, this);
    }
    ~Authorizer() { sqlite3_set_authorizer(m_db, nullptr, nullptr); }

    // VACUUM runs its own ATTACH and CREATE statements internally; they are not the
    // migration's, so the authorizer steps aside while an after-commit VACUUM runs.
    void suspend() { sqlite3_set_authorizer(m_db, nullptr, nullptr); }
    void resume() { sqlite3_set_authorizer(m_db, &callback, this); }
    Authorizer(const Authorizer&) = delete;
    Authorizer& operator=(const Authorizer&) = delete;

    // Why the last statement was denied, or "" when it was not.
    const std::string& refusal() const { return m_refusal; }
    void reset() { m_refusal.clear(); }

  private:
    static int callback(void* self, int action, const char* a1, const char* a2,
                        const char* database, const char*) {
        return static_cast<Authorizer*>(self)->decide(action, a1, a2, database);
    }

    int deny(std::string why) {
        m_refusal = std::move(why);
        return SQLITE_DENY;
    }

    void touch(const char* table, bool rows_written, bool keys_removed) {
        if (m_touched == nullptr || table == nullptr || is_internal(table))
            return;
        if (rows_written)
            m_touched->rows_written.insert(table);
        if (keys_removed)
            m_touched->keys_removed.insert(table);
    }

    int decide(int action, const char* a1, const char* a2, const char* database) {
        switch (action) {
        case SQLITE_TRANSACTION:
            // SQLite reports END as COMMIT; name both so the message matches the file.
            return deny((equals_nocase(a1, "COMMIT")
                             ? std::string("COMMIT (or END)")
                             : std::string(a1 ? a1 : "transaction control")) +
                        (m_phase == SqlPhase::InTransaction
                             ? " would end the transaction strata runs each migration in"
                             : " is not allowed in an after-commit section"));
        case SQLITE_SAVEPOINT:
            if (m_phase == SqlPhase::AfterCommit)
                return deny("SAVEPOINT is not allowed in an after-commit section");
            break;
        case SQLITE_ATTACH:
        case SQLITE_DETACH:
            return deny("ATTACH and DETACH are not allowed in a migration: an attached database "
                        "is outside the migration's transaction");
        case SQLITE_PRAGMA:
            // Reading a pragma (no argument) is harmless.
            if (a2 != nullptr) {
                const char* refusal = pragma_refusal(a1);
                if (refusal != nullptr &&
                    (m_phase == SqlPhase::InTransaction || equals_nocase(a1, "foreign_keys") ||
                     equals_nocase(a1, "writable_schema")))
                    return deny(refusal);
            }
            break;
        case SQLITE_CREATE_TEMP_TRIGGER:
            // A temp trigger may sit on a main table; on the state table it would fire on
            // strata's own writes, outside the authorizer's watch.
            if (is_state_table(a2))
                return deny("a migration must not put a trigger on strata's state table");
            break;
        default:
            break;
        }
        // A temp object of any name is the migration's own business.
        const bool main_db = database == nullptr || equals_nocase(database, "main");
        if (m_phase == SqlPhase::AfterCommit)
            return decide_after_commit(action, a1, a2, main_db);
        return decide_in_transaction(action, a1, a2, main_db);
    }

    int decide_in_transaction(int action, const char* a1, const char* a2, bool main_db) {
        switch (action) {
        case SQLITE_INSERT:
        case SQLITE_UPDATE:
        case SQLITE_DELETE:
        case SQLITE_DROP_TABLE:
            if (main_db && is_state_table(a1))
                return deny("a migration must not write to strata's state table \"migrations\"");
            if (main_db)
                // Every write may remove keys: an INSERT or UPDATE with REPLACE conflict
                // resolution deletes the rows it collides with.
                touch(a1, action != SQLITE_DELETE && action != SQLITE_DROP_TABLE, true);
            break;
        case SQLITE_CREATE_TABLE:
            if (main_db)
                touch(a1, true, false);
            break;
        case SQLITE_ALTER_TABLE: // a1 is the database, a2 the table
            if (equals_nocase(a1, "main")) {
                if (is_state_table(a2))
                    return deny("a migration must not change strata's state table "
                                "\"migrations\"");
                touch(a2, true, true);
            }
            break;
        case SQLITE_CREATE_INDEX:
        case SQLITE_CREATE_TRIGGER: // a2 is the table
            if (main_db && is_state_table(a2))
                return deny("a migration must not change strata's state table \"migrations\"");
            break;
        default:
            break;
        }
        return SQLITE_OK;
    }

    // After commit the migration is recorded as applied: nothing may change what it did.
    int decide_after_commit(int action, const char* a1, const char* a2, bool main_db) {
        switch (action) {
        case SQLITE_INSERT:
        case SQLITE_UPDATE:
        case SQLITE_DELETE:
            // ANALYZE keeps its statistics in sqlite_stat tables.
            if (main_db && !is_internal(a1))
                return deny("an after-commit section must not change data (it runs outside the "
                            "migration's transaction)");
            break;
        case SQLITE_CREATE_INDEX:
        case SQLITE_CREATE_TABLE:
        case SQLITE_CREATE_TRIGGER:
        case SQLITE_CREATE_VIEW:
        case SQLITE_DROP_INDEX:
        case SQLITE_DROP_TABLE:
        case SQLITE_DROP_TRIGGER:
        case SQLITE_DROP_VIEW:
        case SQLITE_ALTER_TABLE:
        case SQLITE_CREATE_VTABLE:
        case SQLITE_DROP_VTABLE:
            // ANALYZE creates sqlite_stat1 the first time; SQLite's own tables are not schema.
            if (main_db && !is_internal(a1) && !is_internal(a2))
                return deny("an after-commit section must not change the schema; move the "
                            "statement above the -- strata:after-commit line");
            break;
        default:
            break;
        }
        return SQLITE_OK;
    }

    sqlite3* m_db;
    SqlPhase m_phase;
    TouchedTables* m_touched;
    std::string m_refusal;
};

// Tracks line and column while the runner walks the text, so that finding a statement's
// position costs only the characters between statements (linear in the file).
class Position {
  public:
    Position(const char* begin, int first_line) : m_at(begin), m_line(first_line) {}
    void advance_to(const char* to) {
        for (; m_at < to; ++m_at) {
            if (*m_at == '\n') {
                ++m_line;
                m_column = 1;
            } else if ((static_cast<unsigned char>(*m_at) & 0xC0) != 0x80) {
                ++m_column; // count characters, not UTF-8 continuation bytes
            }
        }
    }
    int line() const { return m_line; }
    int column() const { return m_column; }

  private:
    const char* m_at;
    int m_line;
    int m_column = 1;
};

// Skips white space and SQL comments, which SQLite treats as part of the next statement.
const char* skip_blank(const char* at, const char* end) {
    while (at < end) {
        if (std::isspace(static_cast<unsigned char>(*at))) {
            ++at;
        } else if (at + 1 < end && at[0] == '-' && at[1] == '-') {
            while (at < end && *at != '\n')
                ++at;
        } else if (at + 1 < end && at[0] == '/' && at[1] == '*') {
            at += 2;
            while (at + 1 < end && !(at[0] == '*' && at[1] == '/'))
                ++at;
            at = at + 1 < end ? at + 2 : end;
        } else {
            break;
        }
    }
    return at;
}

// Where a block comment that never ends starts, or nullptr. SQLite reads such a comment to the
// end of the text, so everything after it would be skipped without a word.
const char* unterminated_comment(const char* at, const char* end) {
    while (at < end) {
        const char c = *at;
        if (c == '\'' || c == '"' || c == '`' || c == '[') {
            const char close = c == '[' ? ']' : c;
            for (++at; at < end && *at != close; ++at) {
            }
            ++at; // past the closing quote (a doubled quote just reopens the literal)
        } else if (c == '-' && at + 1 < end && at[1] == '-') {
            while (at < end && *at != '\n')
                ++at;
        } else if (c == '/' && at + 1 < end && at[1] == '*') {
            const char* start = at;
            for (at += 2; at + 1 < end && !(at[0] == '*' && at[1] == '/'); ++at) {
            }
            if (at + 1 >= end)
                return start;
            at += 2;
        } else {
            ++at;
        }
    }
    return nullptr;
}

// VACUUM has no authorizer action; it is recognised by its leading keyword.
bool is_vacuum(const char* at, const char* end) {
    constexpr std::string_view keyword = "vacuum";
    if (static_cast<std::size_t>(end - at) < keyword.size() ||
        ::strncasecmp(at, keyword.data(), keyword.size()) != 0)
        return false;
    const char* after = at + keyword.size();
    return after == end || !(std::isalnum(static_cast<unsigned char>(*after)) || *after == '_');
}

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
    Authorizer authorizer(db, run.phase, run.touched);
    const bool in_transaction = run.phase == SqlPhase::InTransaction;
    const std::string& path = run.path;
    const char* const begin = sql.data();
    const char* const end = begin + sql.size();
    const char* at = begin;
    Position position(begin, run.first_line);
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
        const int code = sqlite3_extended_errcode(db);
        const ErrorKind kind = kind_for_sqlite_code(code, ErrorKind::MigrationFailed);
        const std::string hint =
            kind == ErrorKind::MigrationFailed ? failure_hint : hint_for_sqlite_code(code);
        fail(std::string("statement failed: ") + sqlite3_errmsg(db), hint, code, kind);
    };

    if (const char* comment = unterminated_comment(begin, end)) {
        position.advance_to(comment);
        fail("this /* comment is never closed, so SQLite would silently skip everything after it",
             "close it with */", SQLITE_ERROR);
    }

    while (true) {
        at = skip_blank(at, end);
        if (at >= end)
            break;
        position.advance_to(at);
        const bool vacuum = is_vacuum(at, end);
        if (in_transaction && vacuum)
            fail("VACUUM cannot run inside a migration's transaction",
                 "put it after a line \"-- strata:after-commit\" at the end of the file",
                 SQLITE_MISUSE);

        sqlite3_stmt* raw = nullptr;
        const char* tail = nullptr;
        authorizer.reset();
        const int prepared = sqlite3_prepare_v3(db, at, static_cast<int>(end - at), 0, &raw, &tail);
        StatementPtr statement(raw);
        if (prepared != SQLITE_OK) {
            if (!authorizer.refusal().empty())
                fail("statement refused: " + authorizer.refusal(),
                     in_transaction ? "remove the statement; strata manages the transaction and "
                                      "its state table"
                                    : "an after-commit section is for VACUUM, ANALYZE, REINDEX "
                                      "and PRAGMA optimize and the like",
                     prepared);
            fail_statement();
        }
        if (statement == nullptr) { // a lone ';' (or only a comment) was there
            if (tail == nullptr || tail <= at)
                break;
            at = tail;
            continue;
        }

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
            fail("statement ended the transaction strata runs the migration in",
                 "remove transaction control from the migration", SQLITE_MISUSE);
        at = tail;
    }
}

} // namespace strata
