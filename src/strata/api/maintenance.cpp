// SPDX-License-Identifier: MIT
// repair and clean: edits of the state table alone, for drift that is intended. Neither runs
// any migration SQL; each writes all its rows in one transaction.
#include "strata/api/managers.hpp"
#include "strata/api/run_support.hpp"
#include "strata/error.hpp"
#include "strata/plan/drift.hpp"
#include "strata/state/state_store.hpp"
#include "strata/terms.hpp"

#include <optional>

namespace strata {

using namespace detail;

namespace {

std::string label_of(const AppliedMigration& row) {
    return row.app_name + " " + row.migration_id.text() + " (" + row.description + ")";
}

const AppliedMigration* find_row(const std::vector<AppliedMigration>& rows, const MigrationId& id) {
    for (const AppliedMigration& row : rows)
        if (row.migration_id == id)
            return &row;
    return nullptr;
}

// The modified migration `target` (an id or full name) of one app, or nullopt when it matches
// its recorded checksum. Throws when it is not an applied migration with files.
std::optional<ModifiedMigration> modified_one(const MigrationSet& set,
                                              const std::vector<AppliedMigration>& rows,
                                              const MigrationRef& target) {
    const Migration* migration = target.name ? set.find(*target.name) : set.find(target.id);
    // The row is found by the id alone, so a migration whose files are gone is found too.
    const AppliedMigration* row = find_row(rows, target.id);
    if (migration == nullptr && row != nullptr)
        throw Error(ErrorKind::Drift,
                    "cannot repair " + label_of(*row) +
                        ": its files are gone, so there is no checksum to record",
                    {},
                    terms::command(terms::Command::Sync, set.app_name) + " reverses it; " +
                        terms::command(terms::Command::Clean, set.app_name) + " forgets it");
    if (migration == nullptr) {
        std::string ids;
        for (const Migration& m : set.migrations)
            ids += (ids.empty() ? "" : ", ") + m.name;
        throw Error(ErrorKind::UnknownMigration,
                    "app \"" + set.app_name + "\" has no migration \"" + target.text() + "\"", {},
                    "valid ids: " + (ids.empty() ? std::string("(none)") : ids));
    }
    if (row == nullptr)
        throw Error(ErrorKind::UnknownMigration,
                    "cannot repair " + set.app_name + " " + migration->id.text() + " (" +
                        migration->description + "): it has not been applied",
                    {}, "repair records a new checksum for an applied migration");
    if (row->checksum == migration->checksum)
        return std::nullopt;
    return ModifiedMigration{migration, row};
}

} // namespace

RepairMigrationManager::RepairMigrationManager(Context context, RepairOptions options)
    : m_context(context), m_options(std::move(options)) {}

MigrationResult RepairMigrationManager::run() {
    if (!m_options.app && m_options.migration)
        throw Error(ErrorKind::Usage, "a migration id needs an app: " + m_options.migration->text(),
                    {},
                    "name the app: " + terms::command(terms::Command::Repair,
                                                      "APP " + m_options.migration->text()));
    auto apps = selected_apps(m_context, m_options.app);
    RunStart start = start_run(m_context, apps, OpenMode::ReadWrite);
    auto& sets = start.sets;
    auto& connection = start.connection;
    const AppliedByApp& applied = start.applied;

    std::vector<ChecksumUpdate> updates;
    std::string message;
    for (const MigrationSet& set : sets) {
        const auto& rows = applied_of(applied, set.app_name);
        std::vector<ModifiedMigration> modified;
        if (!m_options.migration)
            modified = find_drift(set, rows).modified;
        else if (auto one = modified_one(set, rows, *m_options.migration))
            modified.push_back(*one);
        for (const ModifiedMigration& m : modified) {
            // The down SQL is refreshed too: the row then describes the files as they are now,
            // which is what sync will reverse with if the files disappear later.
            updates.push_back({set.app_name, m.applied->migration_id, m.applied->checksum,
                               m.migration->checksum, m.migration->down_sql.text()});
            message += (message.empty() ? "" : "\n") + std::string("Repaired ") +
                       label_of(*m.applied) + ": checksum " + short_checksum(m.applied->checksum) +
                       " -> " + short_checksum(m.migration->checksum);
        }
    }
    if (updates.empty()) {
        if (m_options.migration)
            return {true, "Nothing to repair: " + selection_name(m_options.app) + " " +
                              m_options.migration->text() + " matches its recorded checksum."};
        return {true, "Nothing to repair: no applied migration of " +
                          m_options.app.value_or("any app") + " was modified."};
    }
    try {
        StateStore(connection->db(), m_context.project.settings.state_table)
            .update_checksums(updates);
    } catch (...) {
        rethrow_as_error(connection->path(), "recording the new checksums");
    }
    return {true, message};
}

CleanMigrationManager::CleanMigrationManager(Context context, CleanOptions options)
    : m_context(context), m_options(std::move(options)) {}

MigrationResult CleanMigrationManager::run() {
    auto apps = selected_apps(m_context, m_options.app);
    RunStart start = start_run(m_context, apps, OpenMode::ReadWrite);
    auto& sets = start.sets;
    auto& connection = start.connection;
    const AppliedByApp& applied = start.applied;

    std::vector<Drift> drifts;
    std::size_t count = 0;
    std::string listing;
    for (const MigrationSet& set : sets) {
        drifts.push_back(find_drift(set, applied_of(applied, set.app_name)));
        for (const AppliedMigration* row : drifts.back().missing) {
            listing += "  " + label_of(*row) + ", applied " + row->ran_on + "\n";
            ++count;
        }
    }
    if (count == 0)
        return {true, "Nothing to clean."};

    // The list goes into the question: it is what the user agrees to forget.
    if (!confirmed(m_context, m_options.auto_agree,
                   "These applied migrations have no files; strata will forget them and keep "
                   "their changes in the database:\n" +
                       listing + "Forget " + count_of(count) + "?"))
        return declined();

    std::vector<MigrationKey> keys;
    std::string message;
    for (const Drift& drift : drifts)
        for (const AppliedMigration* row : drift.missing) {
            keys.push_back({row->app_name, row->migration_id});
            message += "Forgot " + label_of(*row) + "\n";
        }
    try {
        StateStore(connection->db(), m_context.project.settings.state_table).forget(keys);
    } catch (...) {
        rethrow_as_error(connection->path(), "removing state rows");
    }
    return {true, message + "Cleaned " + count_of(count) + "."};
}

} // namespace strata
