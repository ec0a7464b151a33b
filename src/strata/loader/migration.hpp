// SPDX-License-Identifier: MIT
#pragma once

#include "strata/loader/code_migration.hpp"
#include "strata/loader/migration_source.hpp"
#include "strata/migration_id.hpp"

#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

// How a migration's two files are named: "<id>_<slug>" and one of these.
inline constexpr std::string_view k_up_suffix = ".up.sql";
inline constexpr std::string_view k_down_suffix = ".down.sql";

// A migration's down SQL, either known or read the first time it is needed: forwards stores it
// for the migrations it applies and reversing runs it, so a run with nothing to do reads no down
// file. Copies share the text, which is read at most once (safe from several threads).
class DownSql {
  public:
    DownSql() = default;
    // Text already known (normalised, checked). Implicit, so a test can assign a string.
    DownSql(std::string text); // NOLINT(google-explicit-constructor)
    // How the text of a listed file is read: throws Error(MigrationFiles) for a file that
    // cannot be read or is not valid migration text.
    using ReadFile = std::string (*)(const MigrationSource&, const SourceEntry&);
    // Text that `read(*source, file)` produces on first use; a read that throws is tried again
    // on the next use. One allocation, however many migrations a load holds.
    DownSql(std::shared_ptr<const MigrationSource> source, SourceEntry file, ReadFile read);

    // The normalised text. Throws what the read throws.
    const std::string& text() const;
    // Whether the text is in memory (known, or already read).
    bool loaded() const;
    // The text, for a holder that is done with it: read if need be (throwing as text() does),
    // moved out when no copy shares it, copied when one does. Leaves this DownSql empty.
    std::string take();

  private:
    struct State;
    std::shared_ptr<State> m_state;
};

// One migration as found in the project's files, already read, checked and hashed:
// the SQL held here is exactly the text the checksum covers and the text that runs. A migration
// written in C++ has `code` set, no SQL, and code_checksum(version) as its checksum.
struct Migration {
    std::string app_name;
    MigrationId id;          // the digits of the file name ("0001", "20261121093000")
    std::string name;        // "<id>_<slug>", the file name without .up.sql / .down.sql
    std::string description; // the slug with '_' turned into spaces
    std::string up_sql;      // BOM removed, CRLF turned into LF
    DownSql down_sql;        // the same, read when first needed
    std::string checksum;    // lower-case hex SHA-256 of up_sql
    // How messages name its files without their names (MigrationSource::path_prefix), shared
    // by the migrations of one source; null for a migration written in C++.
    std::shared_ptr<const std::string> path_prefix;
    std::shared_ptr<const CodeMigration> code; // set for a migration written in C++

    // Its files' paths, for messages and --clean: the prefix, the name and ".up.sql" or
    // ".down.sql". Empty for a migration written in C++.
    std::string up_path() const;
    std::string down_path() const;
};

// An app's migrations, ordered by the numeric value of their ids.
struct MigrationSet {
    std::string app_name;
    // A deque, not a vector: planning a set it is given (plan_forwards(MigrationSet&&)) frees
    // each migration it has planned from the front, and its room then holds the steps.
    std::deque<Migration> migrations;

    // The migration whose id or full name is `id_or_name` (ids compare numerically), or nullptr.
    const Migration* find(std::string_view id_or_name) const;
    // The migration with the id `id` (numerically equal), or nullptr.
    const Migration* find(const MigrationId& id) const;
};

} // namespace strata
