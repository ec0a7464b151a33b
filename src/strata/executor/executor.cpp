// SPDX-License-Identifier: MIT
#include "strata/executor/executor.hpp"

#include "strata/error.hpp"
#include "strata/executor/database.hpp"
#include "strata/executor/foreign_keys.hpp"
#include "strata/executor/sql_policy.hpp"
#include "strata/executor/sql_runner.hpp"
#include "strata/executor/sqlite_api.hpp"
#include "strata/executor/state_table_guard.hpp"
#include "strata/loader/loader.hpp"
#include "strata/state/state_store.hpp"
#include "util/text.hpp"

#include <sqlite3.h>

#include <optional>

namespace strata {

namespace {

std::string source_name(const Step& step) {
    return step.runs_stored_sql()
               ? step.app_name + "/" + step.migration_id.text() + " (stored down SQL)"
               : step.sql_path();
}

const char* verb_of(const Step& step) {
    return step.direction == Direction::Forwards ? "applying" : "reversing";
}

// Prefixes an error with the step it happened in. When the database itself failed (read-only,
// I/O error, locked), the statement is not at fault: the message points at the database.
Error in_step(const Step& step, const Error& e, const std::string& database) {
    const bool file_level = e.kind() == ErrorKind::Database || e.kind() == ErrorKind::Busy;
    std::string message =
        std::string(verb_of(step)) + " " + step.label() + " failed: " + e.message();
    if (file_level)
        message = "database " + database + ": " + message;
    Error out(e.kind(), message, file_level ? SourceLocation{} : e.where(), e.hint());
    if (e.sqlite_code())
        out.with_sqlite_code(*e.sqlite_code());
    if (!file_level)
        out.with_source_line(e.source_line());
    return out;
}

std::string describe(const std::vector<ForeignKeyViolation>& violations) {
    std::string out;
    constexpr std::size_t k_shown = 5;
    for (std::size_t i = 0; i < violations.size() && i < k_shown; ++i) {
        const auto& v = violations[i];
        out += (i == 0 ? "" : "; ") + v.table + " rowid " + std::to_string(v.rowid) +
               " refers to a missing row of " + v.parent;
    }
    if (violations.size() > k_shown)
        out += "; and " + std::to_string(violations.size() - k_shown) + " more";
    return out;
}

// Down SQL read back from the state table is untrusted: whoever can write the database file
// wrote it. It runs under the same authorizer as a migration file, after the same text checks
// (a NUL byte would make SQLite skip the rest), and never with an after-commit section, whose
// VACUUM runs with the authorizer stepped aside. Checked for every step before any runs, so a
// refusal leaves the database as it was.
void check_stored_sql(const Step& step) {
    if (!step.runs_stored_sql())
        return;
    auto refuse = [&](std::string message, int line, int column, std::string hint, int code) {
        throw Error(ErrorKind::Refused,
                    "reversing " + step.label() + " refused: " + std::move(message),
                    SourceLocation{source_name(step), line, column}, std::move(hint))
            .with_sqlite_code(code);
    };
    if (const auto problem = util::find_text_problem(step.sql))
        refuse(problem->kind == util::TextProblem::Kind::NulByte
                   ? std::string("the down SQL stored in the database contains a NUL byte")
                   : "the down SQL stored in the database is not valid UTF-8 (byte " +
                         util::hex_byte(problem->byte) + ")",
               problem->line, problem->column, k_stored_after_commit.hint, SQLITE_AUTH);
    const SqlSections sections = split_after_commit(step.sql);
    if (sections.after_commit_line != 0)
        refuse(k_stored_after_commit.message, sections.after_commit_line - 1, 1,
               k_stored_after_commit.hint, k_stored_after_commit.sqlite_code);
}

// A migration written in C++ stores no down SQL: reversing it needs its down callback. Checked
// for every step before any runs, so a refusal leaves the database as it was.
void check_reversible(const Step& step) {
    if (step.direction != Direction::Backwards)
        return;
    const bool cli = current_audience() == Audience::CommandLine;
    if (step.code != nullptr && !step.code->down)
        throw Error(ErrorKind::Refused,
                    "reversing " + step.label() +
                        " refused: it is a migration written in C++ without a down callback, so "
                        "it cannot be reversed",
                    SourceLocation{step.sql_path()},
                    cli ? "reverse only the migrations after it"
                        : "give its CodeMigration a `down`, or reverse only the migrations after "
                          "it");
    if (step.runs_stored_sql() && is_code_checksum(step.checksum))
        throw Error(ErrorKind::Refused,
                    "reversing " + step.label() +
                        " refused: it is a migration written in C++ (checksum " + step.checksum +
                        ") that this program does not have, and no down SQL is stored for it",
                    {},
                    cli ? "it is not runnable from the command line: reverse it with the "
                          "application that defines it"
                        : "reverse it with a program that registers it, with a `down`, in "
                          "Context::code_migrations");
}

// While set, SQLite's progress handler aborts the running statement when the cancel flag is
// raised (SQLITE_INTERRUPT), so a long statement stops promptly and is rolled back.
class CancelHook {
  public:
    CancelHook(sqlite3* db, const std::atomic<bool>* cancel) : m_db(db) {
        if (cancel != nullptr)
            sqlite3_progress_handler(m_db, 1000, &check, const_cast<std::atomic<bool>*>(cancel));
    }
    ~CancelHook() { sqlite3_progress_handler(m_db, 0, nullptr, nullptr); }
    CancelHook(const CancelHook&) = delete;
    CancelHook& operator=(const CancelHook&) = delete;

