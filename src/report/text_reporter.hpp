// SPDX-License-Identifier: MIT
#pragma once

#include "strata/executor/observer.hpp"

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace strata::report {

struct TextReporterOptions {
    bool quiet = false;   // no progress lines, no plan listing (preview SQL is still printed)
    bool verbose = false; // also list forwards plans before running them, and each statement
    bool colour = false;  // ANSI colours for ok / skipped / failed
    bool fake = false;    // --fake: say "Faking" rather than "Applying"
    bool preview = false; // --preview: print only the SQL, so the output can be saved as a script
    // Output goes to a person at a terminal: transient news (waiting for a lock) is shown. A log
    // or a pipe gets only what the run did.
    bool terminal = false;
    // Paths under this folder are shown relative to it; "" shows paths as given.
    std::filesystem::path display_base;
};

// Renders a run as human-readable lines on `out`:
//   Applying core 0001 (create users) ... ok (1.2 ms)
// Plans that reverse migrations are listed first ("  core 0003 (add tags)") so the user sees
// what a confirmation question is about. A write that fails (the reader of a pipe has gone)
// throws Error(Output), which stops the run and rolls back the migration in flight.
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
    // "waiting for the write lock on app.db (held by another connection), up to 5 s" on a line
    // of its own; nothing under quiet or preview.
    void on_waiting_for_lock(std::string_view database, std::chrono::milliseconds timeout) override;
    // "warning: ...", under quiet too; after the step line it arrived during, not inside it.
    void on_warning(std::string_view text) override;
    void on_notice(std::string_view text) override;

    // Ends a progress line left open by a step that threw, so the error that follows starts
    // on a line of its own. Does nothing when no line is open.
    void interrupt();

    // `path` as shown to the user: relative to display_base when it lies under it, control
    // characters escaped (util::printable).
    std::string display_path(const std::filesystem::path& path) const;

  private:
    // Throws Error(Output) when the stream can no longer be written (e.g. a closed pipe).
    void check_output() const;
    std::string paint(std::string_view text, std::string_view colour_code) const;
    void start_line(const Step& step);
    // Ends the open step line with `result` and prints the warnings that waited for it. Does not
    // check the stream: interrupt() runs while an error is on its way out.
    void end_line(std::string_view result);

    std::ostream& m_out;
    TextReporterOptions m_options;
    bool m_line_open = false;
    std::size_t m_previews = 0;
    std::vector<std::string> m_pending_warnings;   // arrived while a step line was open
    std::vector<std::string> m_pending_statements; // verbose: shown when the step line ends
};

// `path` relative to `base` when it lies under it, otherwise as given (normalised).
std::string display_path(const std::filesystem::path& path, const std::filesystem::path& base);

} // namespace strata::report
