// SPDX-License-Identifier: MIT
// libFuzzer target: forwards then backwards on an in-memory database. The input decodes into
// up to 4 migrations, loaded through strata::MemorySource, planned with plan_forwards /
// plan_backwards and run by strata::Executor on an in-memory database, secured as strata's
// own connections are.
//
// Input: 1 option byte (bits 0-1: foreign keys deferred / immediate / off / deferred; bit 2:
// transaction = "all"), then the SQL texts up1, down1, up2, down2, ... separated by NUL bytes
// (a migration file may not hold a NUL, so the separator never hides valid SQL).
//
// Every strata::Error is an expected outcome. A bug is a crash, a sanitizer report, another
// exception, or a run whose result breaks the executor's promises: a run that returns has done
// every step; a run that throws has kept exactly the steps it reports as done (one transaction
// per migration, or none with transaction = "all"); no transaction is left open; the database
// passes integrity_check; and, unless foreign keys are off, no foreign key points nowhere.
#include "fuzz_support.hpp"
#include "strata/error.hpp"
#include "strata/executor/database.hpp"
#include "strata/executor/executor.hpp"
#include "strata/executor/observer.hpp"
#include "strata/loader/loader.hpp"
#include "strata/loader/migration_source.hpp"
#include "strata/plan/plan.hpp"
#include "strata/state/state_store.hpp"
#include "support/test_database.hpp"

#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <new>
#include <optional>
#include <string>
#include <typeinfo>
#include <vector>

namespace {

using strata::fuzz::bug;

constexpr std::size_t k_max_migrations = 4;
const std::string k_app = "fuzz";

// A statement that runs away (a recursive CTE, a cross join of big tables) is interrupted after
// about this many thousand virtual-machine operations per run, and ends as a strata::Error.
constexpr int k_progress_budget = 2000;
// SQLite's own limits, lowered so that one input cannot eat the fuzzer's memory.
constexpr int k_max_length = 1 << 20;
constexpr sqlite3_int64 k_heap_limit = 256LL << 20;

struct Budget {
    int calls = 0;
};

int on_progress(void* budget) {
    return ++static_cast<Budget*>(budget)->calls > k_progress_budget ? 1 : 0;
}

std::string migration_stem(std::size_t index) {
    char stem[32];
    std::snprintf(stem, sizeof stem, "%04zu_m%zu", index + 1, index + 1);
    return stem;
}

std::vector<strata::SourceFile> decode_migrations(const std::vector<std::string>& parts) {
    std::vector<strata::SourceFile> files;
    for (std::size_t i = 0; i < parts.size(); i += 2) {
        const std::string stem = migration_stem(i / 2);
        files.push_back({stem + ".up.sql", parts[i]});
        const std::string down = i + 1 < parts.size() ? parts[i + 1] : "";
        files.push_back({stem + ".down.sql", down});
    }
    return files;
}

// The state rows as they really are in the main database (not through StateStore, so that a
// migration's temp objects cannot hide them), or nullopt when the schema cannot be read.
std::optional<std::vector<std::string>> state_rows(strata::sqlite::Database db) {
    try {
        std::vector<std::string> names;
        strata::sqlite::Statement exists(db, "SELECT count(*) FROM main.sqlite_schema "
                                             "WHERE type = 'table' AND name = 'migrations'");
        if (!exists.step() || exists.column_int64(0) == 0)
            return names;
        strata::sqlite::Statement rows(db, "SELECT name FROM main.migrations WHERE app_name = ? "
                                           "ORDER BY id");
        rows.bind_text(1, k_app);
        while (rows.step())
            names.push_back(rows.column_text(0));
        return names;
    } catch (const strata::sqlite::Failure&) {
        return std::nullopt;
    }
}

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& name : names)
        out += (out.empty() ? "" : ",") + name;
    return "[" + out + "]";
}

// The first `count` migration ids of the set.
std::vector<std::string> first_ids(const strata::MigrationSet& set, std::size_t count) {
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < count && i < set.migrations.size(); ++i)
        ids.push_back(set.migrations[i].id.text());
    return ids;
}

// Checks the database after a run; `expected` is the state the run must have left.
void check_database(strata::sqlite::Database db, const std::vector<std::string>& expected,
                    bool foreign_keys_checked, const std::string& when) {
    if (sqlite3_get_autocommit(db.handle()) == 0)
        bug(when + ": a transaction is still open");
    const auto rows = state_rows(db);
    if (rows && *rows != expected)
        bug(when + ": state table holds " + joined(*rows) + ", expected " + joined(expected));
    try {
        const std::string integrity = strata::sqlite::query_text(db, "PRAGMA main.integrity_check");
        if (integrity != "ok")
            bug(when + ": integrity_check says " + integrity);
        if (foreign_keys_checked) {
            strata::sqlite::Statement violations(db, "PRAGMA main.foreign_key_check");
            if (violations.step())
                bug(when + ": a row of " + violations.column_text(0) +
                    " refers to a missing row of " + violations.column_text(2));
        }
    } catch (const strata::sqlite::Failure&) {
        // A schema SQLite cannot check (e.g. a foreign key to a column without a unique index)
        // is the migration's own doing; strata's promises are about the rows above.
    }
}

