// SPDX-License-Identifier: MIT
// repair and clean: edits of the state table alone, for drift that is intended. Neither runs
// any migration SQL; each writes all its rows in one transaction.
#include "strata/api/managers.hpp"
#include "strata/api/run_support.hpp"
#include "strata/error.hpp"
#include "strata/plan/drift.hpp"
#include "strata/state/state_store.hpp"

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
                                              const std::string& target) {
    const Migration* migration = set.find(target);
    // The row is found by the id alone, so a migration whose files are gone is found too.
    const std::optional<MigrationRef> ref = parse_migration_ref(target);
    const AppliedMigration* row = ref ? find_row(rows, ref->id) : nullptr;
    if (migration == nullptr && row != nullptr)
        throw Error(ErrorKind::Drift,
                    "cannot repair " + label_of(*row) +
                        ": its files are gone, so there is no checksum to record",
                    {},
                    "`strata sync " + set.app_name + "` reverses it; `strata clean " +
                        set.app_name + "` forgets it");
    if (migration == nullptr) {
        std::string ids;
        for (const Migration& m : set.migrations)
            ids += (ids.empty() ? "" : ", ") + m.name;
        throw Error(ErrorKind::UnknownMigration,
                    "app \"" + set.app_name + "\" has no migration \"" + target + "\"", {},
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

RepairMigrationManager::RepairMigrationManager(Context context, std::string app_name,
                                               std::string migration_id)
    : m_context(context), m_app_name(std::move(app_name)), m_migration_id(std::move(migration_id)) {
}

MigrationResult RepairMigrationManager::run() {
    if (m_app_name == "all" && m_migration_id != "all")
        throw Error(ErrorKind::Usage,
                    "a migration id needs an app: strata repair APP " + m_migration_id);
    auto apps = m_context.project.select_apps(m_app_name);
    auto sets = load_sets(m_context, apps);
    auto connection = open_existing(m_context, OpenMode::ReadWrite);
    const AppliedByApp applied = read_applied(connection.get(), m_context.project);

    std::vector<ChecksumUpdate> updates;
    std::string message;
    for (const MigrationSet& set : sets) {
        const auto& rows = applied_of(applied, set.app_name);
        std::vector<ModifiedMigration> modified;
        if (m_migration_id == "all")
            modified = find_drift(set, rows).modified;
        else if (auto one = modified_one(set, rows, m_migration_id))
            modified.push_back(*one);
        for (const ModifiedMigration& m : modified) {
            // The down SQL is refreshed too: the row then describes the files as they are now,
            // which is what sync will reverse with if the files disappear later.
            updates.push_back({set.app_name, m.applied->migration_id, m.applied->checksum,
                               m.migration->checksum, m.migration->down_sql});
            message += (message.empty() ? "" : "\n") + std::string("Repaired ") +
                       label_of(*m.applied) + ": checksum " + short_checksum(m.applied->checksum) +
                       " -> " + short_checksum(m.migration->checksum);
        }
    }
    if (updates.empty()) {
        if (m_migration_id != "all")
            return {true, "Nothing to repair: " + m_app_name + " " + m_migration_id +
                              " matches its recorded checksum."};
        return {true, "Nothing to repair: no applied migration of " +
                          (m_app_name == "all" ? std::string("any app") : m_app_name) +
                          " was modified."};
    }
    try {
        StateStore(connection->db(), m_context.project.settings.state_table)
            .update_checksums(updates);
    } catch (...) {
        rethrow_as_error(connection->path(), "recording the new checksums");
    }
    return {true, message};
}

CleanMigrationManager::CleanMigrationManager(Context context, std::string app_name, bool auto_agree)
    : m_context(context), m_app_name(std::move(app_name)), m_auto_agree(auto_agree) {}

MigrationResult CleanMigrationManager::run() {
    auto apps = m_context.project.select_apps(m_app_name);
    auto sets = load_sets(m_context, apps);
    auto connection = open_existing(m_context, OpenMode::ReadWrite);
    const AppliedByApp applied = read_applied(connection.get(), m_context.project);

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
    if (!confirmed(m_context, m_auto_agree,
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
