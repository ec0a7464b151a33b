// SPDX-License-Identifier: MIT
#include "strata/executor/foreign_keys.hpp"

#include "strata/executor/sqlite_api.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
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

// Whether the main database has a table of that name (any letter case; not a view). SQLite
// looks it up in its schema's hash table, where a query on sqlite_schema would read every row.
bool table_exists(sqlite::Database db, const std::string& table) {
    return sqlite3_table_column_metadata(db.handle(), "main", table.c_str(), nullptr, nullptr,
                                         nullptr, nullptr, nullptr, nullptr) == SQLITE_OK;
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

// One foreign key of a table, as pragma_foreign_key_list lists it.
struct ForeignKey {
    std::string parent;
    std::vector<std::string> from;
    std::vector<std::optional<std::string>> to; // nullopt: the parent's primary key
};

std::string identifier(const std::string& name);

std::vector<ForeignKey> foreign_keys_of(sqlite::Database db, const std::string& table) {
    // The PRAGMA itself: see check_table. Its rows come by id, then seq.
    sqlite::Statement query(db, "PRAGMA main.foreign_key_list(" + identifier(table) + ")");
    std::vector<ForeignKey> keys;
    int last_id = -1;
    while (query.step()) {
        if (keys.empty() || query.column_int64(0) != last_id) {
            last_id = query.column_int64(0);
            keys.push_back({query.column_text(2), {}, {}});
        }
        keys.back().from.push_back(query.column_text(3));
        keys.back().to.push_back(query.column_is_null(4)
                                     ? std::nullopt
                                     : std::optional<std::string>(query.column_text(4)));
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

// A name as an SQL identifier. Identifiers (and PRAGMA arguments) cannot be bound as
// parameters; these are names of tables that exist in the schema, as its own pragmas or the
// authorizer report them, never from the command line, and are quoted so that no name can be
// read as SQL.
std::string identifier(const std::string& name) {
    std::string out = "\"";
    for (char c : name)
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& name : names)
        out += (out.empty() ? "" : ", ") + name;
    return out;
}

// The query for the rows of `table` whose key `key` points nowhere, as foreign_key_check would
// report them; with `one_row`, of the row whose rowid is bound to ?1 only.
std::string orphan_query(sqlite::Database db, const std::string& table, const ForeignKey& key,
                         bool one_row) {
    const std::optional<std::string> parent = stored_name(db, key.parent);
    std::vector<std::string> parent_columns;
    if (parent && !key.to.front())
        parent_columns = primary_key_of(db, *parent);
    for (const auto& to : key.to)
        if (to)
            parent_columns.push_back(*to);

    std::string sql = std::string("SELECT ") + (without_rowid(db, table) ? "NULL" : "c.rowid") +
                      " FROM main." + identifier(table) + " AS c WHERE " +
                      (one_row ? "c.rowid = ?1 AND " : "");
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
    return sql;
}

// The rows of `table` whose key `key` points nowhere. Used for the keys of a table that also
// has a key SQLite cannot check, since foreign_key_check then refuses the whole table.
std::vector<ForeignKeyViolation> orphans_of(sqlite::Database db, const std::string& table,
                                            const ForeignKey& key) {
    sqlite::Statement query(db, orphan_query(db, table, key, false));
    std::vector<ForeignKeyViolation> found;
    while (query.step())
        found.push_back({table, query.column_int64(0), key.parent});
    return found;
}

// A key SQLite cannot look its parent rows up by, as a warning reports it.
UncheckableForeignKey uncheckable(const std::string& table, const ForeignKey& key) {
    std::vector<std::string> to;
    for (const auto& column : key.to)
        if (column)
            to.push_back(*column);
    return {table, joined(key.from), key.parent, joined(to)};
}

bool is_mismatch(const sqlite::Failure& e) {
    return (e.code() & 0xff) == SQLITE_ERROR &&
           std::string_view(e.what()).find("foreign key mismatch") != std::string_view::npos;
}

// foreign_key_check of one table. When one of its keys cannot be checked, SQLite refuses the
// whole table: that key is reported and skipped, and the others are checked one by one.
void check_table(sqlite::Database db, const std::string& table, ForeignKeyCheck& out) {
    std::vector<ForeignKeyViolation> found;
    try {
        // The PRAGMA itself rather than pragma_foreign_key_check(?): the table-valued function
        // prepares this same PRAGMA again each time it runs, and a run checks a table or two per
        // migration. SQLite reports a mismatch when it prepares the PRAGMA.
        sqlite::Statement check(db, "PRAGMA main.foreign_key_check(" + identifier(table) + ")");
        while (check.step())
            found.push_back({check.column_text(0), check.column_int64(1), check.column_text(2)});
    } catch (const sqlite::Failure& e) {
        if (!is_mismatch(e))
            throw;
        found.clear();
        bool skipped = false;
        for (const ForeignKey& key : foreign_keys_of(db, table)) {
            if (parent_key_is_unique(db, key)) {
                for (ForeignKeyViolation& v : orphans_of(db, table, key))
                    found.push_back(std::move(v));
                continue;
            }
            out.unchecked.push_back(uncheckable(table, key));
            skipped = true;
        }
        if (!skipped) // SQLite saw a mismatch these rules do not: keep its error
            throw;
    }
    for (ForeignKeyViolation& v : found)
        out.violations.push_back(std::move(v));
}

// The rows `rowids` of `table` checked alone, each key by the query foreign_key_check's own
// rules come down to (orphan_query): what a migration costs is what it wrote, not the size of
// the tables it wrote to.
void check_rows(sqlite::Database db, const std::string& table, const std::set<std::int64_t>& rowids,
                ForeignKeyGraph& graph, ForeignKeyCheck& out) {
    std::vector<ForeignKeyViolation> found;
    for (const ForeignKeyGraph::RowCheck& check : graph.row_checks(db, table)) {
        if (!check.checkable) {
            out.unchecked.push_back(check.key);
            continue;
        }
        sqlite::Statement query(db, check.sql);
        for (const std::int64_t rowid : rowids) {
            query.reset();
            query.bind_int64(1, rowid);
            while (query.step())
                found.push_back({table, query.column_int64(0), check.key.parent});
        }
    }
    // In row order, as foreign_key_check reports them.
    std::stable_sort(found.begin(), found.end(),
                     [](const auto& a, const auto& b) { return a.rowid < b.rowid; });
    for (ForeignKeyViolation& v : found)
        out.violations.push_back(std::move(v));
}

// The UNIQUE indexes of `table` and their columns, as one text to compare.
// The PRAGMAs themselves (see check_table): a table with no UNIQUE index costs one statement.
std::string unique_indexes(sqlite::Database db, const std::string& table) {
    sqlite::Statement list(db, "PRAGMA main.index_list(" + identifier(table) + ")");
    std::vector<std::string> unique; // index_list's columns: seq, name, unique, origin, partial
    while (list.step())
        if (list.column_int64(2) != 0)
            unique.push_back(list.column_text(1));
    std::sort(unique.begin(), unique.end());
    std::string out;
    for (const std::string& index : unique) {
        out += index + "(";
        sqlite::Statement columns(db, "PRAGMA main.index_info(" + identifier(index) + ")");
        while (columns.step()) // seqno, cid, name
            out += columns.column_text(2) + ",";
        out += ")\n";
    }
    return out;
}

} // namespace

void ForeignKeyGraph::read(sqlite::Database db) {
    m_tables.clear();
    m_children.clear();
    m_row_checks.clear();
    m_key_columns.clear();
    m_unique_indexes.clear();
    m_unread.clear();
    m_born.clear();
    // Tables without foreign keys count too: the graph also says which tables exist.
    sqlite::Statement query(db, "SELECT s.name, f.\"table\" FROM main.sqlite_schema AS s LEFT "
                                "JOIN pragma_foreign_key_list(s.name, 'main') AS f WHERE s.type "
                                "= 'table' AND s.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'");
    while (query.step()) {
        const std::string name = query.column_text(0);
        const std::string key = ascii_lower(name);
        Table& table = m_tables[name];
        if (query.column_is_null(1))
            continue;
        const std::string parent = ascii_lower(query.column_text(1));
        add_parent(table, parent);
        m_children[parent].insert(key);
    }
    m_data_version = sqlite::query_int64(db, "PRAGMA main.data_version");
}

void ForeignKeyGraph::follow(sqlite::Database db, std::int64_t data_version) {
    // Between two of a run's transactions another connection may have changed the schema.
    // data_version changes only with other connections' commits, so this connection's own
    // migrations, which update() follows, cost no second read per step.
    if (m_data_version < 0 || data_version != m_data_version)
        read(db);
}

void ForeignKeyGraph::forget_checks(const std::string& key) {
    m_unique_indexes.erase(key);
    m_row_checks.erase(key);
    m_key_columns.erase(key);
    const auto found = m_tables.find(key);
    if (found != m_tables.end())
        for (const std::string& parent : found->second.parents) // a key naming new columns
            m_key_columns.erase(parent);
    const auto children = m_children.find(key);
    if (children != m_children.end())
        for (const std::string& child : children->second) // a parent key gone or changed
            m_row_checks.erase(child);
}

bool ForeignKeyGraph::add_parent(Table& table, const std::string& parent) {
    if (std::find(table.parents.begin(), table.parents.end(), parent) != table.parents.end())
        return false;
    table.parents.push_back(parent);
    return true;
}

void ForeignKeyGraph::remove_table(const std::string& key) {
    forget_checks(key);
    const auto found = m_tables.find(key);
    if (found == m_tables.end())
        return;
    if (found->second.unread())
        m_unread[found->second.unread_slot] = nullptr; // its key goes with the node
    for (const std::string& parent : found->second.parents) {
        auto children = m_children.find(parent);
        children->second.erase(key);
        if (children->second.empty())
            m_children.erase(children);
    }
    m_tables.erase(found);
}

// `name` by value: it may be the name the graph holds, which remove_table erases.
void ForeignKeyGraph::set_table(sqlite::Database db, std::string name) {
    remove_table(ascii_lower(name)); // forgets its children's checks too: they name it
    const auto table = m_tables.try_emplace(std::move(name)).first;
    read_keys(db, table->first);
}

void ForeignKeyGraph::read_keys(sqlite::Database db, const std::string& name) {
    const auto found = m_tables.find(name);
    const std::string key = ascii_lower(found->first);
    Table& table = found->second;
    // The PRAGMA itself: see check_table. Its third column is the parent table.
    sqlite::Statement query(db, "PRAGMA main.foreign_key_list(" + identifier(found->first) + ")");
    while (query.step()) {
        const std::string parent = ascii_lower(query.column_text(2));
        // The parent's key columns kept so far leave out the columns this child names.
        if (add_parent(table, parent))
            m_key_columns.erase(parent);
        m_children[parent].insert(key);
    }
    // Only once read whole: a failed read leaves it to be read again.
    if (table.unread()) {
        m_unread[table.unread_slot] = nullptr;
        table.unread_slot = std::string::npos;
    }
}

void ForeignKeyGraph::read_unread_keys(sqlite::Database db) {
    while (!m_unread.empty()) {
        if (const std::string* key = m_unread.back())
            read_keys(db, *key); // a failure leaves it here, to be read again
        m_unread.pop_back();
    }
}

std::set<std::string> ForeignKeyGraph::update(sqlite::Database db, const TouchedTables& touched) {
    m_born.clear();
    // A UNIQUE index made or dropped may make a parent key checkable or not, or add a key
    // column; other indexes change neither (a migration that drops and re-creates a plain
    // index costs one look at the table's UNIQUE indexes). Only a parent's indexes matter: of
    // a table no table refers to (a new one, mostly) nothing is read, and what was noted of it
    // as a parent is dropped, so that its next index change after it gains a child counts as
    // a change (a child reads its parent's indexes itself when it makes its checks).
    for (const std::string& table : touched.indexed) {
        const std::string key = ascii_lower(table);
        if (m_children.count(key) == 0) {
            m_unique_indexes.erase(key);
            continue;
        }
        std::string unique = unique_indexes(db, table);
        const auto known = m_unique_indexes.find(key);
        if (known != m_unique_indexes.end() && known->second == unique)
            continue;
        forget_checks(key);
        m_unique_indexes[key] = std::move(unique);
    }
    // Each changed table by its name in lower case, spelt as its CREATE TABLE spelt it when the
    // migration created it (that is the schema's spelling), else as the graph knows it.
    struct Change {
        std::string name;
        bool created = false;
        bool altered = false;
        bool dropped = false;
    };
    std::map<std::string, Change> changed;
    for (const auto& [names, flag] : {std::pair{&touched.altered, &Change::altered},
                                      std::pair{&touched.dropped, &Change::dropped},
                                      std::pair{&touched.created, &Change::created}})
        for (const std::string& name : *names) {
            const std::string key = ascii_lower(name);
            const auto known = m_tables.find(key);
            Change& change = changed[key];
            change.name = flag != &Change::created && known != m_tables.end() ? known->first : name;
            change.*flag = true;
        }

    std::set<std::string> fresh;
    std::set<std::string> renamed; // in lower case: tables gone from under their old name
    for (const auto& [key, change] : changed) {
        const bool known = m_tables.count(key) != 0;
        if (table_exists(db, change.name)) {
            if (!known && change.created) {
                // A new name: its keys wait until something needs them (children_of).
                const auto table = m_tables.try_emplace(change.name).first;
                table->second.unread_slot = m_unread.size();
                m_unread.push_back(&table->first);
                m_born.insert(key);
                fresh.insert(change.name);
                continue;
            }
            set_table(db, change.name);
            // Created, or dropped and made again (a rebuild renames its copy to the old name).
            if (!known || change.created || change.dropped)
                fresh.insert(change.name);
            continue;
        }
        if (change.altered)
            renamed.insert(key);
        remove_table(key);
    }
    if (!renamed.empty()) {
        // A rename reports the old name only: the new one is the table the graph does not know.
        sqlite::Statement schema(db, "SELECT name FROM main.sqlite_schema WHERE type = 'table' "
                                     "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'");
        while (schema.step()) {
            const std::string name = schema.column_text(0);
            // New, or known under another spelling: a rebuild may rename its copy to the old
            // name in other letters (`... RENAME TO Users` for `users`).
            const auto known = m_tables.find(name);
            if (known == m_tables.end() || known->first != name) {
                if (known != m_tables.end())
                    fresh.erase(known->first);
                set_table(db, name);
                fresh.insert(name);
            }
        }
        // SQLite rewrote the foreign keys of the renamed tables' children to the new names
        // (those not read yet will be read as they are then).
        for (const std::string& old_name : renamed) {
            const auto children = m_children.find(old_name);
            if (children == m_children.end())
                continue;
            const std::set<std::string> keys = children->second;
            for (const std::string& child : keys)
                set_table(db, spelling_of(child));
        }
    }
    return fresh;
}

const std::string& ForeignKeyGraph::spelling_of(const std::string& key) const {
    const auto found = m_tables.find(key);
    if (found == m_tables.end()) // m_children names only tables the graph holds
        throw std::logic_error("foreign-key graph: no table " + key);
    return found->first;
}

std::optional<std::string> ForeignKeyGraph::stored_name(const std::string& table) const {
    const auto found = m_tables.find(table);
    if (found == m_tables.end())
        return std::nullopt;
    return found->first;
}

const std::vector<ForeignKeyGraph::RowCheck>&
ForeignKeyGraph::row_checks(sqlite::Database db, const std::string& table) {
    const std::string key = ascii_lower(table);
    const auto known = m_row_checks.find(key);
    if (known != m_row_checks.end())
        return known->second;
    // Read into the graph first, so that a change to one of its parents forgets these checks
    // (a write to a table asks for its children first, which reads it: this is a safeguard).
    if (const auto found = m_tables.find(key); found != m_tables.end() && found->second.unread())
        read_keys(db, key);
    std::vector<RowCheck> checks;
    for (const ForeignKey& foreign_key : foreign_keys_of(db, table)) {
        RowCheck check;
        check.key = uncheckable(table, foreign_key);
        check.checkable = parent_key_is_unique(db, foreign_key);
        if (check.checkable)
            check.sql = orphan_query(db, table, foreign_key, true);
        checks.push_back(std::move(check));
    }
    return m_row_checks[key] = std::move(checks);
}

const std::vector<std::string>& ForeignKeyGraph::key_columns(sqlite::Database db,
                                                             const std::string& parent) {
    const std::string key = ascii_lower(parent);
    const auto known = m_key_columns.find(key);
    if (known != m_key_columns.end())
        return known->second;
    std::vector<std::string> columns = primary_key_of(db, parent);
    for (const char* rowid : {"rowid", "oid", "_rowid_"})
        columns.emplace_back(rowid);
    sqlite::Statement unique(db, "SELECT i.name FROM pragma_index_list(?1, 'main') AS l, "
                                 "pragma_index_info(l.name, 'main') AS i WHERE l.\"unique\"");
    unique.bind_text(1, parent);
    for (std::string& column : strings(unique))
        columns.push_back(std::move(column));
    for (const std::string& child : children_of(db, parent))
        for (const ForeignKey& foreign_key : foreign_keys_of(db, child))
            if (same_name(foreign_key.parent, parent))
                for (const auto& to : foreign_key.to)
                    if (to)
                        columns.push_back(*to);
    return m_key_columns[key] = std::move(columns);
}

bool ForeignKeyGraph::has_foreign_keys(const std::string& table) const {
    const auto found = m_tables.find(table);
    return found == m_tables.end() || found->second.unread() || !found->second.parents.empty();
}

std::vector<std::string> ForeignKeyGraph::children_of(sqlite::Database db,
                                                      const std::string& parent) {
    const std::string key = ascii_lower(parent);
    if (!m_unread.empty() && m_born.count(key) == 0)
        read_unread_keys(db);
    std::vector<std::string> out;
    const auto found = m_children.find(key);
    if (found != m_children.end())
        for (const std::string& child : found->second)
            out.push_back(spelling_of(child));
    return out;
}

std::size_t ForeignKeyGraph::AnyCase::operator()(const std::string& name) const noexcept {
    std::size_t hash = 14695981039346656037ULL; // FNV-1a over the lower-case bytes
    for (char c : name) {
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
        hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    }
    return hash;
}

bool ForeignKeyGraph::AnyCase::operator()(const std::string& a,
                                          const std::string& b) const noexcept {
    return sqlite3_stricmp(a.c_str(), b.c_str()) == 0;
}

bool may_rename_tables(std::string_view sql) {
    constexpr std::string_view k_word = "alter";
    for (std::size_t i = 0; i + k_word.size() <= sql.size(); ++i)
        if (sqlite3_strnicmp(sql.data() + i, k_word.data(), static_cast<int>(k_word.size())) == 0)
            return true;
    return false;
}

ForeignKeyCheck check_foreign_keys(sqlite::Database db, const TouchedTables& touched,
                                   ForeignKeyGraph& graph) {
    // A table renamed since (or created, or rebuilt under an old name) holds rows written under
    // another name, and its children now point at it.
    const std::set<std::string> fresh = graph.update(db, touched);
    // By name in lower case: the authorizer reports names as each statement spelt them.
    std::map<std::string, std::string> whole; // tables whose every row is checked
    std::set<std::string> parents;            // tables whose children are checked whole
    for (const std::string& table : touched.keys_removed)
        parents.insert(ascii_lower(table));
    for (const auto& [table, columns] : touched.updated_columns) {
        const auto name = graph.stored_name(table);
        if (!name)
            continue;
        if (graph.children_of(db, *name).empty())
            continue;
        const std::vector<std::string>& keys = graph.key_columns(db, *name);
        const bool sets_a_key = std::any_of(columns.begin(), columns.end(), [&](const auto& c) {
            return std::any_of(keys.begin(), keys.end(),
                               [&](const std::string& key) { return same_name(key, c); });
        });
        if (sets_a_key)
            parents.insert(ascii_lower(*name));
    }
    for (const std::string& table : fresh) {
        whole.emplace(ascii_lower(table), table);
        parents.insert(ascii_lower(table));
    }
    for (const std::string& parent : parents)
        for (std::string& child : graph.children_of(db, parent))
            whole.emplace(ascii_lower(child), std::move(child));
    // A table the migration wrote rows to: those rows alone, when the update hook reported them
    // all; a table without foreign keys has nothing to check.
    std::map<std::string, std::string> by_row;
    for (const std::string& table : touched.rows_written) {
        const auto name = graph.stored_name(table); // else dropped or renamed since
        if (!name || !graph.has_foreign_keys(*name))
            continue;
        const std::string key = ascii_lower(*name);
        if (whole.count(key) != 0)
            continue;
        if (touched.untracked.count(key) != 0 || touched.written_rowids.count(key) == 0)
            whole.emplace(key, *name);
        else
            by_row.emplace(key, *name);
    }

    ForeignKeyCheck result;
    for (const auto& [key, table] : whole)
        if (graph.has_foreign_keys(table)) // a new table without any: no statement to learn that
            check_table(db, table, result);
    for (const auto& [key, table] : by_row)
        check_rows(db, table, touched.written_rowids.at(key), graph, result);
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
