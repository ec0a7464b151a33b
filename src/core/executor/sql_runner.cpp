// SPDX-License-Identifier: MIT
#include "core/executor/sql_runner.hpp"

#include "core/error.hpp"
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

// Installed while a migration's statements are prepared: SQLite asks it about every action a
// statement would take, which catches what a keyword scan would miss (CTEs, triggers, case).
class Authorizer {
  public:
    explicit Authorizer(sqlite3* db) : m_db(db) { sqlite3_set_authorizer(m_db, &callback, this); }
    ~Authorizer() { sqlite3_set_authorizer(m_db, nullptr, nullptr); }
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

    int decide(int action, const char* a1, const char* a2, const char* database) {
        // A temp table of the same name is the migration's own business.
        const bool main_db = database == nullptr || equals_nocase(database, "main");
        switch (action) {
        case SQLITE_TRANSACTION:
            return deny(std::string(a1 ? a1 : "transaction control") +
                        " would end the transaction strata runs each migration in");
        case SQLITE_ATTACH:
        case SQLITE_DETACH:
            return deny("ATTACH and DETACH are not allowed in a migration: an attached database "
                        "is outside the migration's transaction");
        case SQLITE_INSERT:
        case SQLITE_UPDATE:
        case SQLITE_DELETE:
        case SQLITE_DROP_TABLE:
            if (main_db && is_state_table(a1))
                return deny("a migration must not write to strata's state table \"migrations\"");
            break;
        case SQLITE_ALTER_TABLE: // a1 is the database, a2 the table
        case SQLITE_CREATE_INDEX:
        case SQLITE_CREATE_TRIGGER: // a2 is the table
            if (is_state_table(a2) && (action != SQLITE_ALTER_TABLE || equals_nocase(a1, "main")))
                return deny("a migration must not change strata's state table \"migrations\"");
            break;
        default:
            break;
        }
        return SQLITE_OK;
    }

    sqlite3* m_db;
    std::string m_refusal;
};

// Tracks line and column while the runner walks the text, so that finding a statement's
// position costs only the characters between statements (linear in the file).
class Position {
  public:
    explicit Position(const char* begin) : m_at(begin) {}
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
    int m_line = 1;
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
    sqlite3* db = database.getHandle();
    Authorizer authorizer(db);
    const char* const begin = sql.data();
    const char* const end = begin + sql.size();
    const char* at = begin;
    Position position(begin);

    auto fail = [&](const std::string& message, const std::string& hint, int code) {
        throw Error(ErrorKind::MigrationFailed, message,
                    SourceLocation{path, position.line(), position.column()}, hint)
            .with_sqlite_code(code);
    };

    while (true) {
        at = skip_blank(at, end);
        if (at >= end)
            break;
        position.advance_to(at);
        if (is_vacuum(at, end))
            fail("VACUUM cannot run inside a migration's transaction",
                 "run VACUUM separately after migrating", SQLITE_MISUSE);

        sqlite3_stmt* raw = nullptr;
        const char* tail = nullptr;
        authorizer.reset();
        const int prepared = sqlite3_prepare_v3(db, at, static_cast<int>(end - at), 0, &raw, &tail);
        StatementPtr statement(raw);
        if (prepared != SQLITE_OK) {
            if (!authorizer.refusal().empty())
                fail("statement refused: " + authorizer.refusal(),
                     "remove the statement; strata manages the transaction and its state table",
                     prepared);
            fail(std::string("statement failed: ") + sqlite3_errmsg(db),
                 "fix the statement and run again; nothing of this migration was kept",
                 sqlite3_extended_errcode(db));
        }
        if (statement == nullptr) { // a lone ';' (or only a comment) was there
            if (tail == nullptr || tail <= at)
                break;
            at = tail;
            continue;
        }

        int stepped;
        while ((stepped = sqlite3_step(statement.get())) == SQLITE_ROW) {
        }
        if (stepped != SQLITE_DONE)
            fail(std::string("statement failed: ") + sqlite3_errmsg(db),
                 "fix the statement and run again; nothing of this migration was kept",
                 sqlite3_extended_errcode(db));
        // Belt and braces: whatever a statement did, the transaction must still be open.
        if (sqlite3_get_autocommit(db) != 0)
            fail("statement ended the transaction strata runs the migration in",
                 "remove transaction control from the migration", SQLITE_MISUSE);
        at = tail;
    }
}

} // namespace strata
