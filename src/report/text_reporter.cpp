// SPDX-License-Identifier: MIT
#include "report/text_reporter.hpp"

#include "report/status_table.hpp"
#include "strata/error.hpp"
#include "strata/plan/plan.hpp"
#include "util/printable.hpp"
#include "util/text.hpp"
#include "util/time_format.hpp"

#include <algorithm>
#include <ostream>
#include <utility>

namespace strata::report {
namespace {

constexpr std::string_view k_green = "32";
constexpr std::string_view k_yellow = "33";
constexpr std::string_view k_red = "31";

// Labels hold ids, descriptions and app names read back from the database, and paths may hold
// anything a file name can: one-line fields, shown with their control characters escaped so
// they cannot rewrite the terminal (a description ending in ESC [2K CR would hide the line a
// confirmation question is about).
std::string field(std::string_view text) {
    return util::printable(text, util::Layout::OneLine);
}

// "5 s", "1.5 s", "250 ms": a busy timeout as a person would say it.
std::string timeout_text(std::chrono::milliseconds timeout) {
    const long long ms = timeout.count();
    if (ms < 1000)
        return std::to_string(ms) + " ms";
    std::string out = std::to_string(ms / 1000);
    if (ms % 1000 != 0) {
        std::string fraction = std::to_string(1000 + ms % 1000).substr(1);
        fraction.erase(fraction.find_last_not_of('0') + 1);
        out += "." + fraction;
    }
    return out + " s";
}

} // namespace

TextReporter::TextReporter(std::ostream& out, TextReporterOptions options)
    : m_out(out), m_options(std::move(options)) {}

void TextReporter::on_plan(const Plan& plan) {
    const std::lock_guard lock(m_mutex);
    news();
    if (m_options.quiet || m_options.preview)
        return;
    // Before a confirmation question the user must see exactly what would be undone; a plan
    // that also applies (goto, sync) says so, marking each line with its direction.
    if (plan.reverses_anything()) {
        const bool mixed = std::any_of(plan.steps.begin(), plan.steps.end(), [](const Step& s) {
            return s.direction == Direction::Forwards;
        });
        std::ostream& out = m_options.question_out ? *m_options.question_out : m_out;
        for (const Step& step : plan.steps) {
            if (mixed)
                out << (step.direction == Direction::Backwards ? "  reverse " : "  apply   ")
                    << field(step.label()) << '\n';
            else
                out << "  " << field(step.label()) << '\n';
        }
        out << std::flush;
        check_output();
        return;
    }
    // What --fake will record is listed before anything is recorded (and before it asks).
    if (m_options.fake && !plan.empty()) {
        m_out << "To record as applied without running them:\n";
        for (const Step& step : plan.steps)
            m_out << "  " << field(step.label()) << '\n';
        m_out << std::flush;
        check_output();
        return;
    }
    if (m_options.verbose && !plan.empty()) {
        m_out << util::counted(plan.steps.size(), "migration") << " to apply:\n";
        for (const Step& step : plan.steps)
            m_out << "  " << field(step.label()) << '\n';
        m_out << std::flush;
        check_output();
    }
}

void TextReporter::on_preview(const Step& step) {
    const std::lock_guard lock(m_mutex);
    if (m_previews++ > 0)
        m_out << '\n';
    m_out << "-- " << field(step.label()) << ": "
          << (step.runs_stored_sql() ? std::string("stored down SQL")
                                     : display_path(step.sql_path()))
          << '\n';
    if (step.code != nullptr) {
        m_out << "-- written in C++ (version " << field(step.code->version) << "): no SQL to show\n"
              << std::flush;
        check_output();
        return;
    }
    // Stored down SQL comes from the database; line breaks and tabs keep the script readable.
    m_out << util::printable(step.sql);
    if (!step.sql.empty() && step.sql.back() != '\n')
        m_out << '\n';
    m_out << std::flush;
    check_output();
}

void TextReporter::on_step_started(const Step& step) {
    const std::lock_guard lock(m_mutex);
    news();
    if (m_options.quiet)
        return;
    start_line(step);
}

void TextReporter::on_step_finished(const Step& step, std::chrono::microseconds elapsed) {
    const std::lock_guard lock(m_mutex);
    news();
    if (m_options.quiet)
        return;
    if (!m_line_open)
        start_line(step);
    end_line(paint("ok", k_green) + " (" + util::format_duration(elapsed) + ")");
    check_output();
}

void TextReporter::on_step_skipped(const Step& step, std::string_view reason) {
    const std::lock_guard lock(m_mutex);
    news();
    // A concurrent runner got there first: the run's summary says so; the detail is for -v.
    if (m_options.quiet || !m_options.verbose)
        return;
    if (!m_line_open)
        start_line(step);
    end_line(paint("skipped", k_yellow) + " (" + field(reason) + ")");
    check_output();
}

void TextReporter::on_statement_executed(const Step&, std::size_t index, std::string_view sql,
                                         std::chrono::microseconds took) {
    const std::lock_guard lock(m_mutex);
    if (m_options.quiet || !m_options.verbose)
        return;
    constexpr std::size_t k_shown = 60;
    std::string_view first_line = sql.substr(0, sql.find('\n'));
    std::string shown = truncate_to_width(first_line, k_shown);
    if (shown.size() < sql.size() && shown.size() == first_line.size())
        shown += " …";
    std::string line = "    statement " + std::to_string(index + 1) + ": " + field(shown) + " (" +
                       util::format_duration(took) + ")";
    // Statements run while "Applying ... " waits for its result; they follow that line.
    if (m_line_open) {
        m_pending_statements.push_back(std::move(line));
        return;
    }
    m_out << line << '\n' << std::flush;
    check_output();
}

void TextReporter::on_file_removed(std::string_view path) {
    const std::lock_guard lock(m_mutex);
    news();
    if (m_options.quiet)
        return;
    close_line();
    m_out << "Removed " << display_path(std::filesystem::path(path)) << '\n' << std::flush;
    check_output();
}

void TextReporter::on_backup_created(std::string_view database, std::string_view backup) {
    const std::lock_guard lock(m_mutex);
    news();
    if (m_options.quiet)
        return;
    close_line();
    m_out << "Backed up "
          << (database.empty() ? std::string("the database")
                               : display_path(std::filesystem::path(database)))
          << " to " << display_path(std::filesystem::path(backup)) << '\n'
          << std::flush;
    check_output();
}

void TextReporter::on_schema_written(std::string_view path) {
    const std::lock_guard lock(m_mutex);
    news();
    if (m_options.quiet)
        return;
    // After a failed step the progress line is still open; the failure shows before this.
    close_line();
    m_out << "Wrote " << display_path(std::filesystem::path(path)) << '\n' << std::flush;
    check_output();
}

void TextReporter::on_waiting_for_lock(std::string_view database,
                                       std::chrono::milliseconds timeout) {
    const std::lock_guard lock(m_mutex);
    // The wait comes before a step's line (BEGIN IMMEDIATE) or a backup, never inside a line.
    // Most waits are over in a few milliseconds: only one that lasts is worth a line (tick()).
    if (!live() || m_line_open)
        return;
    m_wait = LockWait{std::string(database), timeout, now()};
}

void TextReporter::on_backup_progress(std::string_view from, std::string_view, long long pages_done,
                                      long long pages_total) {
    const std::lock_guard lock(m_mutex);
    m_wait.reset();
    if (!live() || m_line_open)
        return;
    if (pages_done >= pages_total || pages_total <= 0) {
        news(); // done: the line that follows ("Backed up ...") takes its place
        return;
    }
    std::string line = "Copying " + display_path(std::filesystem::path(from)) + " ... " +
                       std::to_string(pages_done * 100 / pages_total) + "%";
    const std::size_t width = display_width(line);
    m_out << '\r' << line << std::string(m_copy_width > width ? m_copy_width - width : 0, ' ')
          << std::flush;
    m_copy_width = std::max(m_copy_width, width);
    check_output();
}

void TextReporter::on_notice(std::string_view text) {
    if (m_options.quiet || m_options.preview)
        return;
    interrupt();
    m_out << field(text) << '\n' << std::flush;
    check_output();
}

void TextReporter::on_warning(std::string_view text) {
    const std::lock_guard lock(m_mutex);
    news();
    // A warning in the middle of "Applying ... ok" would split the line; it waits for the end.
    if (m_line_open) {
        m_pending_warnings.emplace_back(text);
        return;
    }
    // Warnings name tables and columns read back from the database: escaped like labels.
    m_out << paint("warning", k_yellow) << ": " << field(text) << '\n' << std::flush;
    check_output();
}

void TextReporter::interrupt() {
    const std::lock_guard lock(m_mutex);
    news();
    close_line();
}

void TextReporter::tick() {
    const std::lock_guard lock(m_mutex);
    if (!live())
        return;
    try {
        const auto at = now();
        // Whole seconds: a counter that changes four times a second is noise, and the exact
        // time comes with the result.
        if (m_line_open) {
            const long long seconds =
                std::chrono::duration_cast<std::chrono::seconds>(at - m_line_start).count();
            if (seconds >= 1 && seconds != m_elapsed_shown) {
                const std::string text = std::to_string(seconds) + " s";
                m_out << '\r' << m_line << text << std::flush;
                m_elapsed_width = std::max(m_elapsed_width, text.size());
                m_elapsed_shown = seconds;
            }
        }
        if (m_wait && !m_line_open && m_copy_width == 0 &&
            at - m_wait->since >= std::chrono::seconds(1)) {
            m_out << "waiting for the write lock on "
                  << display_path(std::filesystem::path(m_wait->database))
                  << " (held by another connection), up to " << timeout_text(m_wait->timeout)
                  << '\n'
                  << std::flush;
            m_wait.reset();
        }
    } catch (...) {
        // The run's own next write reports a broken stream; the ticker's thread must not end
        // the process over it.
    }
}

void TextReporter::settle() {
    const std::lock_guard lock(m_mutex);
    news();
    m_settled = true;
}

std::chrono::steady_clock::time_point TextReporter::now() const {
    return m_options.clock ? m_options.clock() : std::chrono::steady_clock::now();
}

bool TextReporter::live() const {
    return m_options.terminal && !m_options.quiet && !m_options.preview && !m_settled;
}

void TextReporter::news() {
    m_wait.reset();
    if (m_copy_width == 0)
        return;
    // Erased with blanks rather than an escape sequence, which a dumb terminal would print.
    m_out << '\r' << std::string(m_copy_width, ' ') << '\r' << std::flush;
    m_copy_width = 0;
}

void TextReporter::close_line() {
    if (!m_line_open)
        return;
    end_line(paint("failed", k_red));
}

void TextReporter::end_line(std::string_view result) {
    // The elapsed time shown on a terminal gives way to the result.
    if (m_elapsed_width > 0)
        m_out << '\r' << m_line << std::string(m_elapsed_width, ' ') << '\r' << m_line;
    m_out << result << '\n';
    m_line_open = false;
    m_elapsed_width = 0;
    m_elapsed_shown = 0;
    for (const std::string& statement : std::exchange(m_pending_statements, {}))
        m_out << statement << '\n';
    for (const std::string& warning : std::exchange(m_pending_warnings, {}))
        m_out << paint("warning", k_yellow) << ": " << field(warning) << '\n';
    m_out << std::flush;
}

void TextReporter::check_output() const {
    // SIGPIPE is ignored, so a reader that went away shows up here, as a failed stream. The
    // exception stops the run where it is: the migration in flight is rolled back.
    if (!m_out)
        throw Error(ErrorKind::Output,
                    "cannot write the progress output: whatever was reading it has closed it", {},
                    "the run stopped here; migrations reported done before stay applied (see "
                    "`strata check`); run again with the output going somewhere that stays open");
}

std::string TextReporter::display_path(const std::filesystem::path& path) const {
    return field(report::display_path(path, m_options.display_base));
}

std::string TextReporter::paint(std::string_view text, std::string_view colour_code) const {
    if (!m_options.colour)
        return std::string(text);
    return "\033[" + std::string(colour_code) + "m" + std::string(text) + "\033[0m";
}

void TextReporter::start_line(const Step& step) {
    std::string_view verb = "Applying";
    if (step.direction == Direction::Backwards)
        verb = "Reversing";
    else if (m_options.fake)
        verb = "Faking";
    // Flushed without a newline so a slow migration shows what it is working on.
    m_line = std::string(verb) + ' ' + field(step.label()) + " ... ";
    m_out << m_line << std::flush;
    m_line_open = true;
    m_line_start = now();
    m_elapsed_width = 0;
    m_elapsed_shown = 0;
    check_output();
}

ProgressTicker::ProgressTicker(TextReporter& reporter, std::chrono::milliseconds period) {
    m_thread = std::thread([this, &reporter, period] {
        std::unique_lock lock(m_mutex);
        while (!m_wake.wait_for(lock, period, [this] { return m_stop; })) {
            lock.unlock();
            reporter.tick();
            lock.lock();
        }
    });
}

ProgressTicker::~ProgressTicker() {
    {
        const std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_one();
    m_thread.join();
}

std::string display_path(const std::filesystem::path& path, const std::filesystem::path& base) {
    std::filesystem::path normal = path.lexically_normal();
    if (!base.empty() && normal.is_absolute()) {
        std::filesystem::path relative = normal.lexically_relative(base.lexically_normal());
        if (!relative.empty() && *relative.begin() != "..")
            return relative.string();
    }
    return normal.string();
}

} // namespace strata::report
