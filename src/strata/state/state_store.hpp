// SPDX-License-Identifier: MIT
#pragma once

#include "strata/executor/sqlite_api.hpp"
#include "strata/migration_id.hpp"
#include "strata/state/applied_migration.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

// What the store records for a migration that has just been applied (ran_on is set by the
// store, in UTC).
struct NewStateRow {
    std::string app_name;
    MigrationId migration_id;
    std::string description;
    std::string checksum;
    std::string down_sql; // kept so the migration can be reversed without its files
    bool fake = false;    // recorded without running its SQL (--fake)
};

// A new checksum (and down SQL) for an applied migration whose up file was edited on purpose.
struct ChecksumUpdate {
    std::string app_name;
    MigrationId migration_id;
    std::string old_checksum; // the row is only changed while it still holds this one
    std::string checksum;
    std::string down_sql;
};

// Names one row of the state table.
struct MigrationKey {
    std::string app_name;
    MigrationId migration_id;
};

// One row of sqlite_sequence, the table where AUTOINCREMENT keeps each table's largest id.
struct SequenceRow {
    std::int64_t rowid = 0;
    std::string name; // the table's name as written there
    std::string seq;  // as SQLite quotes it (quote(seq)), whatever type a writer gave it
    bool operator==(const SequenceRow&) const = default;
};

// Owns every statement that touches strata's state table (Settings::state_table, by default
// `migrations`). Callers manage transactions, except for the batch edits of repair and clean,
// which take the write lock themselves; every read and delete is scoped by app.
class StateStore {
  public:
    // Version of the table's layout, written into its CREATE statement so a later strata can
    // recognise and upgrade it. The `fake` column came later within version 1: it is optional
    // (read as 0 when absent, added by the first fake record), so every strata that reads
    // version 1 still reads a table that has it, and a table without it stays valid.
    static constexpr int k_current_version = 1;

    // `table` is the state table's name (Settings::state_table). Throws Error(Usage) when it is
    // not a plain identifier (state_table_problem).
    StateStore(sqlite::Database db, std::string_view table);

    // The state table's name, as configured.
    const std::string& table() const { return m_table; }

    // True when the state table exists. Throws Error(Database) when a table of that name exists
    // but was not created by strata (another tool's), or by a newer strata.
    bool exists() const;
    // Creates the table if it does not exist yet (inside the caller's transaction).
    void create_if_missing() const;

    // Every applied migration of every app, in run order. Empty when the table is missing.
    // Throws Error(Database) for a row whose id is not digits (the table was edited by hand).
    std::vector<AppliedMigration> all_applied() const;
    // The applied migrations of one app, in run order. Throws as all_applied().
    std::vector<AppliedMigration> applied(std::string_view app_name) const;
    // True when the app's migration `migration_id` is recorded under the id as written.
    bool is_applied(std::string_view app_name, const MigrationId& migration_id) const;

    // Records a forwards step as applied (ran_on = now, UTC); returns the new row's id. A fake
    // row in a table created before the `fake` column existed adds the column first, in the
    // caller's transaction.
    std::int64_t record(const NewStateRow& row) const;
    // True when the table has the `fake` column (tables created by strata 0.1 do not).
    bool has_fake_column() const;
    // Removes the record of a reversed step.
    void remove(std::string_view app_name, const MigrationId& migration_id) const;

    // Writes every update in one BEGIN IMMEDIATE transaction. A row whose checksum is no longer
    // the update's old_checksum (another run changed it meanwhile) is left alone. Returns the
    // number of rows changed.
    std::size_t update_checksums(const std::vector<ChecksumUpdate>& updates) const;
    // Deletes the rows of `migrations` in one BEGIN IMMEDIATE transaction, running no SQL of
    // theirs. Returns the number of rows deleted.
    std::size_t forget(const std::vector<MigrationKey>& migrations) const;

    // The rows of sqlite_sequence that name the state table (any letter case), by rowid; empty
    // when there are none. AUTOINCREMENT takes the table's next id from there, so the executor
    // compares them before and after a migration's SQL.
    std::vector<SequenceRow> sequence_rows() const;
    // What sequence_rows() gives after record() returned `id`, when it gave `before` just
    // ahead of it; nullopt when that cannot be told without reading them again.
    std::optional<std::vector<SequenceRow>>
    sequence_after_record(const std::vector<SequenceRow>& before, std::int64_t id) const;

  private:
    sqlite::Database m_db;
    std::string m_table;
    std::string m_qualified; // main."<table>", for the SQL
};

} // namespace strata
