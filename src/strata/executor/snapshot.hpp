// SPDX-License-Identifier: MIT
// What a database holds, reduced to what `verify` compares: its schema, normalised, and each
// table's row count and content hash; and the difference between two such snapshots.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

namespace sqlite {
class Database;
}

// One row of sqlite_schema, its SQL with runs of whitespace made one space.
struct SchemaObject {
    std::string type; // "table", "index", "view" or "trigger"
    std::string name;
    std::string table_name;
    std::string sql;

    bool operator==(const SchemaObject&) const = default;
};

// One table's rows: how many, and a SHA-256 (hex) over their quoted values in a fixed order.
struct TableContent {
    std::string name;
    std::int64_t rows = 0;
    std::string hash;

    bool operator==(const TableContent&) const = default;
};

// A database's schema (by type, then name) and its tables' contents (by name). SQLite's own
// objects (sqlite_*, such as sqlite_sequence) and the state table are left out.
struct DatabaseSnapshot {
    std::vector<SchemaObject> objects;
    std::vector<TableContent> tables;
};

// An object whose SQL differs between two snapshots.
struct ChangedObject {
    SchemaObject before;
    SchemaObject after;
};

// A table in both snapshots whose rows differ.
struct ChangedRows {
    std::string table;
    std::int64_t rows_before = 0;
    std::int64_t rows_after = 0;
};

// What changed from one snapshot to the next; empty when nothing did.
struct SnapshotDiff {
    std::vector<SchemaObject> added;
    std::vector<SchemaObject> removed;
    std::vector<ChangedObject> changed;
    std::vector<ChangedRows> rows;

    bool empty() const {
        return added.empty() && removed.empty() && changed.empty() && rows.empty();
    }
};

// Reads the snapshot of `db`'s main database, leaving out the state table `state_table` (with
// its indexes and triggers) and virtual tables' own content (their shadow tables hold it).
// Throws sqlite::Failure (callers translate it with rethrow_as_error).
DatabaseSnapshot take_snapshot(sqlite::Database db, std::string_view state_table);

// What differs from `before` to `after`: objects added, removed or with other SQL, and tables in
// both whose row count or content hash differ. Pure.
SnapshotDiff diff_snapshots(const DatabaseSnapshot& before, const DatabaseSnapshot& after);

// `sql` with each run of whitespace made one space and the ends trimmed (string literals
// included: a difference only in a literal's spacing reads as no difference).
std::string normalise_sql(std::string_view sql);

} // namespace strata
