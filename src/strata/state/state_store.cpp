// SPDX-License-Identifier: MIT
#include "strata/state/state_store.hpp"

#include "strata/error.hpp"
#include "strata/executor/sqlite_api.hpp"
#include "strata/project/settings.hpp"
#include "strata/terms.hpp"

#include <optional>

namespace strata {

namespace {

// The marker in the table's CREATE statement (SQLite keeps the text in sqlite_schema) that tells
// strata's table from another tool's and records the layout version without a second table.
constexpr std::string_view k_marker = "-- strata state table v";

// The table's name is the one piece of SQL text here that comes from the project file. It is
// safe to put into SQL: state_table_problem (checked by the constructor, whoever built the
// Settings) lets through only letters, digits and "_", so the name can hold no quote, and it
// is quoted as an identifier, so a name that is also an SQL keyword ("order") still names a
// table. Values, as everywhere, are bound.
std::string qualified_name(std::string_view table) {
    if (auto problem = state_table_problem(table))
        throw Error(ErrorKind::Usage, std::move(*problem));
    return "main.\"" + std::string(table) + "\"";
}

// Written exactly as stored; the marker comment must stay on the first line.
std::string create_statement(const std::string& qualified) {
    return "CREATE TABLE IF NOT EXISTS " + qualified + " ( " + std::string(k_marker) +
           std::to_string(StateStore::k_current_version) +
           "\n"
           "    id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
           "    app_name TEXT NOT NULL,\n"
           "    name TEXT NOT NULL,\n"
           "    description TEXT NOT NULL,\n"
           "    checksum TEXT NOT NULL,\n"
           "    down_sql TEXT NOT NULL,\n"
           "    ran_on TEXT NOT NULL,\n"
           "    fake INTEGER NOT NULL DEFAULT 0,\n"
           "    UNIQUE (app_name, name)\n"
           ")";
}

// Rows of a table without the `fake` column read as not fake.
std::string select_columns(bool has_fake) {
    return std::string("SELECT id, app_name, name, description, checksum, down_sql, ran_on, ") +
           (has_fake ? "fake" : "0") + " FROM ";
}

constexpr const char* k_add_fake_column = " ADD COLUMN fake INTEGER NOT NULL DEFAULT 0";

// The table may have been edited by hand, so a row's id is checked like any untrusted input.
AppliedMigration read_row(sqlite::Statement& query, sqlite::Database db, const std::string& table) {
    AppliedMigration row;
    row.row_id = query.column_int64(0);
    row.app_name = query.column_text(1);
    const std::string id = query.column_text(2);
    std::optional<MigrationId> parsed = MigrationId::parse(id);
    if (!parsed)
        throw Error(ErrorKind::Database,
                    "the state table of " + db.filename() + " holds an invalid migration id \"" +
                        id + "\" (row id " + std::to_string(row.row_id) + ", app \"" +
                        row.app_name + "\")",
                    {},
                    "strata records ids as ASCII digits; correct or delete that row of the " +
                        table + " table");
    row.migration_id = std::move(*parsed);
    row.description = query.column_text(3);
    row.checksum = query.column_text(4);
    row.down_sql = query.column_text(5);
    row.ran_on = query.column_text(6);
    row.fake = query.column_int64(7) != 0;
    return row;
}

} // namespace

StateStore::StateStore(sqlite::Database db, std::string_view table)
    : m_db(db), m_table(table), m_qualified(qualified_name(table)) {}

bool StateStore::exists() const {
    sqlite::Statement query(m_db, "SELECT sql FROM main.sqlite_schema WHERE type = 'table' AND "
                                  "name = ? COLLATE NOCASE");
    query.bind_text(1, m_table);
    if (!query.step())
        return false;
    const std::string sql = query.column_text(0);
    const auto marker = sql.find(k_marker);
    if (marker == std::string::npos)
        throw Error(ErrorKind::Database,
                    "the database " + m_db.filename() + " already has a table \"" + m_table +
                        "\" that strata did not create",
                    {},
                    "another migration tool (or the project) owns it; set " +
                        terms::setting("state_table", "\"...\"") +
                        " to keep strata's record in a table of another name");
    const int version = std::atoi(sql.c_str() + marker + k_marker.size());
    if (version > k_current_version)
        throw Error(ErrorKind::Database,
                    "the state table of " + m_db.filename() + " has layout version " +
                        std::to_string(version) + ", newer than this strata understands (" +
                        std::to_string(k_current_version) + ")",
                    {}, "upgrade strata to the release that migrated this database");
    return true;
}

void StateStore::create_if_missing() const {
    if (!exists())
        m_db.exec(create_statement(m_qualified));
}

std::vector<AppliedMigration> StateStore::all_applied() const {
    std::vector<AppliedMigration> rows;
    if (!exists())
        return rows;
    sqlite::Statement query(m_db, select_columns(has_fake_column()) + m_qualified + " ORDER BY id");
    while (query.step())
        rows.push_back(read_row(query, m_db, m_table));
    return rows;
}

std::vector<AppliedMigration> StateStore::applied(std::string_view app_name) const {
    std::vector<AppliedMigration> rows;
    if (!exists())
        return rows;
    sqlite::Statement query(m_db, select_columns(has_fake_column()) + m_qualified +
                                      " WHERE app_name = ? ORDER BY id");
    query.bind_text(1, std::string(app_name));
    while (query.step())
        rows.push_back(read_row(query, m_db, m_table));
    return rows;
}

bool StateStore::is_applied(std::string_view app_name, const MigrationId& migration_id) const {
    sqlite::Statement query(m_db,
                            "SELECT 1 FROM " + m_qualified + " WHERE app_name = ? AND name = ?");
    query.bind_text(1, std::string(app_name));
    query.bind_text(2, migration_id.text());
    return query.step();
}

bool StateStore::has_fake_column() const {
    // The table's name is checked (qualified_name), so it can be written into the pragma.
    sqlite::Statement columns(m_db, "PRAGMA main.table_info(\"" + m_table + "\")");
    while (columns.step())
        if (columns.column_text(1) == "fake")
            return true;
    return false;
}

std::int64_t StateStore::record(const NewStateRow& row) const {
    // Only a fake row needs the column; the upgrade rides in the run's own transaction, so a
    // run that rolls back leaves the table as it was.
    if (row.fake && !has_fake_column())
        m_db.exec("ALTER TABLE " + m_qualified + k_add_fake_column);
    sqlite::Statement insert(m_db, "INSERT INTO " + m_qualified +
                                       " (app_name, name, description, checksum, down_sql, "
                                       "ran_on" +
                                       std::string(row.fake ? ", fake" : "") +
                                       ") VALUES (?, ?, ?, ?, ?, "
                                       "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')" +
                                       std::string(row.fake ? ", 1" : "") + ")");
    insert.bind_text(1, row.app_name);
    insert.bind_text(2, row.migration_id.text());
    insert.bind_text(3, row.description);
    insert.bind_text(4, row.checksum);
    insert.bind_text(5, row.down_sql);
    insert.execute();
    return m_db.last_insert_rowid();
}

void StateStore::remove(std::string_view app_name, const MigrationId& migration_id) const {
    sqlite::Statement erase(m_db,
                            "DELETE FROM " + m_qualified + " WHERE app_name = ? AND name = ?");
    erase.bind_text(1, std::string(app_name));
    erase.bind_text(2, migration_id.text());
    erase.execute();
}

std::size_t StateStore::update_checksums(const std::vector<ChecksumUpdate>& updates) const {
    if (updates.empty())
        return 0;
    sqlite::Transaction transaction(m_db, sqlite::TransactionKind::Immediate);
    sqlite::Statement update(m_db, "UPDATE " + m_qualified +
                                       " SET checksum = ?, down_sql = ? WHERE app_name = ? AND "
                                       "name = ? AND checksum = ?");
    std::size_t changed = 0;
    for (const ChecksumUpdate& entry : updates) {
        update.bind_text(1, entry.checksum);
        update.bind_text(2, entry.down_sql);
        update.bind_text(3, entry.app_name);
        update.bind_text(4, entry.migration_id.text());
        update.bind_text(5, entry.old_checksum);
        changed += static_cast<std::size_t>(update.execute());
        update.reset();
    }
    transaction.commit();
    return changed;
}

std::size_t StateStore::forget(const std::vector<MigrationKey>& migrations) const {
    if (migrations.empty())
        return 0;
    sqlite::Transaction transaction(m_db, sqlite::TransactionKind::Immediate);
    sqlite::Statement erase(m_db,
                            "DELETE FROM " + m_qualified + " WHERE app_name = ? AND name = ?");
    std::size_t deleted = 0;
    for (const MigrationKey& key : migrations) {
        erase.bind_text(1, key.app_name);
        erase.bind_text(2, key.migration_id.text());
        deleted += static_cast<std::size_t>(erase.execute());
        erase.reset();
    }
    transaction.commit();
    return deleted;
}

// SQLite creates sqlite_sequence with the first AUTOINCREMENT table; before that there is
// nothing to read. Letter case is ignored so that a planted row "MIGRATIONS" counts too.
std::vector<SequenceRow> StateStore::sequence_rows() const {
    std::vector<SequenceRow> rows;
    static constexpr std::string_view k_select =
        "SELECT rowid, name, quote(seq) FROM main.sqlite_sequence WHERE name = ? COLLATE NOCASE "
        "ORDER BY rowid";
    // Once the state table exists so does sqlite_sequence, so the query is tried first: a
    // look at the schema beforehand would cost a second statement before every migration.
    std::optional<sqlite::Statement> attempt;
    try {
        attempt.emplace(m_db, k_select);
    } catch (const sqlite::Failure&) {
        sqlite::Statement sequence(m_db, "PRAGMA main.table_info(sqlite_sequence)");
        if (!sequence.step())
            return rows;
        throw;
    }
    sqlite::Statement& query = *attempt;
    query.bind_text(1, m_table);
    while (query.step())
        rows.push_back({query.column_int64(0), query.column_text(1), query.column_text(2)});
    return rows;
}

// AUTOINCREMENT gives a new row an id above both the table's largest and its sqlite_sequence
// value, then writes that id into the row whose name is exactly the table's (in place, so its
// rowid stays), or into a new row when there is none. Only the plain case, one row that is
// the table's own, is foretold.
std::optional<std::vector<SequenceRow>>
StateStore::sequence_after_record(const std::vector<SequenceRow>& before, std::int64_t id) const {
    if (before.size() != 1 || before.front().name != m_table)
        return std::nullopt;
    std::vector<SequenceRow> after = before;
    after.front().seq = std::to_string(id);
    return after;
}

} // namespace strata
