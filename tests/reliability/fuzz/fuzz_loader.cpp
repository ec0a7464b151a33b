// SPDX-License-Identifier: MIT
// libFuzzer target: strata::load_migrations on an in-memory file set (strata::MemorySource).
// The input is decoded into up to 8 (name, content) files with the length-prefixed format of
// fuzz_support.hpp. Error(MigrationFiles) is the expected answer to a bad set; a crash, a
// sanitizer report, another exception or an accepted set that breaks the loader's guarantees
// is a bug.
#include "fuzz_support.hpp"
#include "strata/error.hpp"
#include "strata/loader/loader.hpp"
#include "strata/loader/migration.hpp"
#include "strata/loader/migration_source.hpp"
#include "strata/plan/plan.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <new>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

namespace {

using strata::fuzz::bug;

constexpr std::size_t k_max_files = 8;
const std::string k_folder = "migrations/fuzz";

bool all_digits(std::string_view text) {
    if (text.empty())
        return false;
    for (char c : text)
        if (c < '0' || c > '9')
            return false;
    return true;
}

// The raw content of the offered file at `path` (the folder's prefix and the file's name).
const std::string* content_at(const std::vector<strata::SourceFile>& files,
                              const std::string& path) {
    for (const strata::SourceFile& file : files)
        if (k_folder + "/" + file.name == path)
            return &file.content;
    return nullptr;
}

// What load_migrations promises about a set it accepts, and what the planner makes of it.
void check_accepted(const strata::MigrationSet& set, const std::vector<strata::SourceFile>& files) {
    if (set.app_name != "fuzz")
        bug("wrong app name: " + set.app_name);
    const strata::Migration* previous = nullptr;
    for (const strata::Migration& migration : set.migrations) {
        const std::string& id = migration.id.text();
        if (!all_digits(id))
            bug("migration id is not digits: " + id);
        if (!migration.name.starts_with(id + "_"))
            bug("name does not start with its id: " + migration.name);
        if (previous != nullptr && previous->id >= migration.id)
            bug("ids not strictly increasing: " + previous->id.text() + " then " + id);
        const strata::MigrationId again(id);
        if (migration.id != again || (migration.id <=> again) != 0 ||
            std::hash<strata::MigrationId>{}(migration.id) !=
                std::hash<strata::MigrationId>{}(again))
            bug("an id differs from itself: " + id);
        const std::string* up = content_at(files, migration.up_path());
        const std::string* down = content_at(files, migration.down_path());
        if (up == nullptr || down == nullptr)
            bug(migration.name + " names files that were not offered");
        // The text that runs (and is hashed) is the file's text, normalised once.
        if (migration.up_sql != strata::normalise_sql_text(*up) ||
            migration.down_sql.text() != strata::normalise_sql_text(*down))
            bug("SQL of " + migration.name + " is not its files' normalised text");
        if (migration.checksum != strata::sha256_hex(migration.up_sql))
            bug("checksum of " + migration.name + " does not cover its up SQL");
        // A blank or comment-only file is a deliberate no-op and accepted; the template that
        // `strata new` writes is not, until its marker line is deleted.
        for (const std::string* sql : {&migration.up_sql, &migration.down_sql.text()})
            if (sql->starts_with(strata::k_template_marker) ||
                sql->find("\n" + std::string(strata::k_template_marker)) != std::string::npos)
                bug("a template file was accepted for " + migration.name);
        if (set.find(migration.id) != &migration || set.find(migration.name) != &migration)
            bug("find() does not return " + migration.name);
        for (const std::string* sql : {&migration.up_sql, &migration.down_sql.text()}) {
            const strata::SqlSections sections = strata::split_after_commit(*sql);
            if (sections.in_transaction.size() > sql->size() ||
                sections.after_commit.size() > sql->size())
                bug("split_after_commit returned more text than it was given");
        }
        previous = &migration;
    }
    // Planning is pure: every pending migration is planned once, in id order.
    const strata::Plan plan = strata::plan_forwards(set, {}, strata::Latest{});
    if (plan.steps.size() != set.migrations.size())
        bug("plan_forwards(all) on an empty database plans " + std::to_string(plan.steps.size()) +
            " of " + std::to_string(set.migrations.size()) + " migrations");
    for (std::size_t i = 0; i < plan.steps.size(); ++i)
        if (plan.steps[i].migration_id != set.migrations[i].id ||
            plan.steps[i].sql != set.migrations[i].up_sql)
            bug("plan step " + std::to_string(i) + " is not migration " + set.migrations[i].name);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    strata::fuzz::Reader reader(data, size);
    const auto files = strata::fuzz::decode_files(reader, k_max_files);
    const strata::MemorySource source(k_folder + "/", files);
    try {
        check_accepted(strata::load_migrations("fuzz", source), files);
    } catch (const strata::Error& error) {
        if (error.kind() != strata::ErrorKind::MigrationFiles)
            bug(std::string("load_migrations threw Error(") +
                strata::fuzz::kind_name(error.kind()) + "): " + error.what());
    } catch (const std::bad_alloc&) {
        // Out of memory is the environment's limit, not a loader bug.
    } catch (const std::exception& error) {
        bug(std::string("load_migrations let a ") + typeid(error).name() +
            " escape: " + error.what());
    }
    return 0;
}
