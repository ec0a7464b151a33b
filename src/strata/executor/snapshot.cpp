// SPDX-License-Identifier: MIT
#include "strata/executor/snapshot.hpp"

#include "strata/executor/sqlite_api.hpp"
#include "util/sha256.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <utility>

namespace strata {

namespace {

// sqlite_master rather than sqlite_schema: the older name works on every SQLite a device may
// have. Automatic indexes are compared by name only (their SQL is NULL): a UNIQUE constraint
// shows as its table's SQL anyway.
constexpr const char* k_objects_query = R"(
SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master
WHERE name NOT LIKE 'sqlite\_%' ESCAPE '\'
  AND tbl_name <> ?1 COLLATE NOCASE
ORDER BY type, name
)";

// The columns a table stores (generated and hidden columns are not in table_info).
std::vector<std::string> columns_of(sqlite::Database db, const std::string& table) {
    sqlite::Statement query(db, "SELECT name FROM pragma_table_info(?1)");
    query.bind_text(1, table);
    std::vector<std::string> names;
    while (query.step())
        names.push_back(query.column_text(0));
    return names;
}

// A name as an SQL identifier: in double quotes, each double quote doubled, so that any name
// (one with quotes, spaces or keywords in it) reads as that name and nothing more.
std::string identifier(std::string_view name) {
    std::string out = "\"";
    for (char c : name) {
        out += c;
        if (c == '"')
            out += '"';
    }
    return out + "\"";
}

// Rows are hashed in the order of their quoted values rather than by rowid: a down that deletes
// and re-inserts the same rows restores the data even though their rowids may differ (an
// INTEGER PRIMARY KEY is a column, so its values still count).
TableContent content_of(sqlite::Database db, const std::string& table) {
    const std::vector<std::string> columns = columns_of(db, table);
    TableContent content;
    content.name = table;
    std::string select = "SELECT ";
    std::string order = " ORDER BY ";
    for (std::size_t i = 0; i < columns.size(); ++i) {
        select += (i == 0 ? "quote(" : ", quote(") + identifier(columns[i]) + ")";
        order += (i == 0 ? "" : ", ") + std::to_string(i + 1);
    }
    sqlite::Statement query(db, select + " FROM main." + identifier(table) + order);
    util::Sha256 hash;
    while (query.step()) {
        ++content.rows;
        for (std::size_t i = 0; i < columns.size(); ++i) {
            // quote() never gives a NUL or a newline outside a string literal, and a literal's
            // newline is inside quotes: a separator keeps ("ab","c") apart from ("a","bc").
            hash.update(query.column_text(static_cast<int>(i)));
            hash.update(i + 1 < columns.size() ? "\x1f" : "\x1e");
        }
    }
    content.hash = hash.hex();
    return content;
}

bool is_virtual_table(const SchemaObject& object) {
    if (object.type != "table")
        return false;
    std::string start = object.sql.substr(0, 20);
    std::transform(start.begin(), start.end(), start.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return start.starts_with("CREATE VIRTUAL TABLE");
}

} // namespace

std::string normalise_sql(std::string_view sql) {
    std::string out;
    bool space = false;
    for (char c : sql) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            space = true;
            continue;
        }
        if (space && !out.empty())
            out += ' ';
        space = false;
        out += c;
    }
    return out;
}

DatabaseSnapshot take_snapshot(sqlite::Database db, std::string_view state_table) {
    DatabaseSnapshot snapshot;
    {
        sqlite::Statement query(db, k_objects_query);
        query.bind_text(1, state_table);
        while (query.step())
            snapshot.objects.push_back({query.column_text(0), query.column_text(1),
                                        query.column_text(2), normalise_sql(query.column_text(3))});
    }
    for (const SchemaObject& object : snapshot.objects)
        if (object.type == "table" && !is_virtual_table(object))
            snapshot.tables.push_back(content_of(db, object.name));
    return snapshot;
}

SnapshotDiff diff_snapshots(const DatabaseSnapshot& before, const DatabaseSnapshot& after) {
    using Key = std::pair<std::string, std::string>;
    std::map<Key, const SchemaObject*> old_objects;
    for (const SchemaObject& object : before.objects)
        old_objects.emplace(Key{object.type, object.name}, &object);
    SnapshotDiff diff;
    std::map<Key, bool> seen;
    for (const SchemaObject& object : after.objects) {
        auto found = old_objects.find(Key{object.type, object.name});
        if (found == old_objects.end())
            diff.added.push_back(object);
        else if (!(*found->second == object))
            diff.changed.push_back({*found->second, object});
        seen[Key{object.type, object.name}] = true;
    }
    for (const SchemaObject& object : before.objects)
        if (!seen.contains(Key{object.type, object.name}))
            diff.removed.push_back(object);

    std::map<std::string, const TableContent*, std::less<>> old_tables;
    for (const TableContent& table : before.tables)
        old_tables.emplace(table.name, &table);
    for (const TableContent& table : after.tables) {
        auto found = old_tables.find(table.name);
        if (found != old_tables.end() && !(*found->second == table))
            diff.rows.push_back({table.name, found->second->rows, table.rows});
    }
    return diff;
}

} // namespace strata
