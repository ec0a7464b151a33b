// SPDX-License-Identifier: MIT
#include "strata/api/scaffold.hpp"

#include "strata/error.hpp"
#include "strata/loader/loader.hpp"
#include "strata/terms.hpp"
#include "util/file_writer.hpp"
#include "util/slug.hpp"
#include "util/time_format.hpp"

#include <algorithm>
#include <optional>
#include <system_error>

namespace strata {
namespace {

// What follows the template marker on the first line of a file `strata new` writes.
constexpr const char* k_template_marker_note = " (delete this line when you write the migration)\n";

// The description as it appears in a comment: on one line.
std::string one_line(std::string_view text) {
    std::string line(text);
    for (char& c : line)
        if (static_cast<unsigned char>(c) < 0x20)
            c = ' ';
    return line;
}

std::string with_final_newline(std::string_view text) {
    std::string out(text);
    if (out.empty() || out.back() != '\n')
        out += '\n';
    return out;
}

// Creates `path` with `content`, never replacing a file: the name is taken only once the
// content is complete and durable, and a file that appeared since any earlier check stays.
void write_new_file(const std::filesystem::path& path, std::string_view content,
                    ErrorKind write_error_kind) {
    try {
        util::write_file_atomically(path, content, util::WriteMode::CreateNew);
    } catch (const util::FileError& error) {
        if (error.problem == util::FileProblem::Exists)
            throw Error(ErrorKind::Usage, "file already exists", {path.string()},
                        "strata never overwrites a file; remove or rename it first");
        const char* what = error.problem == util::FileProblem::CannotCreate ? "cannot create file: "
                                                                            : "cannot write file: ";
        throw Error(write_error_kind, what + error.reason(), {path.string()});
    }
}

void create_folder(const std::filesystem::path& dir, ErrorKind error_kind) {
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error)
        throw Error(error_kind, "cannot create folder: " + error.message(), {dir.string()});
}

bool is_valid_app_name(std::string_view name) {
    if (name.empty() || name == "all")
        return false;
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

std::string project_file_text(std::string_view app_name) {
    std::string app(app_name);
    return "# strata project file. Paths are relative to this file's folder, and ${VAR} or\n"
           "# ${VAR:-default} in a value is replaced by the environment variable VAR.\n"
           "\n"
           "# The SQLite database to migrate (--database PATH or STRATA_DATABASE override it).\n"
           "database = \"app.db\"\n"
           "\n"
           "# How long to wait for another process's write lock, in milliseconds.\n"
           "# busy_timeout_ms = 5000\n"
           "\n"
           "# One [[apps]] table per set of migrations. Create migrations with\n"
           "#   strata new " +
           app +
           " create users\n"
           "[[apps]]\n"
           "name = \"" +
           app +
           "\"\n"
           "migrations = \"migrations/" +
           app +
           "\"\n"
           "# depends_on = [\"other_app\"]  # apps whose migrations must run before these\n";
}

// A timestamp id has 14 digits (YYYYMMDDHHMMSS); a shorter newest id means the app counts.
constexpr std::size_t k_timestamp_digits = 14;

// The decimal digits `digits` + 1, at least as wide: "0009" -> "0010", "99" -> "100".
std::string incremented(std::string digits) {
    for (std::size_t i = digits.size(); i-- > 0;) {
        if (digits[i] != '9') {
            ++digits[i];
            return digits;
        }
        digits[i] = '0';
    }
    return "1" + digits;
}

// The ids of the migration files in `dir` (any "<digits>_" name; a name without an id is the
// loader's to refuse). Throws Error(MigrationFiles) when the folder cannot be read.
std::vector<MigrationId> ids_in(const std::filesystem::path& dir) {
    std::vector<MigrationId> ids;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
        const std::string name = entry.path().filename().string();
        const auto underscore = name.find('_');
        if (underscore == std::string::npos)
            continue;
        if (std::optional<MigrationId> id = MigrationId::parse(name.substr(0, underscore)))
            ids.push_back(std::move(*id));
    }
    if (error)
        throw Error(ErrorKind::MigrationFiles, "cannot read folder: " + error.message(),
                    {dir.string()});
    return ids;
}

} // namespace

