// SPDX-License-Identifier: MIT
#include "strata/executor/foreign_keys.hpp"

#include "strata/executor/sqlite_api.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <optional>
#include <set>
#include <string_view>

namespace strata {

namespace {

std::string ascii_lower(std::string text) {
    for (char& c : text)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return text;
}

bool same_name(const std::string& a, const std::string& b) {
    return sqlite3_stricmp(a.c_str(), b.c_str()) == 0;
}

// The table's name as the schema spells it, or nullopt when there is no such table. SQL names
// tables in any letter case, and the authorizer reports them as the statement wrote them.
std::optional<std::string> stored_name(sqlite::Database db, const std::string& table) {
    sqlite::Statement query(db, "SELECT name FROM main.sqlite_schema WHERE type = 'table' AND "
                                "name = ? COLLATE NOCASE");
    query.bind_text(1, table);
    if (!query.step())
        return std::nullopt;
    return query.column_text(0);
}

// Tables with a foreign key to any of `parents`: one scan of the schema's foreign-key lists.
void add_children(sqlite::Database db, const std::set<std::string>& parents,
                  std::set<std::string>& out) {
    sqlite::Statement query(db,
                            "SELECT DISTINCT s.name, f.\"table\" FROM main.sqlite_schema AS s, "
                            "pragma_foreign_key_list(s.name, 'main') AS f WHERE s.type = 'table'");
    while (query.step()) {
        const std::string parent = query.column_text(1);
        for (const std::string& removed : parents) {
            if (same_name(parent, removed)) {
                out.insert(query.column_text(0));
                break;
            }
        }
    }
}

// One foreign key of a table, as pragma_foreign_key_list lists it.
struct ForeignKey {
    std::string parent;
    std::vector<std::string> from;
    std::vector<std::optional<std::string>> to; // nullopt: the parent's primary key
};

std::vector<ForeignKey> foreign_keys_of(sqlite::Database db, const std::string& table) {
    sqlite::Statement query(db, "SELECT id, \"table\", \"from\", \"to\" FROM "
                                "pragma_foreign_key_list(?, 'main') ORDER BY id, seq");
    query.bind_text(1, table);
    std::vector<ForeignKey> keys;
    int last_id = -1;
    while (query.step()) {
        if (keys.empty() || query.column_int64(0) != last_id) {
            last_id = query.column_int64(0);
            keys.push_back({query.column_text(1), {}, {}});
        }
        keys.back().from.push_back(query.column_text(2));
        keys.back().to.push_back(query.column_is_null(3)
                                     ? std::nullopt
                                     : std::optional<std::string>(query.column_text(3)));
    }
    return keys;
}

std::vector<std::string> strings(sqlite::Statement& query) {
    std::vector<std::string> out;
    while (query.step())
        out.push_back(query.column_text(0));
    return out;
}

std::vector<std::string> primary_key_of(sqlite::Database db, const std::string& table) {
    sqlite::Statement query(
        db, "SELECT name FROM pragma_table_info(?, 'main') WHERE pk > 0 ORDER BY pk");
    query.bind_text(1, table);
    return strings(query);
}

bool without_rowid(sqlite::Database db, const std::string& table) {
    sqlite::Statement query(db, "SELECT wr FROM pragma_table_list(?) WHERE schema = 'main'");
    query.bind_text(1, table);
    return query.step() && query.column_int64(0) != 0;
}

// The collation a column compares with when nothing else is said.
std::string default_collation(sqlite::Database db, const std::string& table,
                              const std::string& column) {
    const char* collation = nullptr;
    if (sqlite3_table_column_metadata(db.handle(), "main", table.c_str(), column.c_str(), nullptr,
                                      &collation, nullptr, nullptr, nullptr) != SQLITE_OK ||
        collation == nullptr)
        return "BINARY";
    return collation;
}

// Whether the parent columns of `key` are something SQLite can look rows up by: the rowid
// alias, the PRIMARY KEY or a UNIQUE index, not partial, with the columns' own collations.
// These are the rules of SQLite's own lookup (sqlite3FkLocateIndex in fkey.c); a key that
// fails them makes foreign_key_check fail with "foreign key mismatch".
bool parent_key_is_unique(sqlite::Database db, const ForeignKey& key) {
    const std::optional<std::string> parent = stored_name(db, key.parent);
    if (!parent)
        return true; // no parent table: SQLite reports each child row as an orphan instead
    const std::size_t count = key.from.size();
    const bool implicit = !key.to.front();

    sqlite::Statement list(
        db, "SELECT name, \"unique\", origin, partial FROM pragma_index_list(?, 'main')");
    list.bind_text(1, *parent);
    struct Index {
        std::string name;
        bool primary_key;
    };
    std::vector<Index> indexes;
    bool has_primary_key_index = false;
    while (list.step()) {
        const bool primary_key = list.column_text(2) == "pk";
        has_primary_key_index = has_primary_key_index || primary_key;
        if (list.column_int64(1) != 0 && list.column_int64(3) == 0)
            indexes.push_back({list.column_text(0), primary_key});
    }

    // An INTEGER PRIMARY KEY is the rowid: it has no index of its own.
    const std::vector<std::string> primary_key = primary_key_of(db, *parent);
    if (count == 1 && primary_key.size() == 1 && !has_primary_key_index &&
        !without_rowid(db, *parent) && (implicit || same_name(*key.to.front(), primary_key[0])))
        return true;

    sqlite::Statement columns(db, "SELECT cid, name, coll FROM pragma_index_xinfo(?, 'main') "
                                  "WHERE key = 1 ORDER BY seqno");
    for (const Index& index : indexes) {
        columns.reset();
        columns.bind_text(1, index.name);
        std::vector<std::pair<std::string, std::string>> indexed; // name, collation
        bool expression = false;
        while (columns.step()) {
            expression = expression || columns.column_int64(0) < 0;
            indexed.emplace_back(columns.column_text(1), columns.column_text(2));
        }
        if (expression || indexed.size() != count)
            continue;
        if (implicit) {
            if (index.primary_key)
                return true;
            continue;
        }
        const bool usable = std::all_of(indexed.begin(), indexed.end(), [&](const auto& column) {
            return same_name(column.second, default_collation(db, *parent, column.first)) &&
                   std::any_of(key.to.begin(), key.to.end(),
                               [&](const auto& to) { return to && same_name(*to, column.first); });
        });
        if (usable)
            return true;
    }
    return false;
}

// A name as an SQL identifier. Identifiers cannot be bound as parameters; these come from the
// schema's own pragmas, never from the command line, and are quoted so that no name can be
// read as SQL.
std::string identifier(const std::string& name) {
    std::string out = "\"";
    for (char c : name)
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

// The rows of `table` whose key `key` points nowhere, as foreign_key_check would report them.
// Used for the keys of a table that also has a key SQLite cannot check, since
// foreign_key_check then refuses the whole table.
std::vector<ForeignKeyViolation> orphans_of(sqlite::Database db, const std::string& table,
                                            const ForeignKey& key) {
    const std::optional<std::string> parent = stored_name(db, key.parent);
    std::vector<std::string> parent_columns;
    if (parent && !key.to.front())
        parent_columns = primary_key_of(db, *parent);
    for (const auto& to : key.to)
        if (to)
            parent_columns.push_back(*to);

    std::string sql = std::string("SELECT ") + (without_rowid(db, table) ? "NULL" : "c.rowid") +
                      " FROM main." + identifier(table) + " AS c WHERE ";
    std::string match;
    for (std::size_t i = 0; i < key.from.size(); ++i) {
        sql += (i == 0 ? "" : " AND ") + ("c." + identifier(key.from[i])) + " IS NOT NULL";
        if (i < parent_columns.size())
            match += (i == 0 ? "" : " AND ") + ("p." + identifier(parent_columns[i])) + " = c." +
                     identifier(key.from[i]);
    }
    // Without a parent table every complete key is an orphan, as in foreign_key_check.
    if (parent)
        sql += " AND NOT EXISTS (SELECT 1 FROM main." + identifier(*parent) + " AS p WHERE " +
               match + ")";
    sqlite::Statement query(db, sql);
    std::vector<ForeignKeyViolation> found;
    while (query.step())
        found.push_back({table, query.column_int64(0), key.parent});
    return found;
}

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& name : names)
        out += (out.empty() ? "" : ", ") + name;
    return out;
}

bool is_mismatch(const sqlite::Failure& e) {
    return (e.code() & 0xff) == SQLITE_ERROR &&
           std::string_view(e.what()).find("foreign key mismatch") != std::string_view::npos;
}

// foreign_key_check of one table. When one of its keys cannot be checked, SQLite refuses the
// whole table: that key is reported and skipped, and the others are checked one by one.
void check_table(sqlite::Database db, sqlite::Statement& check, const std::string& table,
                 ForeignKeyCheck& out) {
    std::vector<ForeignKeyViolation> found;
    try {
        check.reset();
        check.bind_text(1, table);
        while (check.step())
            found.push_back({check.column_text(0), check.column_int64(1), check.column_text(2)});
    } catch (const sqlite::Failure& e) {
        if (!is_mismatch(e))
            throw;
        check.reset();
        found.clear();
        bool skipped = false;
        for (const ForeignKey& key : foreign_keys_of(db, table)) {
            if (parent_key_is_unique(db, key)) {
                for (ForeignKeyViolation& v : orphans_of(db, table, key))
                    found.push_back(std::move(v));
                continue;
            }
            std::vector<std::string> to;
            for (const auto& column : key.to)
                if (column)
                    to.push_back(*column);
            out.unchecked.push_back({table, joined(key.from), key.parent, joined(to)});
            skipped = true;
        }
        if (!skipped) // SQLite saw a mismatch these rules do not: keep its error
            throw;
    }
    for (ForeignKeyViolation& v : found)
        out.violations.push_back(std::move(v));
}

} // namespace

