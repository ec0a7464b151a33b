// SPDX-License-Identifier: MIT
#include "strata/project/written_files.hpp"

#include "util/path_identity.hpp"

namespace strata {

namespace fs = std::filesystem;

namespace {

struct SideFile {
    const char* suffix;
    const char* name;
};

// The files SQLite keeps beside a database while it works on it.
constexpr SideFile k_side_files[] = {
    {"-journal", "the database's rollback journal"},
    {"-wal", "the database's write-ahead log"},
    {"-shm", "the database's WAL index"},
};

} // namespace

std::optional<std::string> written_file_problem(const Project& project, const fs::path& target) {
    const fs::path& database = project.database;
    if (!database.empty()) {
        if (util::same_file(target, database))
            return "is the database " + database.string();
        // SQLite names its side files after the database as opened, and resolves a link to the
        // database first: both spellings are checked.
        const fs::path resolved = util::resolved_path(database);
        for (const SideFile& side : k_side_files) {
            const fs::path as_named = database.string() + side.suffix;
            if (util::same_file(target, as_named) ||
                util::same_file(target, resolved.string() + side.suffix))
                return "is " + std::string(side.name) + " " + as_named.string();
        }
    }
    if (!project.file.empty() && util::same_file(target, project.file))
        return "is the project file " + project.file.string();
    for (const AppConfig& app : project.apps) {
        if (!app.migrations_dir.empty() && util::is_within(target, app.migrations_dir))
            return "is in the migrations folder " + app.migrations_dir.string() + " of app \"" +
                   app.name + "\"";
    }
    return std::nullopt;
}

std::string written_file_hint(std::string_view key) {
    return "point " + std::string(key) +
           " at a file of its own, e.g. schema.sql beside strata.toml: strata never writes over "
           "the database, its journal, WAL or index, the project file or a migrations folder";
}

} // namespace strata
