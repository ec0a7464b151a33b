// SPDX-License-Identifier: MIT
#include "strata/executor/state_table_guard.hpp"

#include "strata/executor/foreign_keys.hpp"
#include "strata/executor/sqlite_api.hpp"
#include "util/text.hpp"

#include <sqlite3.h>

#include <memory>
#include <optional>
#include <string_view>

// Why this check exists. The authorizer (sql_policy.cpp) sees everything a statement does when
// SQLite prepares it, the bodies of the triggers it fires included. But SQLite authorizes a
// trigger's body only when a statement that fires it is prepared, and a view's body only when
// it is read, never when they are created. So a migration could plant
//     CREATE TRIGGER wipe AFTER UPDATE ON users BEGIN DELETE FROM migrations; END;
// and commit; the application's next UPDATE of users, long after strata has gone, would empty
// strata's record. The only way to see what a body does is to let SQLite compile it: for every
// trigger and view the migration created or changed, strata prepares (and never steps) the
// statements that would fire the trigger (INSERT, UPDATE of every column, DELETE on its table)
// or read the view, with an authorizer that denies any access to the state table and names
// the trigger or view responsible. The bodies of the triggers those fire in turn are compiled
// too, so a chain of triggers is followed to its end. Nothing runs, so the probe changes
// nothing. A trigger or view SQLite cannot compile (it uses a table that does not exist yet)
// cannot be checked, so it is refused too: once the table appeared it would run unchecked.
//
// A trigger's body may also write sqlite_sequence, the table where AUTOINCREMENT keeps each
// table's next id; which row it changes is known only when it fires, and setting the state
// table's row to the maximum makes every later run fail with "database or disk is full". So a
// trigger that writes sqlite_sequence is refused, and the migration's own statements, which
// may write other tables' rows, are checked by comparing the state table's row before and after.

namespace strata {

namespace {

bool same_name(std::string_view a, std::string_view b) {
    return util::equals_ignoring_ascii_case(a, b);
}

// An identifier as SQL text: the names come from sqlite_schema, so they are quoted (with
// quotes doubled) and never trusted to be plain. The schema names are strata's own constants.
std::string sql_identifier(std::string_view identifier) {
    std::string out = "\"";
    for (char c : identifier) {
        out += c;
        if (c == '"')
            out += '"';
    }
    return out + '"';
}

StateTableGuard::Objects read_objects(sqlite::Statement& query) {
    StateTableGuard::Objects objects;
    while (query.step())
        objects[{query.column_text(0), query.column_text(1), query.column_text(2)}] = {
            query.column_text(3), query.column_text(4)};
    return objects;
}

// Every trigger and view of the main and temp schemas.
StateTableGuard::Objects read_objects(sqlite::Database db) {
    sqlite::Statement query(db, "SELECT 'main', type, name, tbl_name, sql FROM main.sqlite_schema "
                                "WHERE type IN ('trigger', 'view') UNION ALL "
                                "SELECT 'temp', type, name, tbl_name, sql FROM temp.sqlite_schema "
                                "WHERE type IN ('trigger', 'view')");
    return read_objects(query);
}

// The triggers and views of those names (any letter case), in one pass over each schema: a
// CREATE TRIGGER or VIEW costs SQLite such a pass too, when it reads the new object back.
StateTableGuard::Objects read_objects(sqlite::Database db, const std::vector<std::string>& names) {
    if (names.empty())
        return {};
    std::string list; // ?1, ?2, ...: the names are bound, never spliced into the SQL
    for (std::size_t i = 1; i <= names.size(); ++i)
        list += (i == 1 ? "?" : ", ?") + std::to_string(i);
    sqlite::Statement query(db, "SELECT 'main', type, name, tbl_name, sql FROM main.sqlite_schema "
                                "WHERE type IN ('trigger', 'view') AND name COLLATE NOCASE IN (" +
                                    list +
                                    ") UNION ALL SELECT 'temp', type, name, tbl_name, sql FROM "
                                    "temp.sqlite_schema WHERE type IN ('trigger', 'view') AND "
                                    "name COLLATE NOCASE IN (" +
                                    list + ")");
    for (std::size_t i = 0; i < names.size(); ++i)
        query.bind_text(static_cast<int>(i + 1), names[i]);
    return read_objects(query);
}

// What the probe's authorizer saw while one statement was prepared.
struct Probe {
    std::string_view state_table;
    std::string_view watched; // the trigger or view being checked
    bool seen = false;        // SQLite compiled the watched trigger's body
    std::string offender;     // the trigger or view whose body reaches the state table
    int action = 0;           // what it does there (SQLITE_READ, SQLITE_DELETE, ...)
    bool sequence = false;    // it writes sqlite_sequence rather than the state table
};

// SQLite's last argument names the innermost trigger or view responsible for the action.
int probe_callback(void* data, int action, const char* table, const char*, const char* database,
                   const char* inner) {
    auto& probe = *static_cast<Probe*>(data);
    if (inner != nullptr && same_name(inner, probe.watched))
        probe.seen = true;
    // SQLite leaves the database out for some reads (count(*)); only a temp table of the same
    // name is surely not the state table.
    const bool main_db = database == nullptr || same_name(database, "main");
    if (table == nullptr || !main_db)
        return SQLITE_OK;
    const bool write =
        action == SQLITE_INSERT || action == SQLITE_UPDATE || action == SQLITE_DELETE;
    const bool state = (write || action == SQLITE_READ) && same_name(table, probe.state_table);
    const bool sequence = write && inner != nullptr && same_name(table, "sqlite_sequence");
    if (!state && !sequence)
        return SQLITE_OK;
    probe.offender = inner != nullptr ? inner : probe.watched;
    probe.action = action;
    probe.sequence = sequence;
    return SQLITE_DENY;
}

// Installs probe_callback for its lifetime. Only ever around a prepare: the migration's own
// authorizer is gone by then (sql_runner removes it when the SQL is done).
class ProbeAuthorizer {
  public:
    ProbeAuthorizer(sqlite3* db, Probe& probe) : m_db(db) {
        sqlite3_set_authorizer(m_db, &probe_callback, &probe);
    }
    ~ProbeAuthorizer() { sqlite3_set_authorizer(m_db, nullptr, nullptr); }
    ProbeAuthorizer(const ProbeAuthorizer&) = delete;
    ProbeAuthorizer& operator=(const ProbeAuthorizer&) = delete;

