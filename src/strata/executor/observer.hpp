// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <string_view>

namespace strata {

struct Plan;
struct Step;

// How the library reports progress. The CLI renders these as text or JSON; an application can
// show them in its own UI. Every method has an empty default.
class RunObserver {
  public:
    virtual ~RunObserver() = default;
    // A plan is about to run (or be previewed, or be confirmed).
    virtual void on_plan(const Plan&) {}
    // --preview: the SQL a step would run.
    virtual void on_preview(const Step&) {}
    virtual void on_step_started(const Step&) {}
    // The step has committed. With one transaction per migration it is freed once this returns
    // and its after-commit section has run: copy what is needed later, and keep no reference
    // to it (nor to the plan on_plan gave).
    virtual void on_step_finished(const Step&, std::chrono::microseconds) {}
    // A statement of the step's SQL has run: `index` counts from 0 over the migration's file
    // (its after-commit section goes on counting), `sql` is the statement as written, `took`
    // the time it took. Not called for the statements a migration written in C++ runs.
    virtual void on_statement_executed(const Step&, std::size_t /*index*/, std::string_view /*sql*/,
                                       std::chrono::microseconds) {}
    // The step was done by another runner between planning and taking the write lock. It is
    // freed once this returns, as for on_step_finished.
    virtual void on_step_skipped(const Step&, std::string_view) {}
    // --clean removed a file.
    virtual void on_file_removed(std::string_view) {}
    // A backup of `database` was written to `backup` before the run's first change.
    virtual void on_backup_created(std::string_view /*database*/, std::string_view /*backup*/) {}
    // A backup (database -> backup) or a restore (backup -> database) has copied `pages_done`
    // of `pages_total` pages; called after each chunk, the last time with done == total. For a
    // backup, `to` is the name it gets unless that name is taken by then.
    virtual void on_backup_progress(std::string_view /*from*/, std::string_view /*to*/,
                                    long long /*pages_done*/, long long /*pages_total*/) {}
    // The schema file was rewritten after a run that changed the database.
    virtual void on_schema_written(std::string_view) {}
    // What a command does beyond what was asked, and why, before it starts, e.g. "notes
    // depends on accounts: applying accounts first". One sentence.
    virtual void on_notice(std::string_view) {}
    // Something the user should know that does not stop the run, e.g. a foreign key SQLite
    // cannot check. One sentence, without a "warning:" prefix.
    virtual void on_warning(std::string_view) {}
    // Another connection holds the lock strata needs on `database`: strata waits for it, up to
    // `timeout`. Called once per wait, when it starts; setting the run's cancel flag here (or
    // later) ends the wait at once with Error(Interrupted).
    virtual void on_waiting_for_lock(std::string_view /*database*/,
                                     std::chrono::milliseconds /*timeout*/) {}
};

} // namespace strata
