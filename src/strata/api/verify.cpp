// SPDX-License-Identifier: MIT
#include "strata/api/verify.hpp"

#include "strata/api/run_support.hpp"
#include "strata/error.hpp"
#include "strata/executor/database.hpp"
#include "strata/executor/executor.hpp"
#include "strata/executor/snapshot.hpp"
#include "strata/executor/sqlite_error.hpp"
#include "strata/executor/stand_in_functions.hpp"

#include <algorithm>
#include <set>

namespace strata {

using namespace detail;

bool VerifyReport::ok() const {
    return mismatch() == nullptr;
}

const VerifiedMigration* VerifyReport::mismatch() const {
    auto found = std::find_if(migrations.begin(), migrations.end(),
                              [](const VerifiedMigration& m) { return !m.verified(); });
    return found == migrations.end() ? nullptr : &*found;
}

namespace {

// The steps run on the copy are verify's business, not progress to show: three per migration
// would bury the one line per migration the caller reports.
class QuietObserver : public RunObserver {};

// The database in memory and how steps run on it: with the project's policy (the executor and
// its SQL runner), so a migration verify passes is one forwards can run.
class Scratch {
  public:
    Scratch(const Context& context, Connection connection)
        : m_context(context), m_connection(std::move(connection)) {}

    void run(Plan plan) {
        if (plan.empty())
            return;
        const Settings& settings = m_context.project.settings;
        ExecutorOptions options;
        options.foreign_keys = settings.foreign_keys;
        options.transaction = TransactionScope::Each;
        options.cancel = m_context.cancel;
        options.state_table = settings.state_table;
        Executor(m_connection.db(), m_observer, options).run(plan);
    }

    void run_step(const Step& step) {
        Plan plan;
        plan.steps.push_back(step);
        run(std::move(plan));
    }

    AppliedByApp applied() const { return read_applied(&m_connection, m_context.project); }

    DatabaseSnapshot snapshot() const {
        try {
            return take_snapshot(m_connection.db(), m_context.project.settings.state_table);
        } catch (...) {
            rethrow_as_error(m_connection.path(), "reading the schema and rows to compare");
        }
    }

  private:
    const Context& m_context;
    Connection m_connection;
    QuietObserver m_observer;
};

} // namespace

VerifyMigrationManager::VerifyMigrationManager(Context context, VerifyOptions options)
    : m_context(context), m_options(std::move(options)) {}

VerifyReport VerifyMigrationManager::run() {
    const Project& project = m_context.project;
    // One app is verified on top of what it depends on, which is applied but not verified.
    auto apps = m_options.app
                    ? with_dependencies(project, *selected_apps(m_context, m_options.app).front())
                    : selected_apps(m_context, m_options.app);
    const std::vector<MigrationSet> sets = load_sets(m_context, apps);

    VerifyReport report;
    Connection memory = Connection::in_memory(database_options(m_context));
    // Functions the application registers in code (Settings::functions) get stand-ins, as lint
    // gives them: the migrations that call them can be applied and reversed here.
    register_stand_in_functions(memory.db().handle(), project.settings.functions);
    AppliedByApp applied_in_real;
    if (!m_options.all) {
        // Read only, and only for the length of the copy (or of reading the state table).
        auto real = open_existing(m_context, OpenMode::ReadOnly);
        if (real != nullptr && !m_options.fresh)
            copy_database(*real, memory);
        else if (real != nullptr)
            applied_in_real = read_applied(real.get(), project);
        report.start = real != nullptr && !m_options.fresh ? VerifyStart::Copy : VerifyStart::Empty;
    } else {
        report.start = VerifyStart::Empty;
    }
    Scratch scratch(m_context, std::move(memory));

    // --fresh: the empty database first gets what the real one has applied (of what the files
    // still hold), so the pending migrations are checked where they would run.
    for (const MigrationSet& set : sets) {
        std::set<MigrationId> done;
        for (const AppliedMigration& row : applied_of(applied_in_real, set.app_name))
            done.insert(row.migration_id);
        if (done.empty())
            continue;
        Plan plan = plan_forwards(set, {}, Latest{});
        std::erase_if(plan.steps,
                      [&](const Step& step) { return !done.contains(step.migration_id); });
        scratch.run(std::move(plan));
    }

    for (const MigrationSet& set : sets) {
        Plan pending = plan_forwards(set, applied_of(scratch.applied(), set.app_name), Latest{});
        if (m_options.app && set.app_name != *m_options.app) {
            scratch.run(std::move(pending));
            continue;
        }
        for (const Step& up : pending.steps) {
            const DatabaseSnapshot before = scratch.snapshot();
            scratch.run_step(up);
            scratch.run(plan_backwards(set, applied_of(scratch.applied(), set.app_name), Count{1}));
            VerifiedMigration result{set.app_name, up.migration_id, up.description,
                                     diff_snapshots(before, scratch.snapshot())};
            const bool verified = result.verified();
            report.migrations.push_back(std::move(result));
            if (!verified)
                return report;
            scratch.run_step(up);
        }
    }
    return report;
}

} // namespace strata
