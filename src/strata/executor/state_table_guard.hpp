// SPDX-License-Identifier: MIT
#pragma once

#include "strata/error.hpp"
#include "strata/executor/sql_runner.hpp"
#include "strata/executor/sqlite_api.hpp"
#include "strata/state/state_store.hpp"

#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace strata {

// What a migration may leave behind that reaches strata's state table later, checked inside
// its transaction before COMMIT (the reasons: state_table_guard.cpp):
//  - a trigger or view, created or changed by the migration, whose body writes or reads the
//    state table, or a trigger whose body writes sqlite_sequence;
//  - a change to the state table's row of sqlite_sequence.
// Construct it before the migration's SQL runs; call check() after. Only the triggers and views
// the migration's CREATE statements name (DefinedObject) are looked at, unless its SQL could
// rewrite existing ones (ALTER TABLE): then every trigger and view is compared with a snapshot.
class StateTableGuard {
  public:
    // For a migration whose SQL is not known beforehand (written in C++): SQL that may rewrite
    // existing triggers and views, so the guard compares all of them.
    static constexpr std::string_view k_any_sql = "ALTER TABLE";

    // Takes the state table's rows of sqlite_sequence as they are now (`sequence`, as
    // StateStore::sequence_rows gives them) and notes, when `sql` (the migration's) may hold an
    // ALTER TABLE, the triggers and views of the main and temp schemas. Throws sqlite::Failure.
    StateTableGuard(sqlite::Database db, const StateStore& state, std::string_view sql,
                    std::vector<SequenceRow> sequence);
    StateTableGuard(const StateTableGuard&) = delete;
    StateTableGuard& operator=(const StateTableGuard&) = delete;

    // Throws Error(MigrationFailed) when the migration changed the state table's sequence
    // row, or created or changed a trigger or view that reaches the state table or that strata
    // cannot check. `defined`: the triggers and views the migration's statements created, as
    // the authorizer reported them. The error points at the object's CREATE statement when
    // `defined` names it, else at `source` (the migration's file).
    // `sequence_written`: whether the migration may have written sqlite_sequence (SqlEffects);
    // when not, the state table's row is not read again.
    void check(const std::vector<DefinedObject>& defined, const SourceLocation& source,
               bool sequence_written = true) const;

    // A trigger or view: schema ("main" or "temp"), type ("trigger" or "view"), name.
    using ObjectKey = std::tuple<std::string, std::string, std::string>;
    // What sqlite_schema says of one: the table a trigger is on, and the CREATE statement.
    struct ObjectDefinition {
        std::string table;
        std::string sql;
        bool operator==(const ObjectDefinition&) const = default;
    };
    using Objects = std::map<ObjectKey, ObjectDefinition>;

  private:
    void check_sequence(const SourceLocation& source) const;

    sqlite::Database m_db;
    const StateStore& m_state;
    Objects m_objects;
    bool m_snapshot = false; // m_objects holds every trigger and view before the migration
    std::vector<SequenceRow> m_sequence;
};

} // namespace strata
