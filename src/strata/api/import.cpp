// SPDX-License-Identifier: MIT
#include "strata/api/import.hpp"

#include "strata/api/run_support.hpp"
#include "strata/error.hpp"
#include "strata/executor/database.hpp"
#include "strata/executor/sqlite_api.hpp"
#include "strata/executor/sqlite_error.hpp"
#include "strata/loader/loader.hpp"
#include "strata/migration_id.hpp"
#include "strata/state/state_store.hpp"
#include "strata/terms.hpp"
#include "util/file_error.hpp"
#include "util/file_writer.hpp"

#include <map>
#include <set>
#include <system_error>

namespace strata {

using namespace detail;

namespace {

namespace fs = std::filesystem;

// The other tool's record of what it applied: the ids, by MigrationId::key().
struct ToolState {
    std::map<std::string, std::string> applied; // key -> the version as the tool wrote it
    // golang-migrate keeps only the current version: everything up to it is applied.
    std::optional<MigrationId> up_to;
};

bool has_table(sqlite::Database db, std::string_view table) {
    sqlite::Statement query(db,
                            "SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND name = ?");
    query.bind_text(1, table);
    return query.step();
}

// Each tool's state table, and the query that reads it. The names are constants: nothing read
// from the user or the database is put into this SQL.
std::string_view state_table_of(ImportFormat format) {
    switch (format) {
    case ImportFormat::GolangMigrate:
    case ImportFormat::Dbmate:
        return "schema_migrations";
    case ImportFormat::Goose:
        return "goose_db_version";
    case ImportFormat::Sqlx:
        return "_sqlx_migrations";
    case ImportFormat::Diesel:
        return "__diesel_schema_migrations";
    }
    return {};
}

void add_applied(ToolState& state, const std::string& version, const fs::path& database) {
    std::optional<MigrationId> id = MigrationId::parse(version);
    if (!id)
        throw Error(ErrorKind::Database,
                    "the other tool's state table holds the version \"" + version +
                        "\", which is not made of digits",
                    {database.string()});
    state.applied[std::string(id->key())] = version;
}

ToolState read_tool_state(sqlite::Database db, ImportFormat format, const fs::path& database) {
    const std::string_view table = state_table_of(format);
    const std::string tool(import_format_name(format));
    if (!has_table(db, table))
        throw Error(ErrorKind::Database,
                    "the database has no " + std::string(table) + " table: " + tool +
                        " has not migrated it",
                    {database.string()}, "name the database that " + tool + " migrates");
    ToolState state;
    switch (format) {
    case ImportFormat::GolangMigrate: {
        sqlite::Statement query(db, "SELECT version, dirty FROM main.schema_migrations");
        while (query.step()) {
            const std::string version = query.column_text(0);
            if (query.column_int64(1) != 0)
                throw Error(ErrorKind::Refused,
                            "golang-migrate left the database dirty at version " + version +
                                ": that migration failed part-way",
                            {database.string()},
                            "repair the database and clear the flag with golang-migrate's "
                            "`force VERSION` first");
            state.up_to = MigrationId::parse(version);
            if (!state.up_to)
                add_applied(state, version, database); // throws: not digits
        }
        break;
    }
    case ImportFormat::Goose: {
        // The newest row of each version decides: goose adds a row with is_applied = 0 when
        // it reverses one. Version 0 is goose's own first row.
        sqlite::Statement query(db, "SELECT version_id, is_applied FROM main.goose_db_version "
                                    "ORDER BY id");
        std::map<std::string, bool> latest;
        while (query.step())
            latest[query.column_text(0)] = query.column_int64(1) != 0;
        for (const auto& [version, applied] : latest)
            if (applied && version != "0")
                add_applied(state, version, database);
        break;
    }
    case ImportFormat::Dbmate: {
        sqlite::Statement query(db, "SELECT version FROM main.schema_migrations");
        while (query.step())
            add_applied(state, query.column_text(0), database);
        break;
    }
    case ImportFormat::Sqlx: {
        sqlite::Statement query(db, "SELECT version, success FROM main._sqlx_migrations");
        while (query.step()) {
            const std::string version = query.column_text(0);
            if (query.column_int64(1) == 0)
                throw Error(ErrorKind::Refused, "sqlx recorded migration " + version + " as failed",
                            {database.string()},
                            "repair the database and the _sqlx_migrations row first");
            add_applied(state, version, database);
        }
        break;
    }
    case ImportFormat::Diesel: {
        sqlite::Statement query(db, "SELECT version FROM main.__diesel_schema_migrations");
        while (query.step())
            add_applied(state, query.column_text(0), database);
        break;
    }
    }
    return state;
}

bool is_applied(const ToolState& state, const MigrationId& id) {
    if (state.up_to)
        return id <= *state.up_to;
    return state.applied.contains(std::string(id.key()));
}

// The ids of the files already in the app's folder: an imported one must not collide.
std::set<std::string> existing_ids(const fs::path& dir) {
    std::set<std::string> ids;
    std::error_code error;
    if (!fs::exists(dir, error))
        return ids;
    for (const auto& entry : fs::directory_iterator(dir, error)) {
        const std::string name = entry.path().filename().string();
        if (std::optional<MigrationId> id = MigrationId::parse(name.substr(0, name.find('_'))))
            ids.insert(std::string(id->key()));
    }
    if (error)
        throw Error(ErrorKind::MigrationFiles, "cannot read folder: " + error.message(),
                    {dir.string()});
    return ids;
}

void write_new(const fs::path& path, std::string_view text) {
    try {
        util::write_file_atomically(path, text, util::WriteMode::CreateNew);
    } catch (const util::FileError& error) {
        if (error.problem == util::FileProblem::Exists)
            throw Error(ErrorKind::Usage, "file already exists", {path.string()},
                        "strata never overwrites a file; remove or rename it first");
        throw Error(ErrorKind::MigrationFiles, "cannot write file: " + error.reason(),
                    {path.string()});
    }
}

std::string down_text(const ImportedMigration& migration, ImportFormat format) {
    if (migration.has_down)
        return migration.down_sql;
    return "-- " + std::string(import_format_name(format)) +
           " had no down migration for this one: reversing it changes nothing\n";
}

// Without a named app, the project's only one: with several, guessing could mix two apps.
const AppConfig& only_app_of(const Project& project) {
    if (project.apps.size() == 1)
        return project.apps.front();
    std::string names;
    for (const AppConfig& app : project.apps)
        names += (names.empty() ? "" : ", ") + app.name;
    throw Error(ErrorKind::Usage,
                "which app? this project has " + std::to_string(project.apps.size()) +
                    " apps: " + names,
                {}, "name one: " + terms::command(terms::Command::Import, "--from FORMAT DIR APP"));
}

} // namespace

ImportResult import_migrations(const Context& context, const ImportOptions& options) {
    const Project& project = context.project;
    if (options.app && *options.app == "all")
        throw Error(ErrorKind::Usage, "import writes into one app, not \"all\"", {},
                    "name the app: " +
                        terms::command(terms::Command::Import, "--from FORMAT DIR APP"));
    const AppConfig& app =
        options.app ? *project.select_apps(*options.app).front() : only_app_of(project);
    ImportReading reading = read_import_folder(options.format, options.source_dir);
    ImportResult result;
    result.app_name = app.name;

    // The other tool's state is read before any file is written, so a refusal changes nothing.
    std::unique_ptr<Connection> connection;
    ToolState state;
    if (options.adopt) {
        connection = open_existing(context, OpenMode::ReadWrite);
        if (!connection)
            throw Error(ErrorKind::Usage, "the database does not exist",
                        {project.database.string()},
                        "name the database the other tool migrated with --database FILE");
        try {
            state = read_tool_state(connection->db(), options.format, project.database);
        } catch (const sqlite::Failure&) {
            rethrow_as_error(project.database, "reading the other tool's state table");
        }
        std::set<std::string> converted;
        for (const ImportedMigration& migration : reading.migrations)
            converted.insert(std::string(MigrationId(migration.id).key()));
        // golang-migrate records only the version it stands at, which must be a converted one.
        if (state.up_to && !converted.contains(std::string(state.up_to->key())))
            state.applied[std::string(state.up_to->key())] = state.up_to->text();
        for (const auto& [key, version] : state.applied)
            if (!converted.contains(key))
                reading.skipped.push_back({project.database.string(),
                                           "version " + version +
                                               " is applied in the database but was not converted, "
                                               "so it is not recorded"});
    }

    // Every name is checked before the first file is written: a half-imported folder would be
    // worse than none.
    const std::set<std::string> taken = existing_ids(app.migrations_dir);
    for (const ImportedMigration& migration : reading.migrations)
        if (taken.contains(std::string(MigrationId(migration.id).key())))
            throw Error(ErrorKind::Usage,
                        "app " + app.name + " already has a migration with the id " + migration.id,
                        {app.migrations_dir.string()},
                        "import into an app whose folder does not have these ids");
    std::error_code error;
    fs::create_directories(app.migrations_dir, error);
    if (error)
        throw Error(ErrorKind::MigrationFiles, "cannot create folder: " + error.message(),
                    {app.migrations_dir.string()});
    for (const ImportedMigration& migration : reading.migrations) {
        const std::string name = migration.id + "_" + migration.slug;
        const fs::path up = app.migrations_dir / (name + ".up.sql");
        const fs::path down = app.migrations_dir / (name + ".down.sql");
        write_new(up, migration.up_sql);
        write_new(down, down_text(migration, options.format));
        result.written.push_back(up);
        result.written.push_back(down);
    }
    result.skipped = std::move(reading.skipped);
    result.notes = std::move(reading.notes);
    if (!options.adopt)
        return result;

    // The rows hold exactly what forwards would have recorded: the checksum and down SQL of
    // the files as strata reads them.
    const MigrationSet set = load_migrations(app);
    std::set<std::string> imported;
    for (const ImportedMigration& migration : reading.migrations)
        imported.insert(std::string(MigrationId(migration.id).key()));
    std::vector<NewStateRow> rows;
    for (const Migration& migration : set.migrations)
        if (imported.contains(std::string(migration.id.key())) && is_applied(state, migration.id))
            rows.push_back({app.name, migration.id, migration.description, migration.checksum,
                            migration.down_sql.text(), false});
    try {
        const StateStore store(connection->db(), project.settings.state_table);
        sqlite::Transaction transaction(connection->db(), sqlite::TransactionKind::Immediate);
        store.create_if_missing();
        for (const NewStateRow& row : rows)
            if (!store.is_applied(row.app_name, row.migration_id)) {
                store.record(row);
                result.adopted.push_back(row.migration_id.text());
            }
        transaction.commit();
    } catch (const sqlite::Failure&) {
        result.adopted.clear();
        rethrow_as_error(project.database, "recording the adopted migrations");
    }
    return result;
}

} // namespace strata