std::string next_migration_id(const std::vector<MigrationId>& existing,
                              std::chrono::system_clock::time_point now, IdStyle style) {
    const auto newest = std::max_element(existing.begin(), existing.end());
    if (newest == existing.end())
        return style == IdStyle::Sequence ? "0001" : timestamp_id(now);
    const bool counting = newest->text().size() < k_timestamp_digits;
    if (style == IdStyle::Sequence && !counting)
        throw Error(ErrorKind::Usage,
                    "this app's migrations are numbered by time (the newest is " + newest->text() +
                        "); a sequence starts only in an app without migrations",
                    {}, "leave out the sequence option to go on with time-based ids");
    if (counting)
        return incremented(newest->text());
    // Two migrations in one second, or a clock behind the newest id: the next free id keeps
    // the files in the order they were written.
    std::string id = timestamp_id(now);
    if (MigrationId(id) <= *newest)
        id = incremented(newest->text());
    return id;
}

std::string timestamp_id(std::chrono::system_clock::time_point now) {
    return util::utc_digits(now);
}

NewMigrationFiles create_migration(const AppConfig& app, std::string_view description,
                                   std::string_view up_sql, std::string_view down_sql,
                                   std::chrono::system_clock::time_point now, IdStyle style) {
    std::string slug = util::slugify(description);
    if (slug.empty())
        throw Error(ErrorKind::Usage,
                    "the description \"" + one_line(description) +
                        "\" has no letters or digits to name the migration files with",
                    {}, "describe the migration in a few words, e.g. \"create users\"");

    NewMigrationFiles files;
    create_folder(app.migrations_dir, ErrorKind::MigrationFiles);
    files.id = next_migration_id(ids_in(app.migrations_dir), now, style);
    files.name = files.id + "_" + slug;

    // Another `new` running at the same moment may have taken the id since the listing; two
    // files with one id would make the set unloadable.
    std::string id_prefix = files.id + "_";
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(app.migrations_dir, error)) {
        std::string existing = entry.path().filename().string();
        if (existing.starts_with(id_prefix))
            throw Error(ErrorKind::Usage, "a migration with the id " + files.id + " already exists",
                        {entry.path().string()},
                        "another migration was created at the same moment; run " +
                            terms::command(terms::Command::New) + " again");
    }
    if (error)
        throw Error(ErrorKind::MigrationFiles, "cannot read folder: " + error.message(),
                    {app.migrations_dir.string()});

    files.up_path = app.migrations_dir / (files.name + ".up.sql");
    files.down_path = app.migrations_dir / (files.name + ".down.sql");
    // The marker line makes the loader refuse a file nobody has written yet (loader.hpp).
    std::string text = one_line(description);
    const std::string marker = std::string(k_template_marker) + k_template_marker_note;
    std::string up = up_sql.empty() ? marker + "-- " + text + ": write the SQL to apply here\n"
                                    : with_final_newline(up_sql);
    std::string down = down_sql.empty()
                           ? marker + "-- " + text + ": write the SQL that undoes it here\n"
                           : with_final_newline(down_sql);

    write_new_file(files.up_path, up, ErrorKind::MigrationFiles);
    try {
        write_new_file(files.down_path, down, ErrorKind::MigrationFiles);
    } catch (...) {
        // Half a pair would make the whole set unloadable.
        std::error_code ignored;
        std::filesystem::remove(files.up_path, ignored);
        throw;
    }
    return files;
}

InitFiles init_project(const std::filesystem::path& dir, std::string_view app_name) {
    if (!is_valid_app_name(app_name))
        throw Error(ErrorKind::Usage, "\"" + one_line(app_name) + "\" is not a valid app name", {},
                    "app names use letters, digits, '_' and '-', and cannot be \"all\"");

    InitFiles files;
    files.project_file = dir / "strata.toml";
    files.migrations_dir = dir / "migrations" / std::string(app_name);
    std::error_code error;
    if (std::filesystem::exists(files.project_file, error))
        throw Error(ErrorKind::Usage, "a project file already exists here",
                    {files.project_file.string()},
                    terms::command(terms::Command::Init) +
                        " never overwrites it; edit it, or create the project in another folder (" +
                        terms::option(terms::Option::Directory) + ")");

    create_folder(files.migrations_dir, ErrorKind::ProjectFile);
    write_new_file(files.project_file, project_file_text(app_name), ErrorKind::ProjectFile);
    return files;
}

} // namespace strata
