// SPDX-License-Identifier: MIT
#pragma once

#include "strata/api/managers.hpp"
#include "strata/error.hpp"

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

// The commands that can run over many databases.
enum class ManyCommand { Forwards, Check, Sync };

// What run_for_databases does to each database. auto_agree lets sync reverse without asking;
// nothing is ever asked, so without it a sync that would reverse fails for that database.
struct ManyDatabasesOptions {
    ManyCommand command = ManyCommand::Forwards;
    AppSelection app{};
    ForwardsTarget target = Latest{}; // forwards only
    bool auto_agree = false;          // sync: reverse without asking
    std::size_t jobs = 1;             // databases worked on at once (threads); 0 counts as 1
};

// How one database came out.
enum class DatabaseOutcome {
    Migrated, // forwards or sync changed it
    UpToDate, // nothing to do (check: every migration applied)
    Pending,  // check only: migrations to apply, edited or unknown (DatabaseStatus::state)
    Failed,   // an error; the database was left as its own transaction left it
};

// "migrated", "up to date", "pending", "failed".
std::string_view database_outcome_name(DatabaseOutcome outcome);

// The result for one database, handed to run_for_databases' callback.
struct DatabaseResult {
    std::size_t index = 0; // its position in the list of paths
    std::filesystem::path database;
    DatabaseOutcome outcome = DatabaseOutcome::UpToDate;
    std::size_t applied = 0;              // migrations applied (forwards, sync)
    std::size_t reversed = 0;             // migrations reversed (sync)
    std::optional<DatabaseStatus> status; // check: where it stands
    std::string message;                  // the manager's message
    std::optional<Error> error;           // Failed: why
};

// The counts of a run_for_databases call.
struct ManyDatabasesSummary {
    std::size_t databases = 0;
    std::size_t migrated = 0;
    std::size_t up_to_date = 0;
    std::size_t pending = 0;
    std::size_t failed = 0;
};

// Runs the same project on each database of `paths` (the project's own database is ignored),
// `options.jobs` at a time, each with its own connection and transactions: a failure in one
// is reported and the others go on. `on_result` is called once per database in the order of
// `paths`, never two at once, from the calling thread. context.observer and context.prompter
// are not used (nothing asks); context.connection must be null. Throws Error(Usage) for that
// or an empty list, Error(MigrationFiles) when the migrations cannot be read, and
// Error(Interrupted) when context.cancel stops the run (databases not reached are not reported).
ManyDatabasesSummary run_for_databases(const Context& context,
                                       const std::vector<std::filesystem::path>& paths,
                                       const ManyDatabasesOptions& options,
                                       const std::function<void(const DatabaseResult&)>& on_result);

// The files a glob names, sorted by path: `*`, `?` and `[...]` in any component (`**` is an
// ordinary `*`); a relative pattern is relative to `base`. Only regular files match the last
// component. Throws Error(Usage) when nothing matches.
std::vector<std::filesystem::path> expand_database_glob(std::string_view pattern,
                                                        const std::filesystem::path& base);

// The databases a list file names: one path per line; blank lines and lines starting with `#`
// are skipped, a relative path is relative to the list file's folder. Throws Error(Usage) when
// the file cannot be read or names no database.
std::vector<std::filesystem::path> read_database_list(const std::filesystem::path& file);

} // namespace strata
