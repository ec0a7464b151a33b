// SPDX-License-Identifier: MIT
#include "strata/executor/schema_dump.hpp"

#include "strata/error.hpp"
#include "strata/executor/sqlite_api.hpp"
#include "strata/project/written_files.hpp"
#include "strata/terms.hpp"
#include "util/file_writer.hpp"

#include <sqlite3.h>

#include <set>
#include <system_error>

namespace strata {

namespace fs = std::filesystem;

namespace {

// sqlite_master rather than sqlite_schema: the older name works on every SQLite a device may
// have. Tables come first so that each index and trigger finds its table when the dump is run;
// views may name each other in any order, as SQLite resolves them only when they are used.
// Objects without SQL are automatic indexes; sqlite_* are SQLite's own (sqlite_sequence,
// sqlite_stat1), created again by the statements that need them.
constexpr const char* k_schema_query = R"(
SELECT name, sql FROM sqlite_master
WHERE sql IS NOT NULL
  AND name NOT LIKE 'sqlite\_%' ESCAPE '\'
  AND tbl_name <> ?1 COLLATE NOCASE
ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 WHEN 'view' THEN 2 ELSE 3 END, name
)";

// Tables a virtual table keeps its data in (FTS5's docs_data, ...): its CREATE VIRTUAL TABLE
// makes them, so listing them too would make the dump fail when it is run. PRAGMA table_list
// names them from SQLite 3.37 on; older versions list them as ordinary tables.
std::set<std::string> shadow_tables(sqlite::Database db) {
    std::set<std::string> names;
    if (sqlite3_libversion_number() < 3037000)
        return names;
    sqlite::Statement query(db,
                            "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = "
                            "'shadow'");
    while (query.step())
        names.insert(query.column_text(0));
    return names;
}

[[noreturn]] void schema_file_failed(const fs::path& path, const std::string& detail) {
    throw Error(ErrorKind::Database,
                "cannot write the schema file " + path.string() + ": " + detail, {},
                "check that its folder is writable; " + terms::command(terms::Command::Schema) +
                    " gives the same text (the database itself is as the run left it)");
}

} // namespace

std::string dump_schema(sqlite::Database db, std::string_view state_table) {
    const std::set<std::string> shadows = shadow_tables(db);
    sqlite::Statement query(db, k_schema_query);
    query.bind_text(1, std::string(state_table));
    std::string out;
    while (query.step()) {
        if (shadows.contains(query.column_text(0)))
            continue;
        if (!out.empty())
            out += '\n';
        out += query.column_text(1);
        out += ";\n";
    }
    return out;
}

void write_schema_file(sqlite::Database db, const fs::path& path, std::string_view state_table) {
    // The last line of defence, where the write happens: whoever called, the schema never
    // replaces the database it describes or a file SQLite keeps beside it.
    Project own_files;
    own_files.database = db.filename();
    if (auto problem = written_file_problem(own_files, path))
        throw Error(ErrorKind::Usage,
                    "refusing to write the schema file " + path.string() + ": it " + *problem, {},
                    written_file_hint("schema_file"));
    const std::string schema = dump_schema(db, state_table);
    std::error_code error;
    if (path.has_parent_path()) {
        fs::create_directories(path.parent_path(), error);
        if (error)
            schema_file_failed(path, "cannot create its folder: " + error.message());
    }
    // Written beside the target and renamed over it, so a reader (or a crash) never sees half
    // a file.
    try {
        util::write_file_atomically(path, schema, util::WriteMode::Replace);
    } catch (const util::FileError& failure) {
        switch (failure.problem) {
        case util::FileProblem::CannotCreate:
            schema_file_failed(path, "cannot create " + failure.path + ": " + failure.reason());
        case util::FileProblem::CannotWrite:
        case util::FileProblem::CannotSync:
            schema_file_failed(path, "writing " + failure.path + " failed: " + failure.reason());
        case util::FileProblem::CannotSyncFolder:
            schema_file_failed(path, "fsync of its folder failed: " + failure.reason());
        default:
            schema_file_failed(path, failure.reason());
        }
    }
}

} // namespace strata
