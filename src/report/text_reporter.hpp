// SPDX-License-Identifier: MIT
#pragma once

#include "strata/executor/observer.hpp"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace strata::report {

struct TextReporterOptions {
    bool quiet = false;   // no progress lines, no plan listing (preview SQL is still printed)
    bool verbose = false; // also list forwards plans before running them, and each statement
    bool colour = false;  // ANSI colours for ok / skipped / failed
    bool fake = false;    // --fake: say "Faking" rather than "Applying"
    bool preview = false; // --preview: print only the SQL, so the output can be saved as a script
    // Output goes to a person at a terminal: live news is shown (a step's elapsed time after a
    // second, a wait for the lock after a second, a backup's progress), rewritten in place with
    // carriage returns. A log or a pipe gets only what the run did.
    bool terminal = false;
    // Paths under this folder are shown relative to it; "" shows paths as given.
    std::filesystem::path display_base;
    // Where questions go (the CLI: standard error, as git and apt ask): a plan that reverses
    // anything is listed there, just before the question about it. Null: on the output.
    std::ostream* question_out = nullptr;
    // The clock live news is timed by; null: std::chrono::steady_clock. Tests inject their own.
    std::function<std::chrono::steady_clock::time_point()> clock;
};

// Renders a run as human-readable lines on `out`:
//   Applying core 0001 (create users) ... ok (1.2 ms)
// Plans that reverse migrations are listed first ("  core 0003 (add tags)") so the user sees
// what a confirmation question is about. A write that fails (the reader of a pipe has gone)
// throws Error(Output), which stops the run and rolls back the migration in flight. Safe to
// call from two threads: the run's, and a ProgressTicker's tick().
class TextReporter : public RunObserver {
  public:
    TextReporter(std::ostream& out, TextReporterOptions options);

    void on_plan(const Plan& plan) override;
    void on_preview(const Step& step) override;
    void on_step_started(const Step& step) override;
    void on_step_finished(const Step& step, std::chrono::microseconds elapsed) override;
    void on_step_skipped(const Step& step, std::string_view reason) override;
    // Under verbose only: "    statement 1: CREATE TABLE users (... (0.1 ms)" after the step's
    // line (the statement's first line, at most 60 characters).
    void on_statement_executed(const Step& step, std::size_t index, std::string_view sql,
                               std::chrono::microseconds took) override;
    void on_file_removed(std::string_view path) override;
    // "Backed up app.db to app.db.20261121T093000.123Z.bak"; nothing under quiet.
    void on_backup_created(std::string_view database, std::string_view backup) override;
    // "Wrote schema.sql"; nothing under quiet.
    void on_schema_written(std::string_view path) override;
    // On a terminal, once the wait has lasted a second (see tick()): "waiting for the write lock
    // on app.db (held by another connection), up to 5 s" on a line of its own; nothing under
    // quiet or preview. Any later event means the wait is over.
    void on_waiting_for_lock(std::string_view database, std::chrono::milliseconds timeout) override;
    // On a terminal, "Copying app.db ... 40%" rewritten in place while the copy lasts, and
    // erased when it is done; nothing for a copy done in one chunk, or under quiet.
    void on_backup_progress(std::string_view from, std::string_view to, long long pages_done,
                            long long pages_total) override;
    // "warning: ...", under quiet too; after the step line it arrived during, not inside it.
    void on_warning(std::string_view text) override;
    void on_notice(std::string_view text) override;

    // Ends a progress line left open by a step that threw, so the error that follows starts
    // on a line of its own. Does nothing when no line is open.
    void interrupt();

    // Brings live news up to date with the clock: the open step's elapsed time, once it runs
    // for a second ("Applying core 0003 (big) ... 4 s"), and a lock wait that has lasted a
    // second. Only on a terminal. Never throws: a ProgressTicker calls it from its thread.
    void tick();
    // The run is over: live news stops, so nothing is written into the output that follows.
    void settle();

    // `path` as shown to the user: relative to display_base when it lies under it, control
    // characters escaped (util::printable).
    std::string display_path(const std::filesystem::path& path) const;

  private:
    struct LockWait {
        std::string database;
        std::chrono::milliseconds timeout;
        std::chrono::steady_clock::time_point since;
    };

    // Throws Error(Output) when the stream can no longer be written (e.g. a closed pipe).
    void check_output() const;
    std::chrono::steady_clock::time_point now() const;
    bool live() const;
    // Something happened, so a wait for the lock is over; a copy's progress line is erased.
    void news();
    // interrupt() without the lock, for the event methods that hold it.
    void close_line();
    std::string paint(std::string_view text, std::string_view colour_code) const;
    void start_line(const Step& step);
    // Ends the open step line with `result` and prints the warnings that waited for it. Does not
    // check the stream: interrupt() runs while an error is on its way out.
    void end_line(std::string_view result);

    std::ostream& m_out;
    TextReporterOptions m_options;
    mutable std::mutex m_mutex; // the run's thread and the ticker's write to m_out in turn
    bool m_line_open = false;
    std::string m_line;                                 // the open step line as written
    std::chrono::steady_clock::time_point m_line_start; // when it was written
    std::size_t m_elapsed_width = 0;                    // of the elapsed time shown after it
    long long m_elapsed_shown = 0;                      // seconds
    std::optional<LockWait> m_wait;                     // not yet shown
    std::size_t m_copy_width = 0; // of the copy's progress line on screen; 0: none
    bool m_settled = false;
    std::size_t m_previews = 0;
    std::vector<std::string> m_pending_warnings;   // arrived while a step line was open
    std::vector<std::string> m_pending_statements; // verbose: shown when the step line ends
};

// Calls reporter.tick() every `period` on a thread of its own, from construction to destruction,
// so live news moves while the run's thread waits inside SQLite (a long statement, a lock).
class ProgressTicker {
  public:
    explicit ProgressTicker(TextReporter& reporter,
                            std::chrono::milliseconds period = std::chrono::milliseconds(200));
    // Stops and joins the thread.
    ~ProgressTicker();
    ProgressTicker(const ProgressTicker&) = delete;
    ProgressTicker& operator=(const ProgressTicker&) = delete;

  private:
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_stop = false;
    std::thread m_thread;
};

// `path` relative to `base` when it lies under it, otherwise as given (normalised).
std::string display_path(const std::filesystem::path& path, const std::filesystem::path& base);

} // namespace strata::report
