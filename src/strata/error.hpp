// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

namespace strata {

// Where something came from: a file and, when known, a 1-based line and column.
struct SourceLocation {
    std::string path;
    int line = 0;
    int column = 0;

    // "path:line:col", "path:line" or "path", depending on what is known.
    std::string to_string() const;
};

// What went wrong, coarse enough for the CLI to pick an exit code from.
enum class ErrorKind {
    Usage,            // bad arguments or an unknown app
    UnknownMigration, // a migration id that the app does not have (or has not applied)
    ProjectFile,      // strata.toml is malformed or inconsistent
    MigrationFiles,   // the migration set on disk is malformed
    MigrationFailed,  // a migration's SQL failed; that migration was rolled back
    Busy,             // the database stayed locked past busy_timeout
    Database,         // the database could not be opened, read or written
    Refused,          // the run cannot proceed safely as asked (e.g. no terminal to confirm on)
    Drift,         // the database and the files disagree (edited, missing, unknown, out of order)
    NewerDatabase, // the database has applied migrations this program does not have: a newer
                   // release migrated it (SyncMigrationManager downgrades it)
    Interrupted,   // a signal stopped the run; the migration in flight was rolled back
    Output,        // progress could not be written (a closed pipe); the run stopped there
};

// Who reads an error's hint: an application's developer, who calls the library (the default),
// or a person at the command line. Hints name what to do in the reader's words.
enum class Audience { Library, CommandLine };

// Sets the audience of the hints built on this thread while it lives, then restores the one
// before. Without one, hints speak to the library's caller; the CLI runs inside a CommandLine
// scope.
class AudienceScope {
  public:
    explicit AudienceScope(Audience audience);
    ~AudienceScope();
    AudienceScope(const AudienceScope&) = delete;
    AudienceScope& operator=(const AudienceScope&) = delete;

  private:
    Audience m_previous;
};

// The audience of hints built now, on this thread.
Audience current_audience();

// The one exception type the library throws. what() is already formatted for users:
// "path:line:col: message" followed by an optional hint line.
class Error : public std::runtime_error {
  public:
    Error(ErrorKind kind, std::string message, SourceLocation where = {}, std::string hint = {});

    ErrorKind kind() const { return m_kind; }
    const std::string& message() const { return m_message; }
    const SourceLocation& where() const { return m_where; }
    const std::string& hint() const { return m_hint; }
    // SQLite's extended result code when the error came from SQLite.
    std::optional<int> sqlite_code() const { return m_sqlite_code; }
    Error& with_sqlite_code(int code);
    // The text of the line where() points at (without its line break), so that a reader can be
    // shown it with a marker under the column; "" when not known. what() does not include it.
    const std::string& source_line() const { return m_source_line; }
    Error& with_source_line(std::string line);

  private:
    ErrorKind m_kind;
    std::string m_message;
    SourceLocation m_where;
    std::string m_hint;
    std::optional<int> m_sqlite_code;
    std::string m_source_line;
};

} // namespace strata
