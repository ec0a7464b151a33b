// SPDX-License-Identifier: MIT
#include "strata/executor/sql_policy.hpp"

#include <sqlite3.h>
#include <strings.h>

#include <string_view>

// What strata refuses in a migration's SQL, and why. SQLite's own parser and authorizer decide
// (never a keyword scan, which CTEs, triggers and letter case would get past), except where
// SQLite asks no question: the rules marked "runner" are checked by sql_runner.cpp, with the
// refusals (RunnerRefusal) defined in this file.
//
// In the migration proper, inside the transaction strata runs it in:
//  - transaction control (BEGIN, COMMIT or END, ROLLBACK): it would end that transaction;
//  - ATTACH and DETACH: an attached database is outside the transaction;
//  - setting a PRAGMA that has no effect inside a transaction or that strata sets itself
//    (foreign_keys, journal_mode, synchronous, page_size, auto_vacuum), or writable_schema,
//    which lets SQL corrupt the database; reading any PRAGMA is fine;
//  - writing to, dropping or altering strata's state table, or indexing it or putting a
//    trigger on it (a temp trigger too: it would fire on strata's own writes);
//  - creating a table or view of the state table's name, even with IF NOT EXISTS (which
//    would silently create nothing);
//  - leaving behind a trigger or view whose body writes or reads the state table, a trigger
//    that writes sqlite_sequence, or a changed sqlite_sequence row of the state table: SQLite
//    authorizes trigger and view bodies only when they run, so state_table_guard.cpp checks
//    these before COMMIT;
//  - VACUUM (runner): it cannot run inside a transaction;
//  - a statement that ended the transaction anyway (runner, checked after each statement).
// In an after-commit section, which runs after the migration was recorded as applied:
//  - transaction control and SAVEPOINT, ATTACH and DETACH;
//  - setting PRAGMA foreign_keys (strata manages it) or writable_schema;
//  - changing data or schema in the main database (SQLite's statistics tables excepted, which
//    ANALYZE writes), so that nothing changes what the recorded migration did;
//  - a temp trigger on the state table.
// In both: a /* comment never closed (runner), because SQLite would silently skip the rest.
// Temp objects are the migration's own business and allowed, except a trigger on the state table
// or one whose body reaches it.

