// SPDX-License-Identifier: MIT
#pragma once

#include "strata/api/managers.hpp"
#include "strata/error.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

// What `strata lint` checks (docs/lint.md), each with the id a finding carries.
enum class LintCheck {
    NewerSqlite,      // "newer-sqlite": SQL that needs a newer SQLite than minimum_sqlite
    Destructive,      // "destructive": DROP TABLE, DROP COLUMN, DELETE without WHERE in an up file
    DownLeaves,       // "down-leaves": the down file leaves objects its up file created
    DownDropsForeign, // "down-drops-foreign": the down file drops objects its up did not create
    UnknownFunction,  // "unknown-function": a function SQLite does not have
};

// The id of a check as findings, `-- strata:nolint` comments and --json name it.
std::string_view lint_check_id(LintCheck check);

// One thing lint found, where it is and whether a comment silenced it.
struct LintFinding {
    LintCheck check = LintCheck::NewerSqlite;
    std::string app_name;
    std::string migration; // the migration's full name ("0002_add_tags")
    SourceLocation where;  // the file, and the line and column of the token (1:1 for a file)
    std::string message;
    bool silenced = false; // a `-- strata:nolint ID` comment covers it
};

struct LintOptions {
    AppSelection app{}; // nullopt: every app, in dependency order
};

// What a lint run gives back.
struct LintReport {
    std::vector<LintFinding> findings; // in the order the migrations run, then text order
    std::size_t migrations_checked = 0;
    int minimum_sqlite = 0; // the project's setting (0: the newer-sqlite check was skipped)
    // The findings no comment silenced: what makes `strata lint` exit 1.
    std::size_t unsilenced() const;
};

// Checks the selected apps' migration files without touching the project's database: each
// migration's statements are prepared and run on an in-memory database migrated to the
// migration before (the apps an app depends on first), its down file is run and undone there,
// and each finding is matched against the file's `-- strata:nolint` comments. Throws Error
// for files that cannot be loaded (MigrationFiles) and SQL that does not run (MigrationFailed).
class LintMigrationManager {
  public:
    explicit LintMigrationManager(Context context, LintOptions options = {});
    LintReport run();

  private:
    Context m_context;
    LintOptions m_options;
};

} // namespace strata
