// SPDX-License-Identifier: MIT
#pragma once

#include "strata/executor/observer.hpp"
#include "strata/loader/code_migration.hpp"
#include "strata/loader/migration_source.hpp"
#include "strata/migration_id.hpp"
#include "strata/project/project.hpp"
#include "strata/targets.hpp"

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace strata {

// The outcome of a command that did not fail: success is false when the user declined.
struct MigrationResult {
    bool success = true;
    std::string message;
};

// Where a migration stands. Modified: applied, but its up file changed since (checksum
// differs; for a migration written in C++, its version). Missing: applied, but its files are
// gone (e.g. a newer release applied it). NotRunnable: applied, written in C++ by a program that
// registered it, and this program has not (the command line never has): it can be neither
// checked nor reversed here.
// Unpaired: an up file without its down file or the other way round (only reported by
// CheckMigrationManager with CheckOptions::flag_unpaired; everywhere else it is an error).
enum class MigrationState { Pending, Applied, Modified, Missing, NotRunnable, Unpaired };

// "pending", "applied", "modified", "missing", "not runnable", "unpaired".
std::string_view state_name(MigrationState state);

// One row of `check`: a migration and whether it has run.
struct MigrationStatus {
    std::string app_name;
    MigrationId migration_id;
    std::string description;
    bool has_ran = false;
    std::string ran_on; // "" when it has not run
    MigrationState state = MigrationState::Pending;
    bool fake = false;       // recorded as applied by --fake, without running its SQL
    std::string lone_file{}; // Unpaired: the path of the one file there is, else ""
};

// Asks the user to confirm a destructive plan. The CLI's asks on the terminal; an application
// supplies its own (or none, in which case anything needing confirmation requires auto_agree).
class Prompter {
  public:
    virtual ~Prompter() = default;
    // Returns true to proceed. May throw Error(Refused) when it cannot ask.
    virtual bool confirm(const std::string& question) = 0;
};

// What every manager needs: the project, where to report progress, how to ask.
struct Context {
    const Project& project;
    RunObserver* observer = nullptr; // may be null
    Prompter* prompter = nullptr;    // may be null: confirmation then needs auto_agree
    // Run even though applied migrations' up files were edited since they ran.
    bool allow_modified = false;
    // When set (a signal handler may set it), the migration in flight is rolled back and the
    // run stops with Error(Interrupted).
    const std::atomic<bool>* cancel = nullptr;
    // App name -> where its migration files come from (e.g. an EmbeddedSource); an app not
    // listed reads its migrations folder. `backwards --clean` is refused for a listed app.
    std::map<std::string, std::shared_ptr<const MigrationSource>, std::less<>> sources{};
    // App name -> the app's migrations written in C++ (docs/library.md, "Migrations written in
    // C++"), placed among its SQL migrations by id. Naming an app the project lacks is
    // Error(Usage); an id also used by a file is Error(MigrationFiles).
    std::map<std::string, std::vector<CodeMigration>, std::less<>> code_migrations{};
    // The application's open connection; when set, every operation runs on it and
    // project.database is neither opened nor created (docs/library.md, "Your own connection").
    sqlite3* connection = nullptr;
};

// Which apps a command covers: nullopt (the default) is every app, in dependency order.
using AppSelection = std::optional<std::string>;

// The commands that default to the project's only app when none is named.
enum class OneAppCommand { Backwards, Redo };

// The app `command` works on when none is named: the project's only app. Throws Error(Usage)
// listing the apps when there are several.
const AppConfig& only_app(const Project& project, OneAppCommand command);

struct ForwardsOptions {
    AppSelection app{};
    ForwardsTarget target = Latest{};
    bool fake = false;       // record the migrations as applied without running their SQL
    bool preview = false;    // report the SQL that would run; change nothing
    bool auto_agree = false; // do not ask before recording several fake migrations
};

// Applies pending migrations. Refuses a database that has applied migrations this program does
// not know (ErrorKind::NewerDatabase): see SyncMigrationManager.
class ForwardsMigrationManager {
  public:
    explicit ForwardsMigrationManager(Context context, ForwardsOptions options = {});
    // Throws Error for bad input, a failed migration or a locked database.
    MigrationResult run();

  private:
    Context m_context;
    ForwardsOptions m_options;
};

struct BackwardsOptions {
    AppSelection app{};
    BackwardsTarget target = Count{1};
    bool auto_agree = false; // do not ask before reversing
    bool clean = false;      // delete the reversed migrations' files afterwards (folders only)
    bool preview = false;
};

// Reverses applied migrations. With every app, a Count goes back over all of them by run order
// (dependents first), and All reverses everything, dependents first.
class BackwardsMigrationManager {
  public:
    BackwardsMigrationManager(Context context, BackwardsOptions options);

    // The whole command: one confirmation for every app the options select.
    MigrationResult run();
    // Only this app's migrations.
    MigrationResult run_migrations_backwards(const AppConfig& app_config);

  private:
    Context m_context;
    BackwardsOptions m_options;
};

struct GotoOptions {
    std::string app{};
    GotoTarget target = Initial{};
    bool auto_agree = false;
    bool preview = false;
};

// Moves one app to exactly a migration (or to before the first), forwards or backwards.
class GotoMigrationManager {
  public:
    GotoMigrationManager(Context context, GotoOptions options);
    MigrationResult run();

  private:
    Context m_context;
    GotoOptions m_options;
};

struct RedoOptions {
    AppSelection app{};      // nullopt: the project's only app (only_app)
    bool auto_agree = false; // do not ask before reversing
    bool preview = false;
};

// Reverses an app's most recently applied migration and applies it again from its files (its
// edited up file included), in one plan: for working on a migration. Refuses (Error(Refused))
// while an app that depends on this one has migrations applied, and throws
// Error(MigrationFiles) when the migration's files are gone.
class RedoMigrationManager {
  public:
    RedoMigrationManager(Context context, RedoOptions options);
    MigrationResult run();

  private:
    Context m_context;
    RedoOptions m_options;
};

struct CheckOptions {
    AppSelection app{};
    // Show a migration with only one of its two files as a row in state Unpaired (its
    // `description` says which file is missing) rather than failing with Error(MigrationFiles).
    bool flag_unpaired = false;
};

// Where a database stands against the program's migrations, most serious first.
enum class DatabaseState {
    UpToDate,     // every migration applied, none edited, none unknown
    Pending,      // migrations to apply (DatabaseStatus::pending)
    Modified,     // applied migrations whose SQL changed since (DatabaseStatus::modified)
    NewerThanApp, // applied migrations this program does not have (DatabaseStatus::unknown): a
                  // newer release migrated it
};

// "up to date", "pending", "modified", "newer than this application".
std::string_view database_state_name(DatabaseState state);

// The answer of CheckMigrationManager::status().
struct DatabaseStatus {
    DatabaseState state = DatabaseState::UpToDate;
    std::vector<MigrationStatus> pending;  // in the order forwards would run them
    std::vector<MigrationStatus> modified; // applied, SQL changed since
    std::vector<MigrationStatus> unknown;  // applied, but not among this program's migrations
                                           // (Missing and NotRunnable)
    std::vector<MigrationStatus> unpaired; // files without their partner (flag_unpaired)
    std::vector<MigrationStatus> all;      // every row of `check`
    bool database_exists = true;           // false: the file is not there yet (forwards creates it)
};

// Reports which migrations have run, ordered as forwards would run them. Never writes to (or
// creates) the database, and works on a database a crash left with a hot journal.
class CheckMigrationManager {
  public:
    explicit CheckMigrationManager(Context context, CheckOptions options = {});
    std::vector<MigrationStatus> get_migration_statuses();
    // The same rows, summed up: state NewerThanApp when any applied migration is unknown, else
    // Modified when any was edited, else Pending when any is pending, else UpToDate.
    DatabaseStatus status();

  private:
    Context m_context;
    CheckOptions m_options;
};

struct SyncOptions {
    AppSelection app{};
    bool auto_agree = false; // do not ask before reversing
    bool preview = false;
};

// Makes the database match the program exactly: reverses applied migrations it does not know
// (newest first, with their stored down SQL), then applies pending ones. For a program rolled
// back to an older release: the one way to migrate a database newer than the program.
class SyncMigrationManager {
  public:
    explicit SyncMigrationManager(Context context, SyncOptions options = {});
    MigrationResult run();

  private:
    Context m_context;
    SyncOptions m_options;
};

struct RepairOptions {
    AppSelection app{};
    std::optional<MigrationRef> migration{}; // nullopt: every modified migration of the app
};

// Records the current checksum of applied migrations whose up file was edited on purpose. The
// message lists the old and new checksums.
class RepairMigrationManager {
  public:
    RepairMigrationManager(Context context, RepairOptions options);
    MigrationResult run();

  private:
    Context m_context;
    RepairOptions m_options;
};

struct CleanOptions {
    AppSelection app{};
    bool auto_agree = false;
};

// Removes the state rows of applied migrations whose files are gone, after confirmation.
class CleanMigrationManager {
  public:
    CleanMigrationManager(Context context, CleanOptions options);
    MigrationResult run();

  private:
    Context m_context;
    CleanOptions m_options;
};

} // namespace strata
