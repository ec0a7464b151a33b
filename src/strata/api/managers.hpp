// SPDX-License-Identifier: MIT
#pragma once

#include "strata/executor/observer.hpp"
#include "strata/loader/migration_source.hpp"
#include "strata/migration_id.hpp"
#include "strata/project/project.hpp"

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
// differs). Missing: applied, but its files are gone (e.g. a newer release applied it).
enum class MigrationState { Pending, Applied, Modified, Missing };

// "pending", "applied", "modified", "missing".
std::string_view state_name(MigrationState state);

// One row of `check`: a migration and whether it has run.
struct MigrationStatus {
    std::string app_name;
    MigrationId migration_id;
    std::string description;
    bool has_ran = false;
    std::string ran_on; // "" when it has not run
    MigrationState state = MigrationState::Pending;
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
    // The application's open connection; when set, every operation runs on it and
    // project.database is neither opened nor created (docs/library.md, "Your own connection").
    sqlite3* connection = nullptr;
};

// Applies pending migrations. app_name: an app or "all"; migration_id: "all", "1" or an id.
class ForwardsMigrationManager {
  public:
    ForwardsMigrationManager(Context context, std::string app_name = "all",
                             std::string migration_id = "all", bool fake = false,
                             bool preview = false, bool auto_agree = false);
    // Throws Error for bad input, a failed migration or a locked database.
    MigrationResult run();

  private:
    Context m_context;
    std::string m_app_name;
    std::string m_migration_id;
    bool m_fake;
    bool m_preview;
    bool m_auto_agree;
};

// Reverses applied migrations. migration_id: "1" (most recent), "all", or an id (it and
// everything applied after it).
class BackwardsMigrationManager {
  public:
    BackwardsMigrationManager(Context context, std::string app_name, std::string migration_id = "1",
                              bool auto_agree = false, bool clean = false, bool preview = false);
    // Reverses `steps` most recent migrations instead of using migration_id.
    BackwardsMigrationManager& with_steps(std::size_t steps);

    // The whole command: one confirmation for every app the name selects.
    MigrationResult run();
    // Only this app's migrations.
    MigrationResult run_migrations_backwards(const AppConfig& app_config);

  private:
    Context m_context;
    std::string m_app_name;
    std::string m_migration_id;
    bool m_auto_agree;
    bool m_clean;
    bool m_preview;
    std::optional<std::size_t> m_steps;
};

// Shorthand for BackwardsMigrationManager(...).run().
MigrationResult run_backwards(Context context, const std::string& app_name,
                              const std::string& migration_id = "1", bool auto_agree = false,
                              bool clean = false, bool preview = false);

// Moves one app to exactly a migration ("0" = before the first), forwards or backwards.
class GotoMigrationManager {
  public:
    GotoMigrationManager(Context context, std::string app_name, std::string migration_id,
                         bool auto_agree = false, bool preview = false);
    MigrationResult run();

  private:
    Context m_context;
    std::string m_app_name;
    std::string m_migration_id;
    bool m_auto_agree;
    bool m_preview;
};

// Reports which migrations have run, ordered as forwards would run them.
class CheckMigrationManager {
  public:
    CheckMigrationManager(Context context, std::string app_name = "all");
    // Never writes to (or creates) the database.
    std::vector<MigrationStatus> get_migration_statuses();

  private:
    Context m_context;
    std::string m_app_name;
};

// Makes the database match the project exactly: reverses applied migrations the project does
// not know (newest first, with their stored down SQL), then applies pending ones. For an
// application rolled back to an older release. Asks before reversing, unless auto_agree.
class SyncMigrationManager {
  public:
    SyncMigrationManager(Context context, std::string app_name = "all", bool auto_agree = false,
                         bool preview = false);
    MigrationResult run();

  private:
    Context m_context;
    std::string m_app_name;
    bool m_auto_agree;
    bool m_preview;
};

// Records the current checksum of applied migrations whose up file was edited on purpose.
// migration_id: "all" (every modified migration of the app) or one id. The message lists the
// old and new checksums.
class RepairMigrationManager {
  public:
    RepairMigrationManager(Context context, std::string app_name, std::string migration_id = "all");
    MigrationResult run();

  private:
    Context m_context;
    std::string m_app_name;
    std::string m_migration_id;
};

// Removes the state rows of applied migrations whose files are gone, after confirmation.
class CleanMigrationManager {
  public:
    CleanMigrationManager(Context context, std::string app_name, bool auto_agree = false);
    MigrationResult run();

  private:
    Context m_context;
    std::string m_app_name;
    bool m_auto_agree;
};

} // namespace strata