  private:
    sqlite3* m_db;
};

// Prepares `sql` with the probe's authorizer and throws the statement away: nothing runs.
// Returns SQLite's message when it could not be prepared, or "".
std::string prepare_only(sqlite3* db, const std::string& sql, Probe& probe) {
    sqlite3_stmt* statement = nullptr;
    int result;
    {
        ProbeAuthorizer authorizer(db, probe);
        result = sqlite3_prepare_v3(db, sql.c_str(), static_cast<int>(sql.size()), 0, &statement,
                                    nullptr);
    }
    std::string message = result == SQLITE_OK ? "" : sqlite3_errmsg(db);
    sqlite3_finalize(statement);
    return message;
}

bool has_table_or_view(sqlite::Database db, const std::string& schema, const std::string& name) {
    sqlite::Statement query(db, "SELECT 1 FROM " + schema +
                                    ".sqlite_schema WHERE type IN ('table', 'view') AND name = ? "
                                    "COLLATE NOCASE");
    query.bind_text(1, name);
    return query.step();
}

// "UPDATE s.t SET a = a, b = b": setting every column fires every UPDATE OF trigger.
// Generated and hidden columns cannot be set.
std::optional<std::string> update_of_every_column(sqlite::Database db, const std::string& schema,
                                                  const std::string& table) {
    sqlite::Statement query(db, "SELECT name FROM pragma_table_xinfo(?1, ?2) WHERE hidden = 0");
    query.bind_text(1, table);
    query.bind_text(2, schema);
    std::string sets;
    while (query.step()) {
        const std::string column = sql_identifier(query.column_text(0));
        sets += (sets.empty() ? "" : ", ") + column + " = " + column;
    }
    if (sets.empty())
        return std::nullopt;
    return "UPDATE " + schema + "." + sql_identifier(table) + " SET " + sets;
}

// The statements that would fire a trigger on `table` or read a view.
std::vector<std::string> probe_statements(sqlite::Database db,
                                          const StateTableGuard::ObjectKey& key,
                                          const StateTableGuard::ObjectDefinition& definition,
                                          std::string& problem) {
    const auto& [schema, type, name] = key;
    if (type == "view")
        return {"SELECT * FROM " + schema + "." + sql_identifier(name)};
    // A temp trigger may sit on a main table; a main trigger only on a main table.
    std::vector<std::string> statements;
    for (const std::string target : {"temp", "main"}) {
        if ((target == "temp" && schema != "temp") ||
            !has_table_or_view(db, target, definition.table))
            continue;
        const std::string table = target + "." + sql_identifier(definition.table);
        statements.push_back("INSERT INTO " + table + " DEFAULT VALUES");
        try {
            if (auto update = update_of_every_column(db, target, definition.table))
                statements.push_back(std::move(*update));
        } catch (const sqlite::Failure& e) {
            problem = sqlite3_errstr(e.code());
        }
        statements.push_back("DELETE FROM " + table);
    }
    return statements;
}

// What checking one trigger or view found.
struct Finding {
    bool checked = false; // SQLite compiled its body, and it stays away from the state table
    std::string offender; // when not empty: who reaches the state table (see Probe)
    int action = 0;
    bool sequence = false;
    std::string problem; // why it could not be checked
};

Finding probe_object(sqlite::Database db, const StateTableGuard::ObjectKey& key,
                     const StateTableGuard::ObjectDefinition& definition,
                     std::string_view state_table) {
    Finding finding;
    const bool view = std::get<1>(key) == "view";
    for (const std::string& sql : probe_statements(db, key, definition, finding.problem)) {
        Probe probe;
        probe.state_table = state_table;
        probe.watched = std::get<2>(key);
        const std::string error = prepare_only(db.handle(), sql, probe);
        if (!probe.offender.empty()) {
            finding.offender = probe.offender;
            finding.action = probe.action;
            finding.sequence = probe.sequence;
            return finding;
        }
        // INSERT into a view without an INSTEAD OF INSERT trigger fails, and so on: only the
        // statements that compile the watched trigger tell anything about it.
        if (error.empty() && (view || probe.seen))
            finding.checked = true;
        else if (!error.empty() && (probe.seen || view || finding.problem.empty()))
            finding.problem = error;
    }
    return finding;
}

std::string kind_of(const StateTableGuard::Objects& objects, std::string_view name) {
    for (const auto& [key, definition] : objects)
        if (same_name(std::get<2>(key), name))
            return std::get<1>(key);
    return "trigger";
}

std::string what_it_does(const Finding& finding, std::string_view state_table) {
    const std::string table = "strata's state table \"" + std::string(state_table) + "\"";
    if (finding.sequence)
        return "writes to sqlite_sequence, where SQLite keeps the next id of " + table +
               " (which row a trigger changes is known only when it fires)";
    switch (finding.action) {
    case SQLITE_INSERT:
        return "inserts into " + table;
    case SQLITE_UPDATE:
        return "updates " + table;
    case SQLITE_DELETE:
        return "deletes from " + table;
    default:
        return "reads " + table;
    }
}

} // namespace

StateTableGuard::StateTableGuard(sqlite::Database db, const StateStore& state, std::string_view sql,
                                 std::vector<SequenceRow> sequence)
    : m_db(db), m_state(state), m_sequence(std::move(sequence)) {
    // Without ALTER TABLE (which rewrites the triggers and views that name a renamed table or
    // column) only a CREATE makes a trigger or view, and the authorizer names each one: reading
    // every object before and after each migration would cost the size of the schema.
    m_snapshot = may_rename_tables(sql);
    if (m_snapshot)
        m_objects = read_objects(db);
}

void StateTableGuard::check_sequence(const SourceLocation& source) const {
    if (m_state.sequence_rows() == m_sequence)
        return;
    throw Error(ErrorKind::MigrationFailed,
                "the migration changed the row of sqlite_sequence that holds the next id of "
                "strata's state table \"" +
                    m_state.table() +
                    "\"; strata takes the id of every record from there (at its maximum every "
                    "later run fails with \"database or disk is full\")",
                source,
                "leave that row alone (the rows of the project's own tables may change); "
                "nothing of this migration was kept");
}

void StateTableGuard::check(const std::vector<DefinedObject>& defined, const SourceLocation& source,
                            bool sequence_written) const {
    if (sequence_written)
        check_sequence(source);
    std::vector<std::string> names;
    for (const DefinedObject& object : defined)
        names.push_back(object.name);
    const Objects now = m_snapshot ? read_objects(m_db) : read_objects(m_db, names);
    for (const auto& [key, definition] : now) {
        const auto before = m_objects.find(key);
        if (m_snapshot && before != m_objects.end() && before->second == definition)
            continue; // not the migration's doing
        const auto& [schema, type, name] = key;
        const Finding finding = probe_object(m_db, key, definition, m_state.table());
        if (finding.checked && finding.offender.empty())
            continue;

        SourceLocation where = source;
        for (const DefinedObject& object : defined)
            if (same_name(object.name, name))
                where = object.where; // the last definition is the one that stands
        const std::string self = type + " \"" + name + "\"";
        const std::string when = type == "view" ? " when it is read" : " when it fires";
        if (finding.offender.empty())
            throw Error(ErrorKind::MigrationFailed,
                        "strata cannot check what " + self + " does" + when + ": " +
                            (finding.problem.empty()
                                 ? "no INSERT, UPDATE or DELETE of its table compiles its body"
                                 : finding.problem),
                        where,
                        "SQLite checks a trigger's or view's body only when it runs, so strata "
                        "refuses one it cannot check; create the tables it uses first (in this "
                        "migration or an earlier one)");
        std::string message = self + " ";
        if (same_name(finding.offender, name))
            message += what_it_does(finding, m_state.table()) + when;
        else
            message += "leads to " +
                       kind_of(m_snapshot ? now : read_objects(m_db, {finding.offender}),
                               finding.offender) +
                       " \"" + finding.offender + "\", which " +
                       what_it_does(finding, m_state.table());
        throw Error(ErrorKind::MigrationFailed,
                    message + ": SQLite checks a trigger's or view's body only when it runs, so "
                              "strata refuses it when it is created",
                    where,
                    "strata's state table changes only through strata; remove what the body does "
                    "to it");
    }
}

} // namespace strata
