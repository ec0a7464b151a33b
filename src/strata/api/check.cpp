// SPDX-License-Identifier: MIT
#include "strata/api/managers.hpp"
#include "strata/api/run_support.hpp"
#include "strata/error.hpp"
#include "strata/plan/drift.hpp"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string_view>
#include <unordered_map>

namespace strata {

using namespace detail;

std::string_view state_name(MigrationState state) {
    switch (state) {
    case MigrationState::Pending:
        return "pending";
    case MigrationState::Applied:
        return "applied";
    case MigrationState::Modified:
        return "modified";
    case MigrationState::Missing:
        return "missing";
    case MigrationState::NotRunnable:
        return "not runnable";
    case MigrationState::Unpaired:
        return "unpaired";
    }
    return "pending";
}

std::string_view database_state_name(DatabaseState state) {
    switch (state) {
    case DatabaseState::UpToDate:
        return "up to date";
    case DatabaseState::Pending:
        return "pending";
    case DatabaseState::Modified:
        return "modified";
    case DatabaseState::NewerThanApp:
        return "newer than this application";
    }
    return "up to date";
}

CheckMigrationManager::CheckMigrationManager(Context context, CheckOptions options)
    : m_context(context), m_options(std::move(options)) {}

DatabaseStatus CheckMigrationManager::status() {
    DatabaseStatus status;
    status.all = get_migration_statuses();
    std::error_code ignored;
    status.database_exists = m_context.connection != nullptr ||
                             std::filesystem::exists(m_context.project.database, ignored);
    for (const MigrationStatus& row : status.all) {
        switch (row.state) {
        case MigrationState::Pending:
            status.pending.push_back(row);
            break;
        case MigrationState::Modified:
            status.modified.push_back(row);
            break;
        case MigrationState::Missing:
        case MigrationState::NotRunnable:
            status.unknown.push_back(row);
            break;
        case MigrationState::Unpaired:
            status.unpaired.push_back(row);
            break;
        case MigrationState::Applied:
            break;
        }
    }
    status.state = !status.unknown.empty()    ? DatabaseState::NewerThanApp
                   : !status.modified.empty() ? DatabaseState::Modified
                   : !status.pending.empty()  ? DatabaseState::Pending
                                              : DatabaseState::UpToDate;
    return status;
}

namespace {

// A file whose partner (the up file of a down file, or the down file of an up file) is not in
// the listing.
struct UnpairedFile {
    std::string app_name;
    MigrationId id;
    std::string description; // what `check` shows: the slug and which file is missing
    std::string path;        // the file that is there, as the source names it
};

// Hides the files without a partner from the loader, so the rest of the app can be shown, and
// keeps them to be shown as rows of their own. Anything else odd about a name stays for the
// loader to refuse.
class PairedOnly : public MigrationSource {
  public:
    PairedOnly(std::string app_name, std::shared_ptr<const MigrationSource> inner,
               std::vector<UnpairedFile>& unpaired)
        : m_app(std::move(app_name)), m_inner(std::move(inner)), m_unpaired(unpaired) {}

    std::vector<SourceEntry> list() const override {
        std::vector<SourceEntry> entries = m_inner->list();
        // Which files each stem has (k_has_up, k_has_down), by views of the names, which stay
        // in place until every entry is judged: one pass, no sorting of the names.
        constexpr unsigned k_has_up = 1;
        constexpr unsigned k_has_down = 2;
        std::unordered_map<std::string_view, unsigned> files_of;
        files_of.reserve(entries.size());
        for (const SourceEntry& entry : entries) {
            if (std::string_view name = entry.name; name.ends_with(k_up_suffix))
                files_of[name.substr(0, name.size() - k_up_suffix.size())] |= k_has_up;
            else if (name.ends_with(k_down_suffix))
                files_of[name.substr(0, name.size() - k_down_suffix.size())] |= k_has_down;
        }
        std::vector<bool> alone_flags;
        alone_flags.reserve(entries.size());
        for (const SourceEntry& entry : entries) {
            const std::string_view name = entry.name;
            alone_flags.push_back(
                (name.ends_with(k_up_suffix) &&
                 (files_of[name.substr(0, name.size() - k_up_suffix.size())] & k_has_down) == 0) ||
                (name.ends_with(k_down_suffix) &&
                 (files_of[name.substr(0, name.size() - k_down_suffix.size())] & k_has_up) == 0));
        }
        std::vector<SourceEntry> kept;
        kept.reserve(entries.size());
        for (std::size_t i = 0; i < entries.size(); ++i) {
            SourceEntry& entry = entries[i];
            const std::string_view name = entry.name;
            const bool up = name.ends_with(k_up_suffix);
            const bool down = !up && name.ends_with(k_down_suffix);
            std::string_view stem = name.substr(0, name.size() - (up     ? k_up_suffix.size()
                                                                  : down ? k_down_suffix.size()
                                                                         : 0));
            const bool alone = alone_flags[i];
            const auto underscore = stem.find('_');
            std::optional<MigrationId> id = underscore == std::string_view::npos
                                                ? std::nullopt
                                                : MigrationId::parse(stem.substr(0, underscore));
            if (!alone || !id) {
                kept.push_back(std::move(entry));
                continue;
            }
            std::string slug(stem.substr(underscore + 1));
            std::replace(slug.begin(), slug.end(), '_', ' ');
            m_unpaired.push_back({m_app, std::move(*id),
                                  slug + (up ? " (no down file)" : " (no up file)"),
                                  m_inner->path_of(entry)});
        }
        return kept;
    }
    std::string_view read(const SourceEntry& file, std::string& buffer) const override {
        return m_inner->read(file, buffer);
    }
    void remove(const std::string& path) const override { m_inner->remove(path); }
    std::string path_prefix() const override { return m_inner->path_prefix(); }
    void confirm_checksum(const SourceEntry& up, std::string_view checksum) const override {
        m_inner->confirm_checksum(up, checksum);
    }
    bool reads_concurrently() const override { return m_inner->reads_concurrently(); }