void check_error(const strata::Error& error, const std::string& when) {
    switch (error.kind()) {
    case strata::ErrorKind::MigrationFailed:
    case strata::ErrorKind::Database:
    case strata::ErrorKind::Busy:
        return;
    default:
        bug(when + " threw Error(" + strata::fuzz::kind_name(error.kind()) + "): " + error.what());
    }
}

// Runs `plan` and checks the outcome. `before` is the number of applied migrations before the
// run; forwards adds steps to it, backwards removes them from its end. The plan is the run's
// own: the executor takes each step off it once the step is over.
void run_and_check(strata::sqlite::Database db, const strata::MigrationSet& set, strata::Plan plan,
                   const strata::ExecutorOptions& options, std::size_t before, bool forwards) {
    const std::string when = forwards ? "forwards" : "backwards";
    strata::RunObserver observer;
    strata::Executor executor(db, observer, options);
    Budget budget;
    // The executor clears the progress handler when a run ends, so it is set for each run.
    sqlite3_progress_handler(db.handle(), 1000, &on_progress, &budget);
    const std::size_t planned = plan.steps.size();
    std::size_t done = 0;
    bool failed = false;
    try {
        const strata::ExecutionReport report = executor.run(plan);
        done = report.done;
        if (report.done != planned || report.skipped != 0 || !plan.empty())
            bug(when + " returned after " + std::to_string(report.done) + " of " +
                std::to_string(planned) + " steps, " + std::to_string(plan.steps.size()) +
                " left in the plan");
    } catch (const strata::Error& error) {
        check_error(error, when);
        done = executor.progress().done;
        failed = true;
    }
    sqlite3_progress_handler(db.handle(), 0, nullptr, nullptr);
    if (done > planned || plan.steps.size() > planned)
        bug(when + " reports more steps done than planned");
    const std::size_t after = forwards ? before + done : before - done;
    check_database(db, first_ids(set, after), options.foreign_keys != strata::ForeignKeyMode::Off,
                   when + (failed ? " (failed)" : ""));
}

void fuzz_one(std::uint8_t option_byte, const std::string& text) {
    const auto parts = strata::fuzz::split_parts(text, '\0', 2 * k_max_migrations);
    const strata::MemorySource source("migrations/" + k_app + "/", decode_migrations(parts));
    strata::MigrationSet set;
    try {
        set = strata::load_migrations(k_app, source);
    } catch (const strata::Error&) {
        return; // a set the loader refuses never reaches the database
    }

    strata::ExecutorOptions options;
    const int fk = option_byte & 3;
    options.foreign_keys = fk == 1   ? strata::ForeignKeyMode::Immediate
                           : fk == 2 ? strata::ForeignKeyMode::Off
                                     : strata::ForeignKeyMode::Deferred;
    options.transaction =
        (option_byte & 4) != 0 ? strata::TransactionScope::All : strata::TransactionScope::Each;

    strata::test::TestDatabase db(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    sqlite3* handle = db.handle();
    sqlite3_extended_result_codes(handle, 1);
    sqlite3_limit(handle, SQLITE_LIMIT_LENGTH, k_max_length);
    sqlite3_limit(handle, SQLITE_LIMIT_SQL_LENGTH, k_max_length);
    // The settings of every connection strata opens (defensive mode, an untrusted schema, no
    // ATTACH, ...), which the executor checks before each step: a run that ends in an
    // internal-state error (Error(Refused)) is a statement the SQL policy let through.
    strata::secure_connection(db);

    // Forwards from an empty database: every migration, then back to nothing.
    const strata::Plan up = strata::plan_forwards(set, {}, strata::Latest{});
    run_and_check(db, set, up, options, 0, true);

    std::vector<strata::AppliedMigration> applied;
    try {
        applied = strata::StateStore(db, strata::k_default_state_table).applied(k_app);
    } catch (const strata::Error&) {
        return; // the migrations left a state table strata refuses to read
    } catch (const strata::sqlite::Failure&) {
        return;
    }
    const auto rows = state_rows(db);
    if (!rows || rows->size() != applied.size())
        return; // a temp table shadows the state table: reported by the forwards check
    strata::Plan down;
    try {
        down = strata::plan_backwards(set, applied, strata::All{});
    } catch (const strata::Error&) {
        return;
    }
    run_and_check(db, set, down, options, applied.size(), false);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    strata::fuzz::install_sandbox_vfs();
    sqlite3_hard_heap_limit64(k_heap_limit);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    try {
        fuzz_one(data[0], std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
    } catch (const std::bad_alloc&) {
        // Out of memory is the environment's limit, not a strata bug.
    } catch (const std::exception& error) {
        bug(std::string("a ") + typeid(error).name() + " escaped: " + error.what());
    }
    return 0;
}