namespace strata {

namespace {

bool equals_nocase(const char* a, std::string_view b) {
    return a != nullptr && std::string_view(a).size() == b.size() &&
           ::strncasecmp(a, b.data(), b.size()) == 0;
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

const RunnerRefusal k_vacuum_in_transaction{
    "VACUUM cannot run inside a migration's transaction",
    "put it after a line \"-- strata:after-commit\" at the end of the file", SQLITE_MISUSE};

} // namespace

const RunnerRefusal k_unclosed_comment{
    "this /* comment is never closed, so SQLite would silently skip everything after it",
    "close it with */", SQLITE_ERROR};

const RunnerRefusal k_transaction_ended{
    "statement ended the transaction strata runs the migration in",
    "remove transaction control from the migration", SQLITE_MISUSE};

const RunnerRefusal* vacuum_refusal(SqlPhase phase) {
    return phase == SqlPhase::InTransaction ? &k_vacuum_in_transaction : nullptr;
}

const char* Authorizer::refusal_hint() const {
    return m_phase == SqlPhase::InTransaction
               ? "remove the statement; strata manages the transaction and its state table"
               : "an after-commit section is for VACUUM, ANALYZE, REINDEX and PRAGMA optimize "
                 "and the like";
}

// A project whose own table has the state table's name (TypeORM, Laravel and others call theirs
// "migrations") must rename it or move strata's record; the message says both.
std::string Authorizer::name_clash(const char* verb) const {
    return "a migration must not " + std::string(verb) + " a table named \"" + m_state_table +
           "\": that is strata's state table, where it records applied migrations; rename the "
           "project's table, or set state_table = \"...\" in strata.toml to keep strata's "
           "record under another name";
}

// SQLite compares table names without regard to letter case, and so does this.
bool Authorizer::is_state_table(const char* table) const {
    return equals_nocase(table, m_state_table);
}

// SQLite asks about every action a statement would take while preparing it, including the
// actions of the triggers it would fire.
int Authorizer::decide(int action, const char* a1, const char* a2, const char* database) {
    switch (action) {
    case SQLITE_TRANSACTION:
        // SQLite reports END as COMMIT; name both so the message matches the file.
        return deny((equals_nocase(a1, "COMMIT") ? std::string("COMMIT (or END)")
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

int Authorizer::decide_in_transaction(int action, const char* a1, const char* a2, bool main_db) {
    switch (action) {
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE:
        if (main_db && is_state_table(a1))
            return deny("a migration must not write to strata's state table \"" + m_state_table +
                        "\"");
        if (main_db)
            // Every write may remove keys: an INSERT or UPDATE with REPLACE conflict
            // resolution deletes the rows it collides with.
            touch(a1, action != SQLITE_DELETE, true);
        break;
    case SQLITE_DROP_TABLE:
        if (main_db && is_state_table(a1))
            return deny(name_clash("drop"));
        if (main_db)
            touch(a1, false, true);
        break;
    case SQLITE_CREATE_TABLE:
    case SQLITE_CREATE_VIEW:
        // SQLite asks before it looks whether the name is taken, so this also catches CREATE
        // ... IF NOT EXISTS, which would otherwise create nothing and leave the project's later
        // statements working on strata's table (a project table named "migrations" is common).
        // CREATE INDEX and CREATE VIRTUAL TABLE check the name first: the former fails loudly,
        // the latter with IF NOT EXISTS does nothing, and then any write to it is refused.
        if (main_db && is_state_table(a1))
            return deny(name_clash("create"));
        if (main_db && action == SQLITE_CREATE_TABLE)
            touch(a1, true, false);
        break;
    case SQLITE_ALTER_TABLE: // a1 is the database, a2 the table
        if (equals_nocase(a1, "main")) {
            if (is_state_table(a2))
                return deny(name_clash("alter"));
            touch(a2, true, true);
        }
        break;
    case SQLITE_CREATE_INDEX:
    case SQLITE_CREATE_TRIGGER: // a2 is the table
        if (main_db && is_state_table(a2))
            return deny("a migration must not change strata's state table \"" + m_state_table +
                        "\"");
        break;
    default:
        break;
    }
    return SQLITE_OK;
}

// After commit the migration is recorded as applied: nothing may change what it did.
int Authorizer::decide_after_commit(int action, const char* a1, const char* a2, bool main_db) {
    switch (action) {
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE:
        // ANALYZE keeps its statistics in sqlite_stat tables. sqlite_sequence is not among
        // them: it holds the next id of every AUTOINCREMENT table, the state table's too.
        if (main_db && (!is_internal(a1) || equals_nocase(a1, "sqlite_sequence")))
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

// ---- the mechanics of being SQLite's authorizer ----

Authorizer::Authorizer(sqlite3* db, SqlPhase phase, TouchedTables* touched,
                       std::string_view state_table)
    : m_db(db), m_phase(phase), m_touched(touched), m_state_table(state_table) {
    sqlite3_set_authorizer(m_db, &callback, this);
}

Authorizer::~Authorizer() {
    sqlite3_set_authorizer(m_db, nullptr, nullptr);
}

// VACUUM runs its own ATTACH and CREATE statements internally; they are not the migration's,
// so the authorizer steps aside while an after-commit VACUUM runs.
void Authorizer::suspend() {
    sqlite3_set_authorizer(m_db, nullptr, nullptr);
}

void Authorizer::resume() {
    sqlite3_set_authorizer(m_db, &callback, this);
}

int Authorizer::callback(void* self, int action, const char* a1, const char* a2,
                         const char* database, const char*) {
    auto* authorizer = static_cast<Authorizer*>(self);
    // Where each trigger and view was defined, so the check before COMMIT
    // (state_table_guard.hpp) can point at the statement.
    if ((action == SQLITE_CREATE_TRIGGER || action == SQLITE_CREATE_TEMP_TRIGGER ||
         action == SQLITE_CREATE_VIEW || action == SQLITE_CREATE_TEMP_VIEW) &&
        a1 != nullptr)
        authorizer->m_defined.emplace_back(a1);
    return authorizer->decide(action, a1, a2, database);
}

int Authorizer::deny(std::string why) {
    m_refusal = std::move(why);
    return SQLITE_DENY;
}

void Authorizer::touch(const char* table, bool rows_written, bool keys_removed) {
    if (m_touched == nullptr || table == nullptr || is_internal(table))
        return;
    if (rows_written)
        m_touched->rows_written.insert(table);
    if (keys_removed)
        m_touched->keys_removed.insert(table);
}

} // namespace strata
