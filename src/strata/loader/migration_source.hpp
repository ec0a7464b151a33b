// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

// A file with its raw bytes: its name inside the app's folder and its content (what a
// MemorySource holds, and what list_sql_files returns).
struct SourceFile {
    std::string name;    // e.g. "0001_create_users.up.sql"
    std::string content; // raw bytes, not yet decoded or checked
};

// A file a source offers, not yet read: its name, and what the source needs to find it again
// (its meaning is the source's own). Messages name it MigrationSource::path_of.
struct SourceEntry {
    std::string name;
    std::size_t key = 0;
};

// Whether a listed file is meant as a migration. Dotfiles (editor leftovers, macOS "._" files)
// never are. ".SQL" counts as ".sql", so a mis-cased migration is reported by the loader's name
// check rather than silently skipped; anything else (README.md, notes.txt) is ignored.
bool is_migration_candidate(std::string_view name);

// Where an app's migration files come from. A folder is one kind; an application that
// compiles its migrations in, or ships them as one bundle, supplies another. Listing reads no
// file, so a loader can read only the files a command needs.
class MigrationSource {
  public:
    virtual ~MigrationSource() = default;
    // Every candidate file (only names ending in ".sql"), in any order, without reading them.
    // Throws Error(MigrationFiles) when the source cannot be listed.
    virtual std::vector<SourceEntry> list() const = 0;
    // The raw bytes of a listed file: a view of the source's own storage, or of `buffer` after
    // the file is read into it. Throws Error(MigrationFiles) when it cannot be read.
    virtual std::string_view read(const SourceEntry& file, std::string& buffer) const = 0;
    // How messages name the source's files: this, then a file's name ("migrations/core/",
    // "embedded:core/"). One prefix for all of a source's files, so that the migrations of a
    // long folder share it rather than each holding its own paths.
    virtual std::string path_prefix() const = 0;
    // Removes a migration's file, named by its path_of (for --clean). Throws Error(Database)
    // on failure.
    virtual void remove(const std::string& path) const = 0;
    // Called by the loader with the checksum it computed for a listed up file. A source that
    // recorded checksums when it was made (a bundle) throws when they differ; the default
    // records none and accepts every one.
    virtual void confirm_checksum(const SourceEntry& up, std::string_view checksum) const;
    // Whether read() and confirm_checksum() may run on several threads at once. An
    // application's own source need not be: it is then read on one thread at a time. A class
    // that derives from a source of strata's and overrides read() says so again.
    virtual bool reads_concurrently() const { return false; }

    // Every candidate file with its raw bytes (lists, then reads each). Throws as list and read.
    std::vector<SourceFile> list_sql_files() const;
    // The path messages show for a listed file: path_prefix() and its name.
    std::string path_of(const SourceEntry& file) const { return path_prefix() + file.name; }
};

// Migration files in a folder of the file system: one listing of the folder, and each file
// opened only when it is read. The folder is opened once, when the source is made (if it
// exists then), and its files are listed and opened through that handle.
class FolderSource : public MigrationSource {
  public:
    explicit FolderSource(std::filesystem::path folder);
    std::vector<SourceEntry> list() const override;
    std::string_view read(const SourceEntry& file, std::string& buffer) const override;
    // The folder's path and a '/' ("" for the current folder).
    std::string path_prefix() const override { return m_prefix; }
    void remove(const std::string& path) const override;
    bool reads_concurrently() const override { return true; }

  private:
    struct OpenFolder;
    std::filesystem::path m_folder;
    std::string m_prefix;
    std::shared_ptr<const OpenFolder> m_open; // null when the folder could not be opened
};

// Migration files held in memory (tests, fuzzing, bundles). Reading gives a view of the held
// text, without a copy.
// The files of a source held in memory that remove() has forgotten, by key (0 to count - 1): a
// forgotten file is listed and read no more, while the others keep their keys (a migration
// loaded earlier may still read its down file).
class ForgottenFiles {
  public:
    explicit ForgottenFiles(std::size_t count) : m_forgotten(count, false) {}
    // Whether the file of `key` was forgotten (or never was one of the files).
    bool contains(std::size_t key) const { return key >= m_forgotten.size() || m_forgotten[key]; }
    void forget(std::size_t key) { m_forgotten.at(key) = true; }
    // Throws Error(MigrationFiles), "migration file no longer exists" at the file's path in
    // `source`, when the file was forgotten.
    void check_readable(const MigrationSource& source, const SourceEntry& file) const;

  private:
    std::vector<bool> m_forgotten;
};

class MemorySource : public MigrationSource {
  public:
    // `files`, named in messages as `path_prefix` followed by their names.
    MemorySource(std::string path_prefix, std::vector<SourceFile> files);
    // Every file of `source`, read now (list_sql_files), and named as `source` names them.
    // Throws as list_sql_files.
    explicit MemorySource(const MigrationSource& source);
    std::vector<SourceEntry> list() const override;
    std::string_view read(const SourceEntry& file, std::string& buffer) const override;
    std::string path_prefix() const override { return m_prefix; }
    // Forgets the file with that path; the others keep their entries (a migration loaded
    // earlier may still read its down file).
    void remove(const std::string& path) const override;
    bool reads_concurrently() const override { return true; } // while nothing is removed

  private:
    std::string m_prefix;
    std::vector<SourceFile> m_files;
    mutable ForgottenFiles m_forgotten; // remove() edits it; removal is not a logical change
};

// One migration compiled into a program (what `strata embed` generates): the file stem and the
// raw bytes of its two files, exactly as they are on disk.
struct EmbeddedMigration {
    std::string_view name; // "<id>_<slug>", e.g. "0001_create_users"
    std::string_view up_sql;
    std::string_view down_sql;
};

// Migrations compiled into the program. Offers each as the files "<name>.up.sql" and
// "<name>.down.sql" (shown as "embedded:<app>/<name>.up.sql"), so the loader applies the same
// rules and computes the same checksums as for a folder. Reads no file. The migrations' text
// must outlive the source (string literals do).
class EmbeddedSource : public MigrationSource {
  public:
    EmbeddedSource(std::string app_name, std::span<const EmbeddedMigration> migrations);
    std::vector<SourceEntry> list() const override;
    // A view of the compiled-in text: no copy.
    std::string_view read(const SourceEntry& file, std::string& buffer) const override;
    // "embedded:<app>/".
    std::string path_prefix() const override;
    // Always throws Error(Usage): compiled-in migrations cannot be deleted.
    void remove(const std::string& path) const override;
    bool reads_concurrently() const override { return true; }

  private:
    std::string m_app_name;
    std::vector<EmbeddedMigration> m_migrations;
};

} // namespace strata
