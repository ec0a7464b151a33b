// SPDX-License-Identifier: MIT
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

// A file offered to the loader: its name inside the app's folder and its raw bytes.
struct SourceFile {
    std::string name;    // e.g. "0001_create_users.up.sql"
    std::string path;    // shown in messages (the real path for a folder)
    std::string content; // raw bytes, not yet decoded or checked
};

// Where an app's migration files come from. A folder is one kind; an application that
// compiles its migrations in, or ships them as one bundle, supplies another.
class MigrationSource {
  public:
    virtual ~MigrationSource() = default;
    // Every candidate file (only names ending in ".sql"), in any order.
    // Throws Error(MigrationFiles) when the source cannot be read.
    virtual std::vector<SourceFile> list_sql_files() const = 0;
    // Removes a migration's files (for --clean). Throws Error(Database) on failure.
    virtual void remove(const std::string& path) const = 0;
};

// Migration files in a folder of the file system.
class FolderSource : public MigrationSource {
  public:
    explicit FolderSource(std::filesystem::path folder);
    std::vector<SourceFile> list_sql_files() const override;
    void remove(const std::string& path) const override;

  private:
    std::filesystem::path m_folder;
};

// Migration files held in memory (tests, fuzzing, applications embedding their SQL).
class MemorySource : public MigrationSource {
  public:
    explicit MemorySource(std::vector<SourceFile> files);
    std::vector<SourceFile> list_sql_files() const override { return m_files; }
    void remove(const std::string& path) const override;

  private:
    mutable std::vector<SourceFile> m_files; // remove() edits it; removal is not a logical change
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
    std::vector<SourceFile> list_sql_files() const override;
    // Always throws Error(Usage): compiled-in migrations cannot be deleted.
    void remove(const std::string& path) const override;

  private:
    std::string m_app_name;
    std::vector<EmbeddedMigration> m_migrations;
};

} // namespace strata
