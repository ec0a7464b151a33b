// SPDX-License-Identifier: MIT
#include "strata/plan/plan.hpp"

#include "strata/error.hpp"
#include "strata/plan/drift.hpp"

#include <algorithm>
#include <unordered_set>
#include <utility>

namespace strata {

namespace {

// The applied ids as a set; ids hash by numeric value, so "0001" and "1" meet.
std::unordered_set<MigrationId> applied_keys(const std::vector<AppliedMigration>& applied) {
    std::unordered_set<MigrationId> keys;
    keys.reserve(applied.size());
    for (const auto& row : applied)
        keys.insert(row.migration_id);
    return keys;
}

// A forwards step without its up SQL and checksum.
Step forwards_label(const Migration& m) {
    Step step;
    step.direction = Direction::Forwards;
    step.app_name = m.app_name;
    step.migration_id = m.id;
    step.description = m.description;
    step.down_sql = m.down_sql.text();
    step.name = m.name;
    step.path_prefix = m.path_prefix;
    step.code = m.code;
    return step;
}

Step forwards_step(const Migration& m) {
    Step step = forwards_label(m);
    step.sql = m.up_sql;
    step.checksum = m.checksum;
    return step;
}

// The same from a migration the caller gives up: its texts move into the step, and it keeps
// only what finding it by id needs (its id, app and code), so that a long plan is not held
// twice while it is made.
Step forwards_step(Migration&& m) {
    Step step;
    step.direction = Direction::Forwards;
    step.app_name = m.app_name;
    step.migration_id = m.id;
    step.description = std::exchange(m.description, {});
    step.down_sql = m.down_sql.take();
    step.code = m.code;
    step.name = std::exchange(m.name, {});
    step.path_prefix = std::move(m.path_prefix);
    step.sql = std::exchange(m.up_sql, {});
    step.checksum = std::exchange(m.checksum, {});
    return step;
}

// Reversal prefers the down file when the migration still has its files (it may carry a fix
// made since), and falls back to the down SQL stored when the migration ran.
Step backwards_step(const MigrationSet& set, const AppliedMigration& row) {
    Step step;
    step.direction = Direction::Backwards;
    step.app_name = row.app_name;
    step.migration_id = row.migration_id;
    step.description = row.description;
    if (const Migration* m = set.find(row.migration_id)) {
        step.sql = m->down_sql.text();
        step.name = m->name;
        step.path_prefix = m->path_prefix;
        step.code = m->code;
    } else {
        step.sql = row.down_sql;
        // A C++ migration stores no down SQL: the executor refuses to "reverse" it with nothing.
        step.checksum = row.checksum;
    }
    return step;
}

std::string join_ids(const std::vector<std::string>& ids) {
    std::string out;
    for (const auto& id : ids) {
        if (!out.empty())
            out += ", ";
        out += id;
    }
    return out.empty() ? "(none)" : out;
}

std::vector<std::string> file_ids(const MigrationSet& set) {
    std::vector<std::string> ids;
    ids.reserve(set.migrations.size());
    for (const auto& m : set.migrations)
        ids.push_back(m.name);
    return ids;
}

std::vector<std::string> applied_ids(const std::vector<AppliedMigration>& applied) {
    std::vector<std::string> ids;
    ids.reserve(applied.size());
    for (const auto& row : applied)
        ids.push_back(row.migration_id.text());
    return ids;
}

// The app's migration `ref` names (by full name when given, else by id), or nullptr.
const Migration* find_file(const MigrationSet& set, const MigrationRef& ref) {
    return ref.name ? set.find(*ref.name) : set.find(ref.id);
}

// The index in `applied` of the row `ref` names, or npos.
std::size_t find_applied(const MigrationSet& set, const std::vector<AppliedMigration>& applied,
                         const MigrationRef& ref) {
    if (ref.name && find_file(set, ref) == nullptr) {
        // A full name must match the files when they exist; with files gone, the id decides.
        if (set.find(ref.id) != nullptr)
            return std::string::npos;
    }
    for (std::size_t i = 0; i < applied.size(); ++i)
        if (applied[i].migration_id == ref.id)
            return i;
    return std::string::npos;
}

Plan reverse_from(const MigrationSet& set, const std::vector<AppliedMigration>& applied,
                  std::size_t first) {
    Plan plan;
    for (std::size_t i = applied.size(); i > first; --i)
        plan.steps.push_back(backwards_step(set, applied[i - 1]));
    return plan;
}

} // namespace

std::string Step::sql_path() const {
    if (code)
        return code_source_name(app_name, name);
    if (!path_prefix)
        return {};
    return *path_prefix + name +
           std::string(direction == Direction::Forwards ? k_up_suffix : k_down_suffix);
}

std::string Step::label() const {
    return app_name + " " + migration_id.text() + " (" + description + ")";
}

bool Plan::reverses_anything() const {
    return std::any_of(steps.begin(), steps.end(),
                       [](const Step& s) { return s.direction == Direction::Backwards; });
}

std::vector<const Migration*> pending_migrations(const MigrationSet& set,
                                                 const std::vector<AppliedMigration>& applied) {
    std::vector<const Migration*> pending;
    for (const MigrationPair& pair : pair_migrations(set, applied))
        if (pair.migration != nullptr && pair.applied == nullptr)
            pending.push_back(pair.migration);
    return pending;
}

namespace {

// The pending migrations a forwards plan runs, made into steps by `make`, in order; the note when
// there are none.
template <typename MakeStep>
Plan plan_forwards_with(const MigrationSet& set, const std::vector<AppliedMigration>& applied,
                        const ForwardsTarget& target, MakeStep make) {
    auto pending = pending_migrations(set, applied);
    Plan plan;
    if (const Count* count = std::get_if<Count>(&target)) {
        pending.resize(std::min(count->value, pending.size()));
    } else if (const MigrationRef* ref = std::get_if<MigrationRef>(&target)) {
        const Migration* wanted = find_file(set, *ref);
        if (wanted == nullptr)
            throw Error(ErrorKind::UnknownMigration,
                        "app \"" + set.app_name + "\" has no migration \"" + ref->text() + "\"", {},
                        "valid ids: " + join_ids(file_ids(set)));
        if (applied_keys(applied).count(wanted->id)) {
            plan.note = "Migration " + set.app_name + " " + wanted->id.text() + " has already run";
            return plan;
        }
        std::erase_if(pending, [&](const Migration* m) { return m->id > wanted->id; });
    }
    for (const Migration* m : pending)
        plan.steps.push_back(make(*m));
    if (plan.empty())
        plan.note = "No migrations need to be run";
    return plan;
}

} // namespace

Plan plan_forwards(const MigrationSet& set, const std::vector<AppliedMigration>& applied,
                   const ForwardsTarget& target) {
    return plan_forwards_with(set, applied, target,
                              [](const Migration& m) { return forwards_step(m); });
}

Plan plan_forwards(MigrationSet&& set, const std::vector<AppliedMigration>& applied,
                   const ForwardsTarget& target) {
    return plan_forwards_with(set, applied, target, [&set](const Migration& m) {
        // `set` is the caller's to give up, and not const: the migration gives its texts.
        Step step = forwards_step(std::move(const_cast<Migration&>(m)));
        // Planned at the front of the set (on a new database, every one is), it leaves it: the
        // room it frees holds the steps that come after.
        if (&set.migrations.front() == &m)
            set.migrations.pop_front();
        return step;
    });
}

Plan plan_backwards(const MigrationSet& set, const std::vector<AppliedMigration>& applied,
                    const BackwardsTarget& target) {
    Plan plan;
    if (std::holds_alternative<All>(target)) {
        plan = reverse_from(set, applied, 0);
    } else if (const Count* count = std::get_if<Count>(&target)) {
        plan = reverse_from(set, applied,
                            count->value >= applied.size() ? 0 : applied.size() - count->value);
    } else {
        const MigrationRef& ref = std::get<MigrationRef>(target);
        std::size_t index = find_applied(set, applied, ref);
        if (index == std::string::npos)
            throw Error(ErrorKind::UnknownMigration,
                        "app \"" + set.app_name + "\" has no applied migration \"" + ref.text() +
                            "\"",
                        {}, "applied ids: " + join_ids(applied_ids(applied)));
        plan = reverse_from(set, applied, index);
    }
    if (plan.empty())
        plan.note = "No migrations to reverse!";
    return plan;
}

Plan plan_backwards_newest(const std::vector<MigrationSet>& sets, const AppliedByApp& applied,
                           std::size_t steps) {
    std::vector<std::pair<const MigrationSet*, const AppliedMigration*>> rows;
    for (const MigrationSet& set : sets)
        if (auto found = applied.find(set.app_name); found != applied.end())
            for (const AppliedMigration& row : found->second)
                rows.emplace_back(&set, &row);
    // Run order across apps is the row id: apps interleave when they were migrated in turns.
    std::sort(rows.begin(), rows.end(),
              [](const auto& a, const auto& b) { return a.second->row_id > b.second->row_id; });
    Plan plan;
    for (std::size_t i = 0; i < rows.size() && i < steps; ++i)
        plan.steps.push_back(backwards_step(*rows[i].first, *rows[i].second));
    if (plan.empty())
        plan.note = "No migrations to reverse!";
    return plan;
}

Plan plan_goto(const MigrationSet& set, const std::vector<AppliedMigration>& applied,
               const GotoTarget& target) {
    std::optional<MigrationId> target_id; // nullopt: before the first
    if (const MigrationRef* ref = std::get_if<MigrationRef>(&target)) {
        if (const Migration* m = find_file(set, *ref)) {
            target_id = m->id;
        } else if (std::size_t i = find_applied(set, applied, *ref); i != std::string::npos) {
            target_id = applied[i].migration_id;
        } else {
            throw Error(ErrorKind::UnknownMigration,
                        "app \"" + set.app_name + "\" has no migration \"" + ref->text() + "\"", {},
                        "valid ids: 0 (before the first), " + join_ids(file_ids(set)));
        }
    }
    auto beyond_target = [&](const MigrationId& id) { return !target_id || id > *target_id; };

    Plan plan;
    // Newest first, by run order, so each down sees the schema its up left.
    for (std::size_t i = applied.size(); i > 0; --i)
        if (beyond_target(applied[i - 1].migration_id))
            plan.steps.push_back(backwards_step(set, applied[i - 1]));
    for (const Migration* m : pending_migrations(set, applied)) {
        if (beyond_target(m->id))
            break;
        plan.steps.push_back(forwards_step(*m));
    }
    if (plan.empty())
        plan.note = target_id ? "App " + set.app_name + " is already at " + target_id->text()
                              : "App " + set.app_name + " has no applied migrations";
    return plan;
}

Plan plan_sync(const MigrationSet& set, const std::vector<AppliedMigration>& applied) {
    const std::vector<MigrationPair> pairs = pair_migrations(set, applied);
    std::vector<const AppliedMigration*> gone;
    for (const MigrationPair& pair : pairs)
        if (pair.migration == nullptr)
            gone.push_back(pair.applied);
    // Newest first by run order, so each down SQL sees the schema its up SQL left.
    std::sort(gone.begin(), gone.end(),
              [](const auto* a, const auto* b) { return a->row_id > b->row_id; });

    Plan plan;
    for (const AppliedMigration* row : gone)
        plan.steps.push_back(backwards_step(set, *row));
    for (const MigrationPair& pair : pairs)
        if (pair.applied == nullptr)
            plan.steps.push_back(forwards_step(*pair.migration));
    if (plan.empty())
        plan.note = "The database already matches the project.";
    return plan;
}

void append_plan(Plan& plan, Plan more) {
    if (plan.steps.empty()) { // one app's plan, most often: it moves over as it is
        plan.steps = std::move(more.steps);
        return;
    }
    plan.steps.insert(plan.steps.end(), std::make_move_iterator(more.steps.begin()),
                      std::make_move_iterator(more.steps.end()));
}

} // namespace strata
