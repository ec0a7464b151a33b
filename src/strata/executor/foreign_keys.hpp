// SPDX-License-Identifier: MIT
#pragma once

#include "strata/executor/sql_runner.hpp"
#include "strata/executor/sqlite_api.hpp"

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace strata {

// One row whose foreign key points at no parent row.
struct ForeignKeyViolation {
    std::string table;
    std::int64_t rowid = 0;
    std::string parent;
};

// A foreign key SQLite cannot check: its parent columns are neither the PRIMARY KEY nor a
// UNIQUE index of the parent ("foreign key mismatch"). SQLite accepts such a schema.
struct UncheckableForeignKey {
    std::string table;          // the child
    std::string columns;        // the child's columns, "a" or "a, b"
    std::string parent;         // the parent table
    std::string parent_columns; // as declared; "" when it names the parent's primary key
};

// What a foreign-key check found.
struct ForeignKeyCheck {
    std::vector<ForeignKeyViolation> violations;
    // Keys skipped because SQLite cannot check them; the other keys of their tables were
    // checked one by one.
    std::vector<UncheckableForeignKey> unchecked;
};

// Which tables of the main database have foreign keys to which, kept up to date through a run
// from the schema changes the authorizer reports (TouchedTables::created, altered, dropped):
// read once, then only for the tables a migration created, altered or dropped, so that a check
// costs what the migration touched rather than the size of the schema. The foreign keys of a
// table created under a name the graph did not know are read only when something needs them
// (see children_of): a run that adds tables mostly never does.
class ForeignKeyGraph {
  public:
    ForeignKeyGraph() = default;
    // Moved, never copied: m_unread points at the keys of m_tables' nodes.
    ForeignKeyGraph(ForeignKeyGraph&&) = default;
    ForeignKeyGraph& operator=(ForeignKeyGraph&&) = default;
    ForeignKeyGraph(const ForeignKeyGraph&) = delete;
    ForeignKeyGraph& operator=(const ForeignKeyGraph&) = delete;

    // Reads every table's foreign keys (one pass over the schema). Throws sqlite::Failure.
    void read(sqlite::Database db);
    // Reads the graph unless it was read before and no other connection committed since:
    // `data_version` is PRAGMA data_version as the caller has just read it (the executor reads
    // it before every step anyway). Changes made on this connection go through update().
    // Throws sqlite::Failure.
    void follow(sqlite::Database db, std::int64_t data_version);
    // Brings the graph up to date after SQL whose changes `touched` holds, reading the foreign
    // keys of the tables it created, altered or dropped (and of the children of a renamed
    // table). A table renamed to a name the graph does not know costs one pass over
    // sqlite_schema, as SQLite's own rename does. Returns the tables new under their name
    // (created, renamed to, or rebuilt), as the schema spells them. Throws sqlite::Failure.
    std::set<std::string> update(sqlite::Database db, const TouchedTables& touched);
    // The table's name as the schema spells it, or nullopt when no such table exists.
    std::optional<std::string> stored_name(const std::string& table) const;
    // Whether `table` has a foreign key (true for a table the graph does not know, or whose
    // keys it has not read yet).
    bool has_foreign_keys(const std::string& table) const;

    // How one foreign key of a child table is checked row by row.
    struct RowCheck {
        UncheckableForeignKey key; // as a warning names it
        bool checkable = true;     // the parent key is one SQLite can look rows up by
        std::string sql;           // the orphan query of the row whose rowid is bound to ?1
    };
    // The row checks of `table` (as the schema spells it), read once and kept until the table,
    // one of its parents, or a parent's indexes change (update()). Throws sqlite::Failure.
    const std::vector<RowCheck>& row_checks(sqlite::Database db, const std::string& table);
    // The columns of `parent` whose update may remove a key its children refer to (primary
    // key, rowid, UNIQUE columns, columns children name), kept as row_checks are.
    const std::vector<std::string>& key_columns(sqlite::Database db, const std::string& parent);
    // The tables with a foreign key to `parent` (in any letter case; it need not exist), as
    // the schema spells them, reading the keys of the tables created since they were last
    // needed. Those are left out when no table had the parent's name before the last update():
    // such a table's rows were all checked while the parent was missing, so none can point
    // at it, and it was read again if a parent of that name had gone in between (a drop or a
    // rename asks for the children of the name it removes).
    std::vector<std::string> children_of(sqlite::Database db, const std::string& parent);

  private:
    // Kept small: a run that creates a table per migration holds one for every migration.
    struct Table {
        std::vector<std::string> parents; // in lower case, each once
        // Created during the run, keys not read yet: its place in m_unread. npos once read.
        std::size_t unread_slot = std::string::npos;
        bool unread() const { return unread_slot != std::string::npos; }
    };
    // Table names compared as SQLite compares them, ignoring ASCII case. The hash is noexcept,
    // so that a node does not keep it too.
    struct AnyCase {
        std::size_t operator()(const std::string& name) const noexcept;
        bool operator()(const std::string& a, const std::string& b) const noexcept;
    };
    // Adds `parent` (lower case) to `table`'s parents; false when it was there already.
    static bool add_parent(Table& table, const std::string& parent);
    void set_table(sqlite::Database db, std::string name);
    // Reads the foreign keys of the table `name` (any case), known by name only until now.
    void read_keys(sqlite::Database db, const std::string& name);
    // Reads the keys of every table created since they were last needed.
    void read_unread_keys(sqlite::Database db);
    void remove_table(const std::string& key);
    // The schema's spelling of a table the graph holds (`key` in any case).
    const std::string& spelling_of(const std::string& key) const;
    // Drops what row_checks and key_columns keep of the table (lower case) and its relatives.
    void forget_checks(const std::string& key);

    // Hashed, not ordered: a run looks tables up by name a dozen times per migration, and in a
    // tree of thousands of names each lookup chases a dozen nodes spread over the heap. Nothing
    // depends on the order of these maps (children_of lists a std::set).
    template <typename Value>
    using ByName = std::unordered_map<std::string, Value>;
    // By name as the schema spells it, found in any case: the key is the only copy of the name.
    std::unordered_map<std::string, Table, AnyCase, AnyCase> m_tables;
    ByName<std::set<std::string>> m_children;       // parent -> children, lower case
    ByName<std::vector<RowCheck>> m_row_checks;     // by child, lower case
    ByName<std::vector<std::string>> m_key_columns; // by parent, lower case
    // By parent (a table some table refers to): its UNIQUE indexes as its children's checks
    // assumed them.
    ByName<std::string> m_unique_indexes;
    // Tables created during the run whose foreign keys are not read yet (their `parents` are
    // empty, and m_children leaves them out), as their keys in m_tables, whose nodes stay put.
    // A table read or removed leaves null in its slot.
    std::vector<const std::string*> m_unread;
    // Tables (lower case) under a name no table had before the last update().
    std::unordered_set<std::string> m_born;
    std::int64_t m_data_version = -1; // -1: not read
};

// Whether running `sql` could rename a table or rewrite a trigger or view. Only ALTER TABLE
// does, and a trigger body cannot hold one, so SQL without the word ALTER (in any case) cannot.
// A false alarm (the word in a comment) only costs a look at the whole schema.
bool may_rename_tables(std::string_view sql);

// Checks what a migration (or a whole run) could have broken: the rows it wrote (by rowid,
// TouchedTables::written_rowids; a table whose rows were not all noted with SQLite's own
// foreign_key_check), and with foreign_key_check the tables new under their name (renamed,
// created or rebuilt) and those whose foreign keys refer to a table whose rows it removed,
// whose key columns it updated, or that is new. `graph`,
// which must describe the schema before the SQL that `touched` reports, is brought up to date
// first (ForeignKeyGraph::update). A whole-database check at every migration would make a run
// cost migrations x database size. Throws sqlite::Failure when SQLite fails.
ForeignKeyCheck check_foreign_keys(sqlite::Database db, const TouchedTables& touched,
                                   ForeignKeyGraph& graph);

// Sets PRAGMA foreign_keys for the duration of a run (it is ignored inside a transaction, so
// this happens before BEGIN) and restores the connection's previous setting afterwards.
class ForeignKeyEnforcement {
  public:
    ForeignKeyEnforcement(sqlite::Database db, bool enforce);
    ~ForeignKeyEnforcement();
    ForeignKeyEnforcement(const ForeignKeyEnforcement&) = delete;
    ForeignKeyEnforcement& operator=(const ForeignKeyEnforcement&) = delete;

  private:
    sqlite::Database m_db;
    bool m_previous;
    bool m_changed;
};

} // namespace strata
