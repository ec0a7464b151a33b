// SPDX-License-Identifier: MIT
#pragma once

#include "strata/api/import.hpp"
#include "strata/api/lint.hpp"
#include "strata/api/managers.hpp"
#include "strata/api/many_databases.hpp"
#include "strata/api/verify.hpp"
#include "strata/error.hpp"
#include "strata/executor/observer.hpp"
#include "strata/plan/plan.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata::report {

// The version every JSON document strata prints carries in its "schema" member. Within one
// version fields are only ever added; a removed or changed field makes a new version
// (docs/json.md).
inline constexpr std::string_view k_json_schema = "strata/1";

// Builds one JSON document in a string and keeps track of the commas. Strings go through
// json_string, so any bytes can be written. Misuse (a member without key()) is not checked.
class JsonWriter {
  public:
    // How an array lays out its elements: all on one line, or each on a line of its own
    // (indented by two spaces, the closing bracket on its own line).
    enum class Layout { OneLine, LinePerElement };

    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array(Layout layout = Layout::OneLine);
    JsonWriter& end_array();
    // The name of the next member of the open object.
    JsonWriter& key(std::string_view name);
    JsonWriter& string(std::string_view text);
    // The string, or null when there is none.
    JsonWriter& string_or_null(const std::optional<std::string>& text);
    JsonWriter& boolean(bool value);
    JsonWriter& integer(long long value);
    JsonWriter& null();
    // A duration in milliseconds, with three decimals (microsecond precision).
    JsonWriter& milliseconds(std::chrono::microseconds duration);

    // The document so far.
    const std::string& text() const { return m_out; }

  private:
    void before_value();

    struct Level {
        bool first = true;
        bool line_per_element = false;
    };
    std::string m_out;
    std::vector<Level> m_levels;
    bool m_after_key = false;
};

// Renders statuses as a JSON array with one compact object per line, for example
//   {"app_name":"core","migration_id":"0001","description":"create users",
//    "has_ran":true,"ran_on":"2026-11-21T10:00:00.123Z","status":"applied"}
// (on one line); ran_on is null when has_ran is false; status is "pending", "applied",
// "modified", "missing" or "not runnable" (a migration written in C++, which only the
// application that defines it can run; has_ran is true for the last four). An empty list is
// "[]". Ends with "\n". This array is the "migrations" member of check's document.
std::string render_statuses_json(const std::vector<MigrationStatus>& statuses);

// A wait for another connection's lock (RunObserver::on_waiting_for_lock) as one JSON object on
// one line, ending with "\n":
//   {"event":"waiting_for_lock","database":"app.db","timeout_ms":5000}
std::string render_lock_wait_json(std::string_view database, std::chrono::milliseconds timeout);

// `text` as a JSON string literal, quotes included. Control characters are escaped, bytes that
// are not valid UTF-8 become \ufffd, and the rest passes through unchanged.
std::string json_string(std::string_view text);

// The name of an error kind in JSON documents: "usage", "migration_failed", ... (docs/json.md).
std::string_view error_kind_name(ErrorKind kind);

// What a JSON error document says about the error (docs/json.md, "Errors").
struct JsonError {
    std::string kind; // error_kind_name, or "internal" for a failure that is not strata::Error
    int exit_code = 1;
    std::string message;
    std::optional<std::string> file;
    std::optional<int> line;
    std::optional<int> column;
    std::optional<std::string> hint;
    std::optional<int> sqlite_code;
};

// The JsonError for a strata::Error that makes the process exit with `exit_code`.
JsonError json_error(const Error& error, int exit_code);

// The error document, on one line ending with "\n". `command` is "" when the command line could
// not be read far enough to know it (null in the document).
std::string render_error_json(std::string_view command, const JsonError& error);

// One database of a run over many (`--databases`): its result, its path as JSON names it, and
// its error as the error document would give it (when it failed).
struct ManyJsonEntry {
    DatabaseResult result;
    std::string database;
    std::optional<JsonError> error;
};

// The document of forwards, check or sync over many databases, ending with "\n": "databases",
// one object per database in the order given, and "summary" (docs/json.md). "ok" is false
// when any database failed.
std::string render_many_json(std::string_view command, const std::vector<ManyJsonEntry>& entries,
                             const ManyDatabasesSummary& summary);

// A path as JSON documents name it: absolute (`path` when it is, else `path` seen from `base`,
// an absolute folder), normalised, so a reader anywhere can use it.
std::string json_path(const std::filesystem::path& path, const std::filesystem::path& base);

// The documents of commands that do not run migrations, ending with "\n": check's (its
// "migrations" array is render_statuses_json's, one element per line) ...
std::string render_check_json(std::string_view database,
                              const std::vector<MigrationStatus>& statuses);
// ... lint's: each finding with its id, file (absolute, seen from `base`), line, column and
// whether a comment silenced it; "ok" is false when any finding is not silenced ...
std::string render_lint_json(const LintReport& report, const std::filesystem::path& base);
// ... and new's and init's: the files they created.
std::string render_files_json(std::string_view command, const std::vector<std::string>& files);
// ... and verify's (docs/json.md, "verify"): "ok" is false when a migration's down did not
// restore the database; one element of "migrations" per line.
std::string render_verify_json(std::string_view database, const VerifyReport& report);
// import's: the files written, what was skipped or changed and why, the ids adopted; "ok" is
// false when something was skipped (the exit code is then 1). Paths are made absolute on `base`.
std::string render_import_json(const ImportResult& result, const std::filesystem::path& base);

// Collects a run's progress (RunObserver) and renders the whole run as one JSON document when
// it is over: nothing is written while it runs, so the output is a single valid document.
class JsonReporter : public RunObserver {
  public:
    // `command`: the command's name ("forwards"); `fake`: steps that finish were recorded
    // without running their SQL; `base`: the absolute folder relative paths are seen from.
    JsonReporter(std::string command, bool fake, std::filesystem::path base);

    void on_preview(const Step& step) override;
    void on_step_finished(const Step& step, std::chrono::microseconds elapsed) override;
    void on_step_skipped(const Step& step, std::string_view reason) override;
    void on_file_removed(std::string_view path) override;
    void on_backup_created(std::string_view database, std::string_view backup) override;
    void on_schema_written(std::string_view path) override;
    void on_warning(std::string_view text) override;

    // The run's document for `result`, on `database`, ending with "\n" (each element of its
    // "steps" array on a line of its own).
    std::string render(const MigrationResult& result, std::string_view database) const;

  private:
    struct StepRecord {
        Direction direction = Direction::Forwards;
        std::string app_name;
        std::string migration_id;
        std::string description;
        std::string status; // applied, faked, reversed, skipped, previewed
        std::optional<std::chrono::microseconds> elapsed;
        std::optional<std::string> sql;
        std::optional<std::string> reason;
    };
    void record(const Step& step, std::string status);

    std::string m_command;
    bool m_fake;
    std::filesystem::path m_base;
    std::chrono::steady_clock::time_point m_started;
    std::vector<StepRecord> m_steps;
    std::vector<std::string> m_removed_files;
    std::vector<std::string> m_warnings;
    std::optional<std::string> m_backup;
    std::optional<std::string> m_schema_file;
};

} // namespace strata::report
