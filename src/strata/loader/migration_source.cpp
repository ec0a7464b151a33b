// SPDX-License-Identifier: MIT
#include "strata/loader/migration_source.hpp"

#include "strata/error.hpp"
#include "strata/terms.hpp"
#include "util/file_reader.hpp"
#include "util/platform.hpp"

#include <algorithm>
#include <cstdint>
#include <system_error>
#include <utility>

namespace strata {

namespace {

// Same rule as the loader's: dotfiles (editor and macOS "._" leftovers) are never migrations,
// and ".SQL" counts as ".sql" so that the loader reports a mis-cased file instead of silently
// skipping a migration.
bool is_candidate(const std::string& name) {
    if (name.empty() || name.front() == '.' || name.size() < 4)
        return false;
    std::string tail = name.substr(name.size() - 4);
    std::transform(tail.begin(), tail.end(), tail.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; });
    return tail == ".sql";
}

// A migration larger than this cannot run: SQLite refuses SQL text longer than its default
// SQLITE_MAX_SQL_LENGTH (1,000,000,000 bytes) with "statement too long". Refusing such a file
// at load time names it before the database is touched. Seed data below it is welcome.
constexpr std::uint64_t k_max_migration_file_size = 1'000'000'000;

std::string read_migration_file(const std::string& path) {
    try {
        return util::read_file(path, k_max_migration_file_size);
    } catch (const util::FileError& error) {
        switch (error.problem) {
        case util::FileProblem::NotRegular:
            throw Error(ErrorKind::MigrationFiles,
                        "migration file is not a regular file (it is " +
                            std::string(util::describe(error.kind)) + ")",
                        SourceLocation{path},
                        "rename or remove it: every name ending in .sql must be a file (or a "
                        "link to one)");
        case util::FileProblem::TooLarge:
            throw Error(ErrorKind::MigrationFiles,
                        "migration file is too large (" + std::to_string(error.size) +
                            " bytes; SQLite runs at most " + std::to_string(error.limit) +
                            " bytes of SQL)",
                        SourceLocation{path}, "split it into several migrations");
        default:
            throw Error(ErrorKind::MigrationFiles, "cannot read migration file: " + error.reason(),
                        SourceLocation{path});
        }
    }
}

} // namespace

FolderSource::FolderSource(std::filesystem::path folder) : m_folder(std::move(folder)) {}

std::vector<SourceFile> FolderSource::list_sql_files() const {
    const std::string folder = m_folder.string();
    auto folder_error = [&](const std::error_code& ec) {
        return Error(ErrorKind::MigrationFiles, "cannot read migrations folder: " + ec.message(),
                     SourceLocation{folder},
                     "create the folder, or fix " + terms::setting("migrations"));
    };

    std::error_code ec;
    std::filesystem::directory_iterator it(m_folder, ec);
    if (ec)
        throw folder_error(ec);

    std::vector<SourceFile> files;
    for (; it != std::filesystem::directory_iterator{}; it.increment(ec)) {
        if (ec)
            throw folder_error(ec);
        std::string name = it->path().filename().string();
        if (!is_candidate(name))
            continue;
        std::string path = (m_folder / name).string();
        std::string content = read_migration_file(path);
        files.push_back(SourceFile{std::move(name), std::move(path), std::move(content)});
    }
    if (ec)
        throw folder_error(ec);
    return files;
}

void FolderSource::remove(const std::string& path) const {
    // remove_file never deletes a directory that somehow took a migration's name. A file that
    // is already gone is what the caller wanted, so that is not a failure.
    const std::error_code error = util::remove_file(path);
    if (error && error != std::errc::no_such_file_or_directory)
        throw Error(ErrorKind::Database, "cannot delete migration file: " + error.message(),
                    SourceLocation{path});
}

MemorySource::MemorySource(std::vector<SourceFile> files) : m_files(std::move(files)) {}

void MemorySource::remove(const std::string& path) const {
    std::erase_if(m_files, [&](const SourceFile& file) { return file.path == path; });
}

EmbeddedSource::EmbeddedSource(std::string app_name, std::span<const EmbeddedMigration> migrations)
    : m_app_name(std::move(app_name)), m_migrations(migrations.begin(), migrations.end()) {}

std::vector<SourceFile> EmbeddedSource::list_sql_files() const {
    // The names and paths follow a folder's, so a message about an embedded migration reads like
    // one about a file and the loader's name rules apply unchanged.
    const std::string prefix = "embedded:" + m_app_name + "/";
    std::vector<SourceFile> files;
    files.reserve(m_migrations.size() * 2);
    for (const EmbeddedMigration& migration : m_migrations) {
        const std::string stem(migration.name);
        for (auto [suffix, text] :
             {std::pair{".up.sql", migration.up_sql}, std::pair{".down.sql", migration.down_sql}}) {
            std::string name = stem + suffix;
            std::string path = prefix + name;
            files.push_back(SourceFile{std::move(name), std::move(path), std::string(text)});
        }
    }
    return files;
}

void EmbeddedSource::remove(const std::string& path) const {
    throw Error(ErrorKind::Usage, "cannot delete a migration compiled into the program",
                SourceLocation{path});
}

} // namespace strata
