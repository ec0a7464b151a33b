// SPDX-License-Identifier: MIT
#pragma once

#include "strata/loader/code_migration.hpp"
#include "strata/loader/migration.hpp"
#include "strata/loader/migration_source.hpp"
#include "strata/project/project.hpp"

#include <memory>
#include <span>
#include <string_view>

namespace strata {

// Builds an app's ordered migration set from its files: pairs each up with its down, checks
// names, encoding (UTF-8, no NUL bytes), template markers and duplicate ids, strips a BOM, turns
// CRLF into LF and hashes the up SQL. An up file without statements is a deliberate no-op.
// Reads and checks every file now, the down files too. Throws Error(MigrationFiles) naming the
// offending file.
// `code`: the app's migrations written in C++, placed among the files by id. Throws
// Error(MigrationFiles) when one is malformed (name not "<id>_<slug>", empty version, no `up`)
// or shares its id with a file or another one, naming both.
MigrationSet load_migrations(std::string_view app_name, const MigrationSource& source,
                             std::span<const CodeMigration> code = {});

// The same, except that each down file is read and checked the first time its text is needed
// (Migration::down_sql): a run with nothing to do reads only the up files, whose checksums drift
// detection compares. A missing down file is still an error here (the listing shows it); a down
// file that cannot be read or is not valid text is reported, as Error(MigrationFiles), by the
// command that needs it. The set keeps `source` alive.
MigrationSet load_migrations(std::string_view app_name,
                             std::shared_ptr<const MigrationSource> source,
                             std::span<const CodeMigration> code = {});

// The same for an app of a project, reading its migrations folder (down files when needed).
MigrationSet load_migrations(const AppConfig& app);

// load_migrations in steps, so that several threads can share the reading: the constructor
// lists the source and checks the file names (throwing as load_migrations does), build(i)
// reads, checks and hashes the i-th migration's files, finish() gives the set once every
// migration is built. Different i may be built on different threads at once when
// reads_concurrently(); the errors are load_migrations' own.
class MigrationLoad {
  public:
    // Keeps `source` alive; down files are read when first needed.
    MigrationLoad(std::string_view app_name, std::shared_ptr<const MigrationSource> source,
                  std::span<const CodeMigration> code = {});
    // Reads every down file when its migration is built; `source` must outlive the load.
    MigrationLoad(std::string_view app_name, const MigrationSource& source,
                  std::span<const CodeMigration> code = {});
    MigrationLoad(MigrationLoad&&) noexcept;
    MigrationLoad& operator=(MigrationLoad&&) noexcept;
    ~MigrationLoad();

    std::size_t size() const; // the migrations read from files (C++ ones are added by finish)
    bool reads_concurrently() const;
    void build(std::size_t i, std::string& buffer);
    // Adds the C++ migrations (throwing for a malformed one or a shared id) and gives the set.
    MigrationSet finish();

  private:
    MigrationLoad(std::string_view app_name, const MigrationSource& source,
                  std::shared_ptr<const MigrationSource> keep, std::span<const CodeMigration> code);
    struct State;
    std::unique_ptr<State> m_state;
};

// Normalises file text as the checksum sees it: BOM removed, CRLF turned into LF.
std::string normalise_sql_text(std::string_view raw);

// A migration file's text split at a line `-- strata:after-commit`: the statements that run
// inside the migration's transaction, and those that run after it commits (e.g. VACUUM).
struct SqlSections {
    std::string_view in_transaction;
    std::string_view after_commit; // empty when the file has no such line
    int after_commit_line = 0;     // 1-based line of the first after-commit line; 0 when none
};
inline constexpr std::string_view k_after_commit_marker = "-- strata:after-commit";
SqlSections split_after_commit(std::string_view sql);

// The first line of the files `strata new` writes. A file with a line starting with it is still
// the template: the loader refuses it, so a migration cannot run before it is written.
inline constexpr std::string_view k_template_marker = "-- strata:template";

// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

// The description shown for a slug: '_' turned into spaces.
std::string describe_slug(std::string_view slug);

} // namespace strata
