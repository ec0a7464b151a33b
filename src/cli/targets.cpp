// SPDX-License-Identifier: MIT
#include "cli/targets.hpp"

#include <algorithm>

namespace strata::cli {

namespace {

const std::string* word(const CommandLine& line, std::size_t index) {
    return index < line.positionals.size() ? &line.positionals[index] : nullptr;
}

// An id or a full name. Anything else cannot name a migration of any app.
MigrationRef migration_ref(const CommandLine& line, const std::string& text) {
    if (std::optional<MigrationRef> ref = parse_migration_ref(text))
        return *ref;
    const std::string* app = word(line, 0);
    throw Error(ErrorKind::UnknownMigration,
                "app \"" + (app ? *app : std::string()) + "\" has no migration \"" + text + "\"",
                {}, "name a migration by its id (0003) or its full name (0003_add_tags)");
}

} // namespace

AppSelection app_selection(const CommandLine& line) {
    const std::string* app = word(line, 0);
    if (app == nullptr || *app == "all")
        return std::nullopt;
    return *app;
}

ForwardsTarget forwards_target(const CommandLine& line) {
    const std::string* target = word(line, 1);
    if (target == nullptr || *target == "all")
        return Latest{};
    if (*target == "1")
        return Count{1};
    return migration_ref(line, *target);
}

BackwardsTarget backwards_target(const CommandLine& line) {
    if (line.steps)
        return Count{*line.steps};
    const std::string* target = word(line, 1);
    if (target == nullptr)
        return app_selection(line) ? BackwardsTarget(Count{1}) : BackwardsTarget(All{});
    if (*target == "all")
        return All{};
    if (*target == "1")
        return Count{1};
    return migration_ref(line, *target);
}

GotoTarget goto_target(const CommandLine& line) {
    const std::string* target = word(line, 1);
    if (target == nullptr)
        throw Error(ErrorKind::Usage, "goto needs an app and a migration id", {},
                    "strata goto APP ID (0 is the place before the first migration)");
    if (!target->empty() &&
        std::all_of(target->begin(), target->end(), [](char c) { return c == '0'; }))
        return Initial{};
    return migration_ref(line, *target);
}

std::optional<MigrationRef> repair_target(const CommandLine& line) {
    const std::string* target = word(line, 1);
    if (target == nullptr || *target == "all")
        return std::nullopt;
    return migration_ref(line, *target);
}

} // namespace strata::cli
