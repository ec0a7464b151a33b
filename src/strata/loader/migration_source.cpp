// SPDX-License-Identifier: MIT
#include "strata/loader/migration_source.hpp"

#include "strata/error.hpp"
#include "strata/terms.hpp"
#include "util/file_reader.hpp"
#include "util/platform.hpp"
#include "util/text.hpp"

#include <cstdint>
#include <system_error>
#include <utility>

namespace strata {

namespace {

// A migration larger than this cannot run: SQLite refuses SQL text longer than its default
// SQLITE_MAX_SQL_LENGTH (1,000,000,000 bytes) with "statement too long". Refusing such a file
// at load time names it before the database is touched. Seed data below it is welcome.
constexpr std::uint64_t k_max_migration_file_size = 1'000'000'000;

// Reads the migration file `name` of the folder whose path_prefix is `prefix` into `content`:
// through `folder` when the folder's listing showed a regular file, not a link (no status
// call, no path walked again), else by its path with read_file's checks. The path is put
// together only when it is needed, to open the file by it or to name it in an error.
void read_migration_file(const util::FileDescriptor* folder, const std::string& prefix,
                         const std::string& name, bool listed_regular, std::string& content) {
    try {
        if (listed_regular && folder != nullptr)
            util::read_listed_file_in(*folder, name, name, k_max_migration_file_size, content);
        else
            content = listed_regular
                          ? util::read_listed_file(prefix + name, k_max_migration_file_size)
                          : util::read_file(prefix + name, k_max_migration_file_size);
    } catch (const util::FileError& error) {
        const std::string path = prefix + name;
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

bool is_migration_candidate(std::string_view name) {
    constexpr std::string_view k_sql = ".sql";
    if (name.size() < k_sql.size() || name.front() == '.')
        return false;
    return util::equals_ignoring_ascii_case(name.substr(name.size() - k_sql.size()), k_sql);
}

std::vector<SourceFile> MigrationSource::list_sql_files() const {
    std::vector<SourceFile> files;
    std::string buffer;
    for (SourceEntry& entry : list()) {
        std::string content(read(entry, buffer));
        files.push_back(SourceFile{std::move(entry.name), std::move(content)});
    }
    return files;
}

void MigrationSource::confirm_checksum(const SourceEntry& /*up*/,
                                       std::string_view /*checksum*/) const {}

struct FolderSource::OpenFolder {
    util::FileDescriptor handle;
};

FolderSource::FolderSource(std::filesystem::path folder)
    : m_folder(std::move(folder)), m_prefix(m_folder.string()) {
    if (!m_prefix.empty() && m_prefix.back() != '/')
        m_prefix += '/';
    // A folder that cannot be opened now is listed by its path, which reports why.
    std::error_code ignored;
    util::FileDescriptor handle =
        util::open_file(m_folder, {.non_blocking = true, .folder = true}, ignored);
    if (handle.valid())
        m_open = std::make_shared<const OpenFolder>(OpenFolder{std::move(handle)});
}

std::vector<SourceEntry> FolderSource::list() const {
    const std::string folder = m_folder.string();
    auto folder_error = [&](const std::error_code& ec) {
        return Error(ErrorKind::MigrationFiles, "cannot read migrations folder: " + ec.message(),
                     SourceLocation{folder},
                     "create the folder, or fix " + terms::setting("migrations"));
    };

    std::error_code ec;
    auto entries = m_open ? util::list_folder(m_open->handle, ec) : util::list_folder(m_folder, ec);
    if (!entries)
        throw folder_error(ec);

    std::vector<SourceEntry> files;
    files.reserve(entries->size());
    for (util::FolderEntry& entry : *entries) {
        if (!is_migration_candidate(entry.name))
            continue;
        // The listing's file type (d_type) costs no system call. A regular file is read without
        // a status call first; a folder or FIFO named .sql is refused now, whether or not the
        // command reads it (read_migration_file asks for its status, and never opens it); a
        // link, or a type the listing does not give, is looked at when it is read.
        const bool regular = entry.kind == util::FileKind::Regular;
        if (entry.kind && !regular) {
            std::string ignored;
            read_migration_file(nullptr, m_prefix, entry.name, false, ignored);
        }
        files.push_back(SourceEntry{std::move(entry.name), regular ? 1U : 0U});
    }
    return files;
}

std::string_view FolderSource::read(const SourceEntry& file, std::string& buffer) const {
    read_migration_file(m_open ? &m_open->handle : nullptr, m_prefix, file.name, file.key == 1,
                        buffer);
    return buffer;
}

void FolderSource::remove(const std::string& path) const {
    // remove_file never deletes a directory that somehow took a migration's name. A file that
    // is already gone is what the caller wanted, so that is not a failure.
    const std::error_code error = util::remove_file(path);
    if (error && error != std::errc::no_such_file_or_directory)
        throw Error(ErrorKind::Database, "cannot delete migration file: " + error.message(),
                    SourceLocation{path});
}

void ForgottenFiles::check_readable(const MigrationSource& source, const SourceEntry& file) const {
    if (contains(file.key))
        throw Error(ErrorKind::MigrationFiles, "migration file no longer exists",
                    SourceLocation{source.path_of(file)});
}

MemorySource::MemorySource(std::string path_prefix, std::vector<SourceFile> files)
    : m_prefix(std::move(path_prefix)), m_files(std::move(files)), m_forgotten(m_files.size()) {}

MemorySource::MemorySource(const MigrationSource& source)
    : MemorySource(source.path_prefix(), source.list_sql_files()) {}

std::vector<SourceEntry> MemorySource::list() const {
    std::vector<SourceEntry> entries;
    entries.reserve(m_files.size());
    for (std::size_t i = 0; i < m_files.size(); ++i)
        if (!m_forgotten.contains(i))
            entries.push_back(SourceEntry{m_files[i].name, i});
    return entries;
}

std::string_view MemorySource::read(const SourceEntry& file, std::string& /*buffer*/) const {
    m_forgotten.check_readable(*this, file);
    return m_files[file.key].content;
}

void MemorySource::remove(const std::string& path) const {
    for (std::size_t i = 0; i < m_files.size(); ++i)
        if (path == m_prefix + m_files[i].name)
            m_forgotten.forget(i);
}

EmbeddedSource::EmbeddedSource(std::string app_name, std::span<const EmbeddedMigration> migrations)
    : m_app_name(std::move(app_name)), m_migrations(migrations.begin(), migrations.end()) {}

std::vector<SourceEntry> EmbeddedSource::list() const {
    // The names and paths follow a folder's, so a message about an embedded migration reads like
    // one about a file and the loader's name rules apply unchanged. The key is the migration's
    // index, doubled, plus one for its down file.
    std::vector<SourceEntry> files;
    files.reserve(m_migrations.size() * 2);
    for (std::size_t i = 0; i < m_migrations.size(); ++i) {
        const std::string stem(m_migrations[i].name);
        files.push_back(SourceEntry{stem + ".up.sql", 2 * i});
        files.push_back(SourceEntry{stem + ".down.sql", 2 * i + 1});
    }
    return files;
}

std::string EmbeddedSource::path_prefix() const {
    return "embedded:" + m_app_name + "/";
}

std::string_view EmbeddedSource::read(const SourceEntry& file, std::string& /*buffer*/) const {
    const EmbeddedMigration& migration = m_migrations.at(file.key / 2);
    return file.key % 2 == 0 ? migration.up_sql : migration.down_sql;
}

void EmbeddedSource::remove(const std::string& path) const {
    throw Error(ErrorKind::Usage, "cannot delete a migration compiled into the program",
                SourceLocation{path});
}

} // namespace strata
