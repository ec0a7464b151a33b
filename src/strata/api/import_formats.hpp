// SPDX-License-Identifier: MIT
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

// The other migration runners whose folders `import` converts.
enum class ImportFormat { GolangMigrate, Goose, Dbmate, Sqlx, Diesel };

// The format named `name` ("golang-migrate", "goose", "dbmate", "sqlx", "diesel"), or nullopt.
std::optional<ImportFormat> parse_import_format(std::string_view name);
// The name parse_import_format accepts for `format`.
std::string_view import_format_name(ImportFormat format);
// Every format's name, comma-separated, for messages.
std::string import_format_names();

// One migration of another tool, converted to strata's paired texts.
struct ImportedMigration {
    std::string id;       // the version's digits as written (diesel's date without dashes)
    std::string slug;     // the name after the version, a strata slug
    std::string up_sql;   // CRLF kept as in the source; the loader normalises it
    std::string down_sql; // empty when the tool had no down for it
    bool has_down = false;
    std::string source; // the file or folder it came from, for messages
};

// A file or migration that was not converted, or was converted with a change, and why.
struct ImportNote {
    std::string source;
    std::string reason;
};

// What reading another tool's folder gave.
struct ImportReading {
    std::vector<ImportedMigration> migrations; // ordered by id
    std::vector<ImportNote> skipped;           // not converted
    std::vector<ImportNote> notes;             // converted, but not exactly as the tool runs it
};

// One single-file migration split at its markers (goose, dbmate): `problem` is set (and the
// rest meaningless) when the file cannot be converted.
struct SplitMigration {
    std::string up_sql;
    std::string down_sql;
    bool has_down = false;
    bool up_without_transaction = false; // the tool runs the up section outside a transaction
    bool down_without_transaction = false;
    std::string problem;
};

// Splits a goose SQL file at `-- +goose Up` / `-- +goose Down`, dropping the StatementBegin/End
// annotations (strata splits statements with SQLite's parser) and noting NO TRANSACTION.
SplitMigration split_goose(std::string_view text);
// Splits a dbmate file at `-- migrate:up` / `-- migrate:down`, noting `transaction:false`.
SplitMigration split_dbmate(std::string_view text);

// The text strata runs for SQL that the tool ran outside a transaction: after strata's
// `-- strata:after-commit` line when every statement is a VACUUM (which is what that section
// allows), else nullopt (the SQL then runs inside strata's transaction).
std::optional<std::string> as_after_commit(std::string_view sql);

// Reads the migrations of `format` in `dir`, converting each one it can. Throws
// Error(MigrationFiles) when the folder cannot be read, or two migrations share an id.
ImportReading read_import_folder(ImportFormat format, const std::filesystem::path& dir);

} // namespace strata
