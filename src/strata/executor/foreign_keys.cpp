// SPDX-License-Identifier: MIT
#include "strata/executor/foreign_keys.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
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
std::optional<std::string> stored_name(SQLite::Database& db, const std::string& table) {
    SQLite::Statement query(db, "SELECT name FROM main.sqlite_schema WHERE type = 'table' AND "
                                "name = ? COLLATE NOCASE");
    query.bind(1, table);
    if (!query.executeStep())
        return std::nullopt;
    return query.getColumn(0).getString();
}

// Tables with a foreign key to any of `parents`: one scan of the schema's foreign-key lists.
void add_children(SQLite::Database& db, const std::set<std::string>& parents,
                  std::set<std::string>& out) {
    SQLite::Statement query(db,
                            "SELECT DISTINCT s.name, f.\"table\" FROM main.sqlite_schema AS s, "
                            "pragma_foreign_key_list(s.name, 'main') AS f WHERE s.type = 'table'");
    while (query.executeStep()) {
        const std::string parent = query.getColumn(1).getString();
        for (const std::string& removed : parents) {
            if (same_name(parent, removed)) {
                out.insert(query.getColumn(0).getString());
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

std::vector<ForeignKey> foreign_keys_of(SQLite::Database& db, const std::string& table) {
    SQLite::Statement query(db, "SELECT id, \"table\", \"from\", \"to\" FROM "
                                "pragma_foreign_key_list(?, 'main') ORDER BY id, seq");
    query.bind(1, table);
    std::vector<ForeignKey> keys;
    int last_id = -1;
    while (query.executeStep()) {
        if (keys.empty() || query.getColumn(0).getInt() != last_id) {
            last_id = query.getColumn(0).getInt();
            keys.push_back({query.getColumn(1).getString(), {}, {}});
        }
        keys.back().from.push_back(query.getColumn(2).getString());
        keys.back().to.push_back(query.getColumn(3).isNull()
                                     ? std::nullopt
                                     : std::optional<std::string>(query.getColumn(3).getString()));
    }
    return keys;
}

std::vector<std::string> strings(SQLite::Statement& query) {
    std::vector<std::string> out;
    while (query.executeStep())
        out.push_back(query.getColumn(0).getString());
    return out;
}

std::vector<std::string> primary_key_of(SQLite::Database& db, const std::string& table) {
    SQLite::Statement query(
        db, "SELECT name FROM pragma_table_info(?, 'main') WHERE pk > 0 ORDER BY pk");
    query.bind(1, table);
    return strings(query);
}

bool without_rowid(SQLite::Database& db, const std::string& table) {
    SQLite::Statement query(db, "SELECT wr FROM pragma_table_list(?) WHERE schema = 'main'");
    query.bind(1, table);
    return query.executeStep() && query.getColumn(0).getInt() != 0;
}

// The collation a column compares with when nothing else is said.
std::string default_collation(SQLite::Database& db, const std::string& table,
                              const std::string& column) {
    const char* collation = nullptr;
    if (sqlite3_table_column_metadata(db.getHandle(), "main", table.c_str(), column.c_str(),
                                      nullptr, &collation, nullptr, nullptr,
                                      nullptr) != SQLITE_OK ||
        collation == nullptr)
        return "BINARY";
    return collation;
}

// Whether the parent columns of `key` are something SQLite can look rows up by: the rowid
// alias, the PRIMARY KEY or a UNIQUE index, not partial, with the columns' own collations.
// These are the rules of SQLite's own lookup (sqlite3FkLocateIndex in fkey.c); a key that
// fails them makes foreign_key_check fail with "foreign key mismatch".
bool parent_key_is_unique(SQLite::Database& db, const ForeignKey& key) {
    const std::optional<std::string> parent = stored_name(db, key.parent);
    if (!parent)
        return true; // no parent table: SQLite reports each child row as an orphan instead
    const std::size_t count = key.from.size();
    const bool implicit = !key.to.front();

    SQLite::Statement list(
        db, "SELECT name, \"unique\", origin, partial FROM pragma_index_list(?, 'main')");
    list.bind(1, *parent);
    struct Index {
        std::string name;
        bool primary_key;
    };
    std::vector<Index> indexes;
    bool has_primary_key_index = false;
    while (list.executeStep()) {
        const bool primary_key = list.getColumn(2).getString() == "pk";
        has_primary_key_index = has_primary_key_index || primary_key;
        if (list.getColumn(1).getInt() != 0 && list.getColumn(3).getInt() == 0)
            indexes.push_back({list.getColumn(0).getString(), primary_key});
    }

    // An INTEGER PRIMARY KEY is the rowid: it has no index of its own.
    const std::vector<std::string> primary_key = primary_key_of(db, *parent);
    if (count == 1 && primary_key.size() == 1 && !has_primary_key_index &&
        !without_rowid(db, *parent) && (implicit || same_name(*key.to.front(), primary_key[0])))
        return true;

    SQLite::Statement columns(db, "SELECT cid, name, coll FROM pragma_index_xinfo(?, 'main') "
                                  "WHERE key = 1 ORDER BY seqno");
    for (const Index& index : indexes) {
        columns.reset();
        columns.bind(1, index.name);
        std::vector<std::pair<std::string, std::string>> indexed; // name, collation
        bool expression = false;
        while (columns.executeStep()) {
            expression = expression || columns.getColumn(0).getInt() < 0;
            indexed.emplace_back(columns.getColumn(1).getString(),
                                 columns.getColumn(2).getString());
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
std::vector<ForeignKeyViolation> orphans_of(SQLite::Database& db, const std::string& table,
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
    SQLite::Statement query(db, sql);
    std::vector<ForeignKeyViolation> found;
    while (query.executeStep())
        found.push_back({table, query.getColumn(0).getInt64(), key.parent});
    return found;
}

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& name : names)
        out += (out.empty() ? "" : ", ") + name;
    return out;
}

bool is_mismatch(const SQLite::Exception& e) {
    return e.getErrorCode() == SQLITE_ERROR &&
           std::string_view(e.what()).find("foreign key mismatch") != std::string_view::npos;
}

// foreign_key_check of one table. When one of its keys cannot be checked, SQLite refuses the
// whole table: that key is reported and skipped, and the others are checked one by one.
void check_table(SQLite::Database& db, SQLite::Statement& check, const std::string& table,
                 ForeignKeyCheck& out) {
    std::vector<ForeignKeyViolation> found;
    try {
        check.tryReset();
        check.bind(1, table);
        while (check.executeStep())
            found.push_back({check.getColumn(0).getString(), check.getColumn(1).getInt64(),
                             check.getColumn(2).getString()});
    } catch (const SQLite::Exception& e) {
        if (!is_mismatch(e))
            throw;
        check.tryReset();
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

TableSnapshot TableSnapshot::take(SQLite::Database& db) {
    TableSnapshot snapshot;
    snapshot.m_names_only = db.execAndGet("PRAGMA main.auto_vacuum").getInt() != 0;
    SQLite::Statement query(db,
                            "SELECT name, rootpage FROM main.sqlite_schema WHERE type = 'table'");
    while (query.executeStep())
        snapshot.m_tables.emplace(ascii_lower(query.getColumn(0).getString()),
                                  snapshot.m_names_only ? 0 : query.getColumn(1).getInt64());
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

ForeignKeyCheck check_foreign_keys(SQLite::Database& db, const TouchedTables& touched,
                                   const TableSnapshot* before) {
    std::set<std::string> tables;
    for (const std::string& table : touched.rows_written)
        if (auto name = stored_name(db, table)) // else dropped or renamed since
            tables.insert(*name);
    std::set<std::string> parents = touched.keys_removed;
    // A table renamed since (or created, or rebuilt under an old name) holds rows written under
    // another name, and its children now point at it.
    if (before != nullptr) {
        SQLite::Statement schema(db, "SELECT name, rootpage FROM main.sqlite_schema WHERE type = "
                                     "'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'");
        while (schema.executeStep()) {
            const std::string name = schema.getColumn(0).getString();
            if (!before->contains(name, schema.getColumn(1).getInt64())) {
                tables.insert(name);
                parents.insert(name);
            }
        }
    }
    if (!parents.empty())
        add_children(db, parents, tables);

    ForeignKeyCheck result;
    SQLite::Statement check(
        db, "SELECT \"table\", rowid, parent FROM pragma_foreign_key_check(?, 'main')");
    for (const std::string& table : tables)
        check_table(db, check, table, result);
    return result;
}

ForeignKeyEnforcement::ForeignKeyEnforcement(SQLite::Database& db, bool enforce)
    : m_db(db), m_previous(db.execAndGet("PRAGMA foreign_keys").getInt() != 0),
      m_changed(m_previous != enforce) {
    if (m_changed)
        m_db.exec(enforce ? "PRAGMA foreign_keys = ON" : "PRAGMA foreign_keys = OFF");
}

ForeignKeyEnforcement::~ForeignKeyEnforcement() {
    // Best effort: a destructor must not throw, and the connection is closed soon after.
    if (m_changed)
        m_db.tryExec(m_previous ? "PRAGMA foreign_keys = ON" : "PRAGMA foreign_keys = OFF");
}

} // namespace strata