  private:
    static int check(void* flag) { return static_cast<std::atomic<bool>*>(flag)->load() ? 1 : 0; }
    sqlite3* m_db;
};

} // namespace

Executor::Executor(sqlite::Database db, RunObserver& observer, ExecutorOptions options)
    : m_db(db), m_observer(observer), m_options(options) {}

bool Executor::cancelled() const {
    return m_options.cancel != nullptr && m_options.cancel->load();
}

void Executor::throw_interrupted(const Step* in_flight) const {
    std::string message = "interrupted";
    if (in_flight != nullptr)
        message += ": " + in_flight->label() + " was rolled back";
    if (m_options.transaction == TransactionScope::All)
        message += "; the whole run was rolled back (transaction = \"all\")";
    else
        message += "; " + util::counted(m_progress.done, "migration") + " completed before it";
    throw Error(ErrorKind::Interrupted, message, {}, "run the command again to continue");
}

void Executor::note_other_writers() {
    const std::int64_t version = sqlite::query_int64(m_db, "PRAGMA data_version");
    if (version == m_data_version)
        return;
    m_data_version = version;
    m_checked.clear();
    m_state_table_ready = false;
    m_sequence.reset();
}

void Executor::check_state_unchanged(const StateStore& state, const Plan& plan, std::size_t index) {
    const Step& step = plan.steps[index];
    if (m_checked.count(step.app_name))
        return;
    ExpectedState& expected = m_expected[step.app_name];
    auto conflict = [&](const std::string& what) {
        throw Error(ErrorKind::Busy,
                    "another run changed the database during this one: it " + what +
                        ", which this run's plan did not expect",
                    {},
                    util::counted(m_progress.done, "migration") +
                        " of this run were done before it; run the command again "
                        "to plan from the database as it is now");
    };
    // The id is named by its numeric value: the files and the rows may write it differently.
    auto named = [&](const char* verb, const MigrationId& id) {
        return std::string(verb) + " " + step.app_name + " " + std::string(id.key());
    };

    // Another runner may have done some of this plan's remaining steps: an id the plan still
    // applies may appear, one it still reverses may vanish. Anything else means the plan no
    // longer fits the database. Absent other runs, the table holds an id the plan still has
    // steps for exactly when the first of those steps reverses it.
    struct Upcoming {
        Direction first;
        bool applies = false;
        bool reverses = false;
    };
    std::map<MigrationId, Upcoming> upcoming;
    for (std::size_t i = index; i < plan.steps.size(); ++i) {
        const Step& later = plan.steps[i];
        if (later.app_name != step.app_name)
            continue;
        Upcoming& next =
            upcoming.try_emplace(later.migration_id, Upcoming{later.direction}).first->second;
        (later.direction == Direction::Forwards ? next.applies : next.reverses) = true;
    }
    auto upcoming_of = [&](const MigrationId& id) -> const Upcoming* {
        const auto found = upcoming.find(id);
        return found == upcoming.end() ? nullptr : &found->second;
    };
    std::set<MigrationId> snapshot; // the ids applied when the plan was made, still expected
    if (m_planned_from != nullptr)
        if (const auto rows = m_planned_from->find(step.app_name); rows != m_planned_from->end())
            for (const AppliedMigration& row : rows->second)
                if (!expected.reversed.count(row.migration_id))
                    snapshot.insert(row.migration_id);

    std::vector<AppliedMigration> rows;
    if (state.exists())
        rows = state.applied(step.app_name);
    std::set<MigrationId> present;
    std::set<std::int64_t> present_rows;
    for (const AppliedMigration& row : rows) {
        present.insert(row.migration_id);
        present_rows.insert(row.row_id);
        const Upcoming* next = upcoming_of(row.migration_id);
        const bool known =
            std::binary_search(expected.ours.begin(), expected.ours.end(), row.row_id) ||
            snapshot.count(row.migration_id) != 0 || expected.accepted.count(row.row_id) != 0;
        if (known)
            continue;
        if (next == nullptr || !next->applies)
            conflict(named("applied", row.migration_id));
        expected.accepted.emplace(row.row_id, row.migration_id);
    }
    for (const MigrationId& id : snapshot) {
        if (present.count(id))
            continue;
        const Upcoming* next = upcoming_of(id);
        if (next == nullptr || !next->reverses)
            conflict(named("reversed", id));
        expected.reversed.insert(id);
    }
    for (auto row = expected.accepted.begin(); row != expected.accepted.end();) {
        if (present_rows.count(row->first)) {
            ++row;
            continue;
        }
        const Upcoming* next = upcoming_of(row->second);
        if (next == nullptr || !next->reverses)
            conflict(named("reversed", row->second));
        row = expected.accepted.erase(row);
    }
    for (const std::int64_t row_id : expected.ours)
        if (!present_rows.count(row_id))
            conflict("reversed a migration of " + step.app_name + " that this run applied");
    // A step another run did first is skipped: the table already holds its id, or no longer
    // does, as the step would leave it.
    expected.ahead.clear();
    for (const auto& [id, next] : upcoming)
        if ((present.count(id) != 0) != (next.first == Direction::Backwards))
            expected.ahead.insert(id);
    m_checked.insert(step.app_name);
}

// A migration's temp objects end with its transaction part; every other setting it could
// have changed is refused by sql_policy, and verified here rather than assumed.
void Executor::reset_connection(const std::string& before) {
    drop_temp_objects(m_db);
    check_connection_state(m_db, m_connection_state, before);
}

bool Executor::run_step(const StateStore& state, const Plan& plan, std::size_t index) {
    const Step& step = plan.steps[index];
    const bool forwards = step.direction == Direction::Forwards;
    // Only SQL that sets a PRAGMA or uses the temp schema, C++ code, or an after-commit section
    // (its VACUUM runs without the authorizer) can leave the connection otherwise than the run
    // found it; preparing the check's statements before every step would cost more than many
    // a migration's SQL.
    if (m_connection_touched) {
        reset_connection(std::string(verb_of(step)) + " " + step.label());
        m_connection_touched = false;
    }
    // What this run knows of the state table holds while no other connection has committed.
    if (!m_others_shut_out)
        note_other_writers();
    m_others_shut_out = m_options.transaction == TransactionScope::All;
    if (forwards && !m_state_table_ready) {
        state.create_if_missing();
        m_state_table_ready = true;
    }
    // With a snapshot, check_state_unchanged knows which of the plan's steps another run did
    // (ahead), so the step's own row need not be looked up.
    ExpectedState* expected = nullptr;
    if (m_checking) {
        check_state_unchanged(state, plan, index);
        expected = &m_expected[step.app_name];
    }
    const bool recorded =
        expected != nullptr
            ? expected->ahead.erase(step.migration_id) != 0 ? forwards : !forwards
            : (forwards || state.exists()) && state.is_applied(step.app_name, step.migration_id);
    if (recorded == forwards) {
        m_observer.on_step_skipped(step, forwards ? "already applied by another run"
                                                  : "already reversed by another run");
        return false;
    }
    m_observer.on_step_started(step);
    if (!m_options.fake) {
        const SqlSections sections = split_after_commit(step.sql);
        const bool deferred = m_options.foreign_keys == ForeignKeyMode::Deferred;
        // With one transaction for the run, run_as_one checks once before COMMIT what every
        // step touched: a rebuild split over several migrations is consistent only at the end.
        const bool check_now = deferred && m_options.transaction != TransactionScope::All;
        TouchedTables touched;
        const bool code = step.code != nullptr;
        if (check_now) // note_other_writers has just read data_version (not shut out)
            m_foreign_key_graph.follow(m_db, m_data_version);
        std::vector<DefinedObject> defined;
        SqlEffects effects;
        SqlRun run{source_name(step),
                   1,
                   SqlPhase::InTransaction,
                   !deferred   ? nullptr
                   : check_now ? &touched
                               : &m_run_touched,
                   m_options.state_table,
                   &defined,
                   &effects};
        run.track_rows = m_options.track_rows;
        run.on_statement = [this, &step](std::string_view sql, std::chrono::microseconds took) {
            m_observer.on_statement_executed(step, m_statements[&step]++, sql, took);
        };
        try {
            // What the migration leaves behind for later (triggers, views, the sequence row)
            // is checked before COMMIT, where it can still be rolled back.
            // A C++ migration's SQL is known only once it ran: the guard compares every trigger
            // and view, as for SQL that may rewrite them.
            if (!m_sequence)
                m_sequence = state.sequence_rows();
            const StateTableGuard guard(m_db, state,
                                        code ? StateTableGuard::k_any_sql : sections.in_transaction,
                                        *m_sequence);
            // A C++ migration may have written anything without asking the authorizer.
            if (code)
                run_migration_code(m_db, forwards ? step.code->up : step.code->down, run);
            else
                run_migration_sql(m_db, sections.in_transaction, run);
            m_connection_touched = code || effects.pragma_set || effects.temp_schema;
            guard.check(defined, SourceLocation{source_name(step)},
                        code || effects.sequence_written);
        } catch (const Error& e) {
            if (cancelled())
                throw_interrupted(&step);
            throw in_step(step, e, m_db.filename());
        }
        if (check_now)
            check_deferred_keys(touched, &step);
    }
    if (forwards) {
        const std::int64_t id = state.record({step.app_name, step.migration_id, step.description,
                                              step.checksum, step.down_sql, m_options.fake});
        // Reading the row before each step's SQL would cost as much as the state row's INSERT.
        if (m_sequence)
            m_sequence = state.sequence_after_record(*m_sequence, id);
        if (expected != nullptr)
            expected->ours.insert(
                std::upper_bound(expected->ours.begin(), expected->ours.end(), id), id);
    } else {
        state.remove(step.app_name, step.migration_id);
        if (expected != nullptr)
            expected->reversed.insert(step.migration_id);
    }
    return true;
}

void Executor::run_after_commit(const Step& step) {
    if (m_options.fake)
        return;
    const SqlSections sections = split_after_commit(step.sql);
    if (sections.after_commit_line == 0)
        return;
    reset_connection("the after-commit section of " + step.label());
    m_connection_touched = true;
    try {
        SqlRun run{source_name(step), sections.after_commit_line, SqlPhase::AfterCommit, nullptr,
                   m_options.state_table};
        // The index goes on from the transaction's statements: one count per migration.
        run.on_statement = [this, &step](std::string_view sql, std::chrono::microseconds took) {
            m_observer.on_statement_executed(step, m_statements[&step]++, sql, took);
        };
        run_migration_sql(m_db, sections.after_commit, run);
    } catch (const Error& e) {
        // A file-level failure (I/O error, disk full, locked) keeps its kind and exit code; the
        // message still says the migration itself stays done.
        const bool file_level = e.kind() == ErrorKind::Database || e.kind() == ErrorKind::Busy;
        std::string message = "after-commit section of " + step.label() + " failed: " + e.message();
        if (file_level)
            message = "database " + m_db.filename() + ": " + message;
        std::string hint =
            "the migration itself stays " +
            std::string(step.direction == Direction::Forwards ? "applied" : "reversed") +
            "; run the after-commit statements by hand";
        if (file_level && !e.hint().empty())
            hint = e.hint() + "; " + hint;
        throw Error(file_level ? e.kind() : ErrorKind::MigrationFailed, message, e.where(), hint)
            .with_source_line(e.source_line());
    }
}

void Executor::check_deferred_keys(const TouchedTables& touched, const Step* step) {
    const ForeignKeyCheck check = check_foreign_keys(m_db, touched, m_foreign_key_graph);
    for (const UncheckableForeignKey& key : check.unchecked) {
        // Reported once per run, not at every migration that touches the table.
        if (!m_warned_keys.insert(key.table + "\n" + key.columns + "\n" + key.parent).second)
            continue;
        const std::string parent =
            key.parent +
            (key.parent_columns.empty() ? " (its primary key)" : "(" + key.parent_columns + ")");
        m_observer.on_warning(
            (step != nullptr ? step->label() + ": " : std::string()) + "the foreign key " +
            key.table + "(" + key.columns + ") -> " + parent +
            " is not checked: the parent columns are neither the PRIMARY KEY nor UNIQUE, so "
            "SQLite cannot look rows up by them (\"foreign key mismatch\"); give " +
            key.parent + " a UNIQUE index on them, or drop the key");
    }
    if (check.violations.empty())
        return;
    const std::string orphans =
        "leaves rows whose foreign keys point nowhere: " + describe(check.violations);
    if (step == nullptr)
        throw Error(ErrorKind::MigrationFailed, "the run " + orphans, {},
                    "delete or fix those rows in one of the run's migrations (with foreign keys "
                    "deferred, ON DELETE actions do not run)");
    throw Error(ErrorKind::MigrationFailed,
                std::string(verb_of(*step)) + " " + step->label() + " failed: it " + orphans,
                SourceLocation{source_name(*step)},
                "the migration was rolled back; delete or fix those rows in the migration (with "
                "foreign keys deferred, ON DELETE actions do not run)");
}

ExecutionReport Executor::run(Plan& plan, const AppliedByApp* planned_from) {
    m_progress = {};
    m_foreign_key_graph = {};
    m_checking = planned_from != nullptr;
    m_planned_from = planned_from;
    m_expected.clear();
    m_checked.clear();
    m_data_version = -1;
    m_others_shut_out = false;
    m_state_table_ready = false;
    m_sequence.reset();
    m_connection_touched = true;
    if (plan.empty())
        return m_progress;
    m_statements.clear();
    if (!m_options.fake)
        for (const Step& step : plan.steps) {
            check_stored_sql(step);
            check_reversible(step);
        }
    try {
        // PRAGMA foreign_keys is ignored inside a transaction, so it is set before BEGIN.
        const bool enforce = m_options.foreign_keys == ForeignKeyMode::Immediate;
        ForeignKeyEnforcement enforcement(m_db, enforce);
        // What every step starts from; reset_connection verifies it when a step may have
        // changed it.
        m_connection_state = state_for_migrating(read_connection_state(m_db), enforce);
        CancelHook hook(m_db.handle(), m_options.cancel);
        if (m_options.transaction == TransactionScope::All)
            run_as_one(plan);
        else
            run_each(plan);
    } catch (const Error& e) {
        // A cancel can also abort strata's own statements (state table, foreign-key check).
        if (e.kind() != ErrorKind::Interrupted && cancelled())
            throw_interrupted(nullptr);
        throw;
    } catch (...) {
        if (cancelled())
            throw_interrupted(nullptr);
        rethrow_as_error(m_db.filename(), "running migrations");
    }
    return m_progress;
}

void Executor::run_each(Plan& plan) {
    StateStore state(m_db, m_options.state_table);
    // The step under way is always the plan's first: each one leaves once it is over.
    while (!plan.empty()) {
        const Step& step = plan.steps.front();
        if (cancelled())
            throw_interrupted(nullptr);
        // IMMEDIATE takes the write lock before reading the state, so the check in run_step and
        // the work after it cannot interleave with another runner's.
        sqlite::Transaction transaction(m_db, sqlite::TransactionKind::Immediate);
        const auto started = std::chrono::steady_clock::now();
        if (!run_step(state, plan, 0)) {
            ++m_progress.skipped; // the transaction rolls back: nothing was written
        } else {
            transaction.commit();
            ++m_progress.done;
            m_observer.on_step_finished(step, std::chrono::duration_cast<std::chrono::microseconds>(
                                                  std::chrono::steady_clock::now() - started));
            run_after_commit(step);
        }
        m_statements.erase(&step); // its count is complete
        plan.steps.pop_front();
    }
}

void Executor::run_as_one(Plan& plan) {
    StateStore state(m_db, m_options.state_table);
    std::vector<const Step*> done;
    try {
        sqlite::Transaction transaction(m_db, sqlite::TransactionKind::Immediate);
        const bool deferred = m_options.foreign_keys == ForeignKeyMode::Deferred && !m_options.fake;
        // The graph as the run starts: the check at the end follows every step's changes.
        if (deferred)
            m_foreign_key_graph.read(m_db);
        m_run_touched = {};
        std::size_t skipped = 0;
        for (std::size_t i = 0; i < plan.steps.size(); ++i) {
            const Step& step = plan.steps[i];
            if (cancelled())
                throw_interrupted(nullptr);
            const auto started = std::chrono::steady_clock::now();
            if (!run_step(state, plan, i)) {
                ++skipped;
                continue;
            }
            done.push_back(&step);
            m_observer.on_step_finished(step, std::chrono::duration_cast<std::chrono::microseconds>(
                                                  std::chrono::steady_clock::now() - started));
        }
        // One check for the whole run, over every table any step touched.
        if (deferred && !done.empty())
            check_deferred_keys(m_run_touched, nullptr);
        transaction.commit();
        m_progress.done = done.size();
        m_progress.skipped = skipped;
    } catch (...) {
        // The transaction is gone by now: say that everything went with it. An interruption
        // says so itself (throw_interrupted).
        if (cancelled())
            throw;
        try {
            rethrow_as_error(m_db.filename(), "running migrations");
        } catch (const Error& e) {
            if (e.kind() == ErrorKind::Interrupted)
                throw;
            Error whole(e.kind(),
                        e.message() +
                            "; the whole run was rolled back (transaction = \"all\"): 0 of " +
                            util::counted(plan.steps.size(), "migration") + " kept",
                        e.where(),
                        e.kind() == ErrorKind::Output
                            ? "run again with the output going somewhere that stays open"
                            : e.hint());
            if (e.sqlite_code())
                whole.with_sqlite_code(*e.sqlite_code());
            whole.with_source_line(e.source_line());
            throw whole;
        }
    }
    // A step leaves the plan once its after-commit section has run (a skipped one has none).
    for (const Step* step : done) {
        while (&plan.steps.front() != step)
            plan.steps.pop_front();
        run_after_commit(*step);
        plan.steps.pop_front();
    }
    plan.steps.clear();
}

} // namespace strata
