// SPDX-License-Identifier: MIT
#include "strata/executor/sql_policy.hpp"

#include "strata/terms.hpp"
#include "util/text.hpp"

#include <sqlite3.h>

#include <atomic>
#include <optional>
#include <string>
#include <string_view>

// What strata refuses in a migration's SQL, and why. SQLite's own parser and authorizer decide
// (never a keyword scan, which CTEs, triggers and letter case would get past), except where
// SQLite asks no question: the rules marked "runner" are checked by sql_runner.cpp, with the
// refusals (RunnerRefusal) defined in this file. docs/security.md lists them for users.
//
// Everywhere (the migration proper, its after-commit section, stored down SQL):
//  - transaction control (BEGIN, COMMIT or END, ROLLBACK) and savepoints (SAVEPOINT, RELEASE,
//    ROLLBACK TO): strata owns transaction control. A savepoint left open by one migration
//    would let a later one (with transaction = "all") roll back strata's record of it;
//  - ATTACH and DETACH, and VACUUM INTO (runner): nothing strata runs may open or write a file
//    other than the database (every connection also has SQLITE_LIMIT_ATTACHED at 0);
//  - setting a PRAGMA that is not on k_settable_pragmas below: the others change the connection
//    for later migrations, weaken integrity or durability (ignore_check_constraints,
//    synchronous, journal_mode, writable_schema, ...) or are strata's own (foreign_keys).
//    Reading a PRAGMA (no value) is fine;
//  - functions with effects outside the database (k_refused_functions);
//  - a temp trigger on strata's state table (it would fire on strata's own writes);
//  - a /* comment never closed (runner), because SQLite would silently skip the rest.
// In the migration proper, inside the transaction strata runs it in:
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
//  - changing data or schema in the main database (SQLite's statistics tables excepted, which
//    ANALYZE writes), so that nothing changes what the recorded migration did.
// Temp objects are the migration's own business and allowed, except a trigger on the state table
// or one whose body reaches it; the executor drops them before the next migration.