  private:
    std::string m_app;
    std::shared_ptr<const MigrationSource> m_inner;
    std::vector<UnpairedFile>& m_unpaired;
};

// Puts each unpaired file among its app's rows by id. An applied migration whose file lost its
// partner is one row, flagged as unpaired rather than missing.
void add_unpaired(std::vector<MigrationStatus>& statuses, std::vector<UnpairedFile> unpaired) {
    for (UnpairedFile& file : unpaired) {
        auto same = std::find_if(statuses.begin(), statuses.end(), [&](const MigrationStatus& row) {
            return row.app_name == file.app_name && row.migration_id == file.id;
        });
        if (same != statuses.end()) {
            same->state = MigrationState::Unpaired;
            same->description = std::move(file.description);
            same->lone_file = std::move(file.path);
            continue;
        }
        MigrationStatus row;
        row.app_name = file.app_name;
        row.migration_id = std::move(file.id);
        row.description = std::move(file.description);
        row.state = MigrationState::Unpaired;
        row.lone_file = std::move(file.path);
        // After the app's last row with a lower id, so the app's rows stay together.
        auto at = statuses.end();
        for (auto it = statuses.begin(); it != statuses.end(); ++it)
            if (it->app_name == row.app_name) {
                if (row.migration_id < it->migration_id) {
                    at = it;
                    break;
                }
                at = it + 1;
            }
        statuses.insert(at, std::move(row));
    }
}

} // namespace

std::vector<MigrationStatus> CheckMigrationManager::get_migration_statuses() {
    auto apps = selected_apps(m_context, m_options.app);
    std::vector<UnpairedFile> unpaired;
    SourceWrapper wrap;
    if (m_options.flag_unpaired)
        wrap = [&unpaired](const AppConfig& app, std::shared_ptr<const MigrationSource> source)
            -> std::shared_ptr<const MigrationSource> {
            return std::make_shared<const PairedOnly>(app.name, std::move(source), unpaired);
        };
    RunStart start = start_run(m_context, apps, OpenMode::ReadOnly, wrap);
    auto& sets = start.sets;
    const AppliedByApp& applied = start.applied;

    std::vector<MigrationStatus> statuses;
    std::size_t rows = unpaired.size();
    for (const MigrationSet& set : sets)
        rows += set.migrations.size() + applied_of(applied, set.app_name).size();
    statuses.reserve(rows); // at most: a migration and its row are one status
    for (const MigrationSet& set : sets) {
        // Missing rows take their place by id among the app's files.
        for (const MigrationPair& pair : pair_migrations(set, applied_of(applied, set.app_name))) {
            MigrationStatus status;
            status.app_name = set.app_name;
            if (pair.migration != nullptr) {
                status.migration_id = pair.migration->id;
                status.description = pair.migration->description;
            } else {
                status.migration_id = pair.applied->migration_id;
                status.description = pair.applied->description;
            }
            if (pair.applied == nullptr && pair.migration != nullptr) {
                // Forwards will store this pending migration's down SQL, so its down file is
                // checked here as forwards would check it; an applied one's is read only when
                // it is reversed.
                (void)pair.migration->down_sql.text();
            }
            if (pair.applied != nullptr) {
                status.has_ran = true;
                status.ran_on = pair.applied->ran_on;
                status.fake = pair.applied->fake;
                status.state =
                    pair.migration != nullptr
                        ? pair.modified() ? MigrationState::Modified : MigrationState::Applied
                    : is_code_checksum(pair.applied->checksum) ? MigrationState::NotRunnable
                                                               : MigrationState::Missing;
            }
            statuses.push_back(std::move(status));
        }
    }
    add_unpaired(statuses, std::move(unpaired));
    return statuses;
}

} // namespace strata