TableSnapshot TableSnapshot::take(sqlite::Database db) {
    TableSnapshot snapshot;
    snapshot.m_names_only = sqlite::query_int64(db, "PRAGMA main.auto_vacuum") != 0;
    sqlite::Statement query(db,
                            "SELECT name, rootpage FROM main.sqlite_schema WHERE type = 'table'");
    while (query.step())
        snapshot.m_tables.emplace(ascii_lower(query.column_text(0)),
                                  snapshot.m_names_only ? 0 : query.column_int64(1));
    return snapshot;
}

bool TableSnapshot::contains(const std::string& table, std::int64_t root_page) const {
    return m_tables.count({ascii_lower(table), m_names_only ? 0 : root_page}) != 0;
}

bool may_rename_tables(std::string_view sql) {
    constexpr std::string_view k_word = "alter";
    for (std::size_t i = 0; i + k_word.size() <= sql.size(); ++i)
        if (sqlite3_strnicmp(sql.data() + i, k_word.data(), static_cast<int>(k_word.size())) == 0)
            return true;
    return false;
}

ForeignKeyCheck check_foreign_keys(sqlite::Database db, const TouchedTables& touched,
                                   const TableSnapshot* before) {
    std::set<std::string> tables;
    for (const std::string& table : touched.rows_written)
        if (auto name = stored_name(db, table)) // else dropped or renamed since
            tables.insert(*name);
    std::set<std::string> parents = touched.keys_removed;
    // A table renamed since (or created, or rebuilt under an old name) holds rows written under
    // another name, and its children now point at it.
    if (before != nullptr) {
        sqlite::Statement schema(db, "SELECT name, rootpage FROM main.sqlite_schema WHERE type = "
                                     "'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'");
        while (schema.step()) {
            const std::string name = schema.column_text(0);
            if (!before->contains(name, schema.column_int64(1))) {
                tables.insert(name);
                parents.insert(name);
            }
        }
    }
    if (!parents.empty())
        add_children(db, parents, tables);

    ForeignKeyCheck result;
    sqlite::Statement check(
        db, "SELECT \"table\", rowid, parent FROM pragma_foreign_key_check(?, 'main')");
    for (const std::string& table : tables)
        check_table(db, check, table, result);
    return result;
}

ForeignKeyEnforcement::ForeignKeyEnforcement(sqlite::Database db, bool enforce)
    : m_db(db), m_previous(sqlite::query_int64(db, "PRAGMA foreign_keys") != 0),
      m_changed(m_previous != enforce) {
    if (m_changed)
        m_db.exec(enforce ? "PRAGMA foreign_keys = ON" : "PRAGMA foreign_keys = OFF");
}

ForeignKeyEnforcement::~ForeignKeyEnforcement() {
    // Best effort: a destructor must not throw, and the connection is closed soon after.
    if (m_changed)
        m_db.try_exec(m_previous ? "PRAGMA foreign_keys = ON" : "PRAGMA foreign_keys = OFF");
}

} // namespace strata