namespace strata {

namespace {

// The authorizer's names are C strings, null when SQLite has none, and may be shorter than the
// name they are compared with: the string_view stops at their end.
bool equals_nocase(const char* a, std::string_view b) {
    return a != nullptr && util::equals_ignoring_ascii_case(a, b);
}

bool is_internal(const char* table) {
    return table != nullptr && util::starts_with_ignoring_ascii_case(table, "sqlite_");
}

// Where a migration may give a PRAGMA a value.
enum class PragmaPlace { Anywhere, InTransaction, AfterCommit };

struct SettablePragma {
    std::string_view name;
    PragmaPlace place;
};

// The allow-list: every other PRAGMA with a value is refused. A list of what is allowed, not of
// what is not, so a PRAGMA added to a later SQLite is refused until someone has thought about it.
constexpr SettablePragma k_settable_pragmas[] = {
    // The value names what to inspect; nothing changes.
    {"foreign_key_check", PragmaPlace::Anywhere},
    {"foreign_key_list", PragmaPlace::Anywhere},
    {"index_info", PragmaPlace::Anywhere},
    {"index_list", PragmaPlace::Anywhere},
    {"index_xinfo", PragmaPlace::Anywhere},
    {"integrity_check", PragmaPlace::Anywhere},
    {"quick_check", PragmaPlace::Anywhere},
    {"table_info", PragmaPlace::Anywhere},
    {"table_list", PragmaPlace::Anywhere},
    {"table_xinfo", PragmaPlace::Anywhere},
    // Work inside the database file, which a rollback undoes.
    {"incremental_vacuum", PragmaPlace::Anywhere},
    {"optimize", PragmaPlace::Anywhere},
    // Kept in the database header: part of what the migration did.
    {"application_id", PragmaPlace::InTransaction},
    {"user_version", PragmaPlace::InTransaction},
    // Take effect with the VACUUM that follows, which cannot run inside a transaction.
    {"auto_vacuum", PragmaPlace::AfterCommit},
    {"page_size", PragmaPlace::AfterCommit},
    // Copies the WAL into the database; inside a transaction it cannot finish.
    {"wal_checkpoint", PragmaPlace::AfterCommit},
};

const SettablePragma* settable_pragma(const char* name) {
    for (const SettablePragma& pragma : k_settable_pragmas)
        if (equals_nocase(name, pragma.name))
            return &pragma;
    return nullptr;
}

// Why a migration may not give PRAGMA `name` a value in `phase`, or nullopt when it may. The
// PRAGMAs people reach for get their own words, and where there is one, the setting to use.
std::optional<std::string> pragma_refusal(const char* name, SqlPhase phase) {
    const bool in_transaction = phase == SqlPhase::InTransaction;
    if (const SettablePragma* pragma = settable_pragma(name)) {
        if (pragma->place == PragmaPlace::Anywhere ||
            (pragma->place == PragmaPlace::InTransaction) == in_transaction)
            return std::nullopt;
        if (pragma->place == PragmaPlace::InTransaction)
            return "this PRAGMA records something in the database: set it above the "
                   "-- strata:after-commit line, where it is part of the migration's transaction";
        if (equals_nocase(name, "wal_checkpoint"))
            return "PRAGMA wal_checkpoint cannot finish inside a transaction; put it in the "
                   "migration's -- strata:after-commit section";
        return "this PRAGMA only takes effect with a VACUUM, which cannot run inside a "
               "transaction; put both in the migration's -- strata:after-commit section";
    }
    if (equals_nocase(name, "foreign_keys") || equals_nocase(name, "defer_foreign_keys"))
        return "strata sets foreign-key enforcement itself (a PRAGMA would also outlive the "
               "migration); set " +
               terms::setting("foreign_keys") + " (deferred, the default, or immediate)";
    if (equals_nocase(name, "journal_mode"))
        return "PRAGMA journal_mode cannot change inside a transaction, and would outlive the "
               "migration; set " +
               terms::setting("journal_mode");
    if (equals_nocase(name, "synchronous"))
        return "strata runs migrations with synchronous = FULL (a PRAGMA would outlive the "
               "migration); set " +
               terms::setting("synchronous");
    if (equals_nocase(name, "writable_schema"))
        return "PRAGMA writable_schema lets SQL edit sqlite_schema directly, which can corrupt "
               "the database; strata refuses it";
    if (equals_nocase(name, "ignore_check_constraints"))
        return "PRAGMA ignore_check_constraints would let rows that fail their CHECK constraints "
               "be committed; strata refuses it";
    return "a migration may set only the PRAGMAs listed in docs/security.md: this one would "
           "outlive the migration, changing the connection for the migrations after it, or "
           "weaken integrity or durability";
}

// Functions whose effects reach outside the database. SQLite marks them direct-only, so no view
// or trigger can call them; a migration's own statements could.
struct RefusedFunction {
    std::string_view name;
    const char* why;
};

constexpr RefusedFunction k_refused_functions[] = {
    {"fts3_tokenizer", "fts3_tokenizer() hands out and takes raw memory addresses (SQLite would "
                       "call through a pointer written in SQL); strata refuses it"},
    {"load_extension", "load_extension() loads and runs native code from a file; strata refuses "
                       "it"},
    {"sqlite_log", "sqlite_log() writes to the log of the program running strata; strata refuses "
                   "it"},
};

const char* function_refusal(const char* name) {
    for (const RefusedFunction& function : k_refused_functions)
        if (equals_nocase(name, function.name))
            return function.why;
    return nullptr;
}

std::string vacuum_into_hint() {
    return "use VACUUM without INTO in an after-commit section, or copy the database with " +
           terms::option(terms::Option::Backup);
}

std::string stored_after_commit_hint() {
    return "restore the migration's files so that it is reversed with them, or undo it by hand "
           "and forget it with " +
           terms::command(terms::Command::Clean, "APP");
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

const RunnerRefusal k_vacuum_into{
    "VACUUM INTO writes a copy of the database to another file; nothing strata runs may write "
    "outside the database",
    vacuum_into_hint, SQLITE_AUTH};

const RunnerRefusal k_stored_after_commit{
    "the down SQL stored in the database has an after-commit section; strata never runs one "
    "that was read back from the database",
    stored_after_commit_hint, SQLITE_AUTH};

const RunnerRefusal* vacuum_refusal(SqlPhase phase) {
    return phase == SqlPhase::InTransaction ? &k_vacuum_in_transaction : nullptr;
}

// VACUUM INTO has no authorizer action of its own, and the ATTACH it runs internally comes when
// the statement steps, while the authorizer is suspended. SQLite's own parse tells INTO apart:
// the statement compiles to one Vacuum opcode whose P2 is the register holding the target file
// name, and 0 without INTO. A token scan would have to follow SQLite's grammar for the optional
// schema name (quoted four ways, comments between tokens); EXPLAIN is that grammar. The text
// explained is the migration's statement unchanged, so nothing is spliced into it.
bool vacuum_writes_elsewhere(sqlite3* db, std::string_view statement) {
    const std::string explain = "EXPLAIN " + std::string(statement);
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v3(db, explain.c_str(), static_cast<int>(explain.size()), 0, &raw,
                           nullptr) != SQLITE_OK) {
        sqlite3_finalize(raw);
        return true; // it will not run either; refusing says why more clearly than SQLite
    }
    bool into = false;
    while (sqlite3_step(raw) == SQLITE_ROW) {
        // EXPLAIN's columns: addr, opcode, p1, p2, p3, p4, p5, comment.
        const auto* opcode = reinterpret_cast<const char*>(sqlite3_column_text(raw, 1));
        if (equals_nocase(opcode, "Vacuum") && sqlite3_column_int(raw, 3) != 0)
            into = true;
    }
    sqlite3_finalize(raw);
    return into;
}

const char* Authorizer::refusal_hint() const {
    return m_phase == SqlPhase::InTransaction
               ? "remove the statement; strata manages the transaction, the connection and its "
                 "state table (docs/security.md lists what a migration may not do)"
               : "an after-commit section is for VACUUM, ANALYZE, REINDEX and PRAGMA optimize "
                 "and the like";
}

// A project whose own table has the state table's name (TypeORM, Laravel and others call theirs
// "migrations") must rename it or move strata's record; the message says both.
std::string Authorizer::name_clash(const char* verb) const {
    return "a migration must not " + std::string(verb) + " a table named \"" + m_state_table +
           "\": that is strata's state table, where it records applied migrations; rename the "
           "project's table, or set " +
           terms::setting("state_table", "\"...\"") +
           " to keep strata's "
           "record under another name";
}

// SQLite compares table names without regard to letter case, and so does this.
bool Authorizer::is_state_table(const char* table) const {
    return equals_nocase(table, m_state_table);
}

// SQLite asks about every action a statement would take while preparing it, including the
// actions of the triggers it would fire.
int Authorizer::decide(int action, const char* a1, const char* a2, const char* database) {
    ++m_questions;
    switch (action) {
    case SQLITE_TRANSACTION:
        // SQLite reports END as COMMIT; name both so the message matches the file.
        return deny((equals_nocase(a1, "COMMIT") ? std::string("COMMIT (or END)")
                                                 : std::string(a1 ? a1 : "transaction control")) +
                    (m_phase == SqlPhase::InTransaction
                         ? " would end the transaction strata runs each migration in"
                         : " is not allowed in an after-commit section"));
    case SQLITE_SAVEPOINT:
        // a1 is BEGIN (SAVEPOINT), RELEASE or ROLLBACK (ROLLBACK TO).
        return deny(std::string(equals_nocase(a1, "BEGIN")     ? "SAVEPOINT"
                                : equals_nocase(a1, "RELEASE") ? "RELEASE"
                                                               : "ROLLBACK TO") +
                    " is not allowed in a migration: strata owns transaction control, and a "
                    "savepoint can outlive the migration that opened it");
    case SQLITE_ATTACH:
    case SQLITE_DETACH:
        return deny("ATTACH and DETACH are not allowed in a migration: nothing strata runs may "
                    "open another database file, and it would be outside the migration's "
                    "transaction");
    case SQLITE_PRAGMA:
        // Reading a pragma (no value) is harmless.
        if (a2 != nullptr)
            if (const std::optional<std::string> refusal = pragma_refusal(a1, m_phase))
                return deny(std::string("PRAGMA ") + (a1 ? a1 : "") + ": " + *refusal);
        break;
    case SQLITE_FUNCTION: // a2 is the function's name
        if (const char* refusal = function_refusal(a2))
            return deny(refusal);
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
        if (main_db) {
            // An INSERT may remove keys: with REPLACE conflict resolution it deletes the rows
            // it collides with. An UPDATE removes keys only through the columns it sets (a
            // REPLACE conflict needs a UNIQUE column among them): check_foreign_keys decides
            // from those.
            touch(a1, action != SQLITE_DELETE, action != SQLITE_UPDATE);
            if (action == SQLITE_UPDATE && m_touched != nullptr && a1 != nullptr && a2 != nullptr &&
                !is_internal(a1))
                m_touched->updated_columns[a1].insert(a2);
        }
        break;
    case SQLITE_DROP_TABLE:
        if (main_db && is_state_table(a1))
            return deny(name_clash("drop"));
        if (main_db) {
            touch(a1, false, true);
            note_schema_change(&TouchedTables::dropped, a1);
        }
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
        if (main_db && action == SQLITE_CREATE_TABLE) {
            touch(a1, true, false);
            note_schema_change(&TouchedTables::created, a1);
        }
        break;
    case SQLITE_ALTER_TABLE: // a1 is the database, a2 the table
        if (equals_nocase(a1, "main")) {
            if (is_state_table(a2))
                return deny(name_clash("alter"));
            touch(a2, true, true);
            note_schema_change(&TouchedTables::altered, a2);
        }
        break;
    case SQLITE_CREATE_INDEX:
    case SQLITE_CREATE_TRIGGER: // a2 is the table
        if (main_db && is_state_table(a2))
            return deny("a migration must not change strata's state table \"" + m_state_table +
                        "\"");
        if (main_db && action == SQLITE_CREATE_INDEX)
            note_schema_change(&TouchedTables::indexed, a2);
        break;
    case SQLITE_DROP_INDEX: // a2 is the table
        if (main_db)
            note_schema_change(&TouchedTables::indexed, a2);
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
                       std::string_view state_table, SqlEffects* effects)
    : m_db(db), m_phase(phase), m_touched(touched), m_effects(effects), m_state_table(state_table) {
    sqlite3_set_authorizer(m_db, &callback, this);
}

// Every statement asks the authorizer at least once (a SELECT asks about SQLITE_SELECT). A
// SQLite built without the authorizer would accept the call and ask nothing: then none of the
// rules above would hold, so strata checks instead of assuming.
bool Authorizer::answering() {
    // Whether SQLite has the authorizer is a property of the library linked in, the same for
    // every connection: once seen answering, the probe (a prepare before every migration) is
    // not needed again.
    static std::atomic<bool> seen_answering{false};
    if (seen_answering.load(std::memory_order_relaxed))
        return true;
    const long before = m_questions;
    sqlite3_stmt* probe = nullptr;
    const int prepared = sqlite3_prepare_v3(m_db, "SELECT 1", -1, 0, &probe, nullptr);
    sqlite3_finalize(probe);
    m_refusal.clear();
    // A probe that could not be prepared (out of memory) says nothing about the build; the
    // migration's own statements will meet the same failure.
    if (m_questions > before) {
        seen_answering.store(true, std::memory_order_relaxed);
        return true;
    }
    return prepared != SQLITE_OK;
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
    authorizer->note_effects(action, a1, a2, database);
    return authorizer->decide(action, a1, a2, database);
}

// Noted for every action asked about, allowed or not: a denied statement fails the migration
// anyway, and erring towards "it happened" only costs the executor a second look. SQLite
// leaves the database out for some actions; only another schema is surely not main.
void Authorizer::note_effects(int action, const char* a1, const char* a2, const char* database) {
    if (m_effects == nullptr)
        return;
    switch (action) {
    case SQLITE_PRAGMA:
        if (a2 != nullptr)
            m_effects->pragma_set = true;
        break;
    case SQLITE_CREATE_TEMP_INDEX:
    case SQLITE_CREATE_TEMP_TABLE:
    case SQLITE_CREATE_TEMP_TRIGGER:
    case SQLITE_CREATE_TEMP_VIEW:
    case SQLITE_DROP_TEMP_INDEX:
    case SQLITE_DROP_TEMP_TABLE:
    case SQLITE_DROP_TEMP_TRIGGER:
    case SQLITE_DROP_TEMP_VIEW:
        m_effects->temp_schema = true;
        break;
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE:
        if (equals_nocase(a1, "sqlite_sequence") &&
            (database == nullptr || equals_nocase(database, "main")))
            m_effects->sequence_written = true;
        break;
    default:
        break;
    }
    // A virtual table in temp, and anything else done there.
    if (equals_nocase(database, "temp"))
        m_effects->temp_schema = true;
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

void Authorizer::note_schema_change(std::set<std::string> TouchedTables::*change,
                                    const char* table) {
    if (m_touched != nullptr && table != nullptr && !is_internal(table))
        (m_touched->*change).insert(table);
}

} // namespace strata
