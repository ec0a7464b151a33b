// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

// How foreign keys are enforced while a migration runs.
enum class ForeignKeyMode {
    Deferred,  // off during the migration, then checked (on the tables it touched) before COMMIT
    Immediate, // enforced statement by statement
    Off,       // neither enforced nor checked: for databases that already hold violations
};

// What forwards does with a pending migration older than the newest applied one of its app.
enum class OutOfOrder { Error, Allow };

// Whether each migration commits on its own or the whole run commits as one.
enum class TransactionScope { Each, All };

// The journal mode set before migrating. OFF and MEMORY are refused by the parser and have no
// value here: without a journal on disk a crash mid-migration can corrupt the file.
enum class JournalMode {
    Unchanged, // the project sets none: the database keeps the mode it has
    Delete,
    Truncate,
    Persist,
    Wal,
};

// The synchronous level migrations run with. NORMAL and OFF are refused by the parser and have
// no value here: a migration reported as applied must survive a power cut.
enum class Synchronous { Full, Extra };

// The name of strata's state table when strata.toml sets none (the name strata always used).
inline constexpr std::string_view k_default_state_table = "migrations";

// The safety settings of strata.toml (top-level keys); the CLI may override some.
struct Settings {
    ForeignKeyMode foreign_keys = ForeignKeyMode::Deferred;
    OutOfOrder out_of_order = OutOfOrder::Error;
    TransactionScope transaction = TransactionScope::Each;
    JournalMode journal_mode = JournalMode::Unchanged;
    Synchronous synchronous = Synchronous::Full;
    bool backup = false;               // copy the database before the first change of a run
    int keep_backups = 3;              // backups kept per database (1..1000); older ones go
    std::filesystem::path schema_file; // "" = none; else written after every changing run
    // The table strata records applied migrations in, in the main database: a plain
    // identifier (see state_table_problem), so a project's own table can keep its name.
    std::string state_table = std::string(k_default_state_table);
    // The oldest SQLite the application ships with, counted as sqlite3_libversion_number()
    // counts (3031000 for "3.31"); 0 when unset: `lint` then skips its newer-sqlite check.
    int minimum_sqlite = 0;
    // The SQL functions the application registers on its own connections: `lint` (and anything
    // else that runs the migrations outside the application) gives each a stand-in.
    std::vector<std::string> functions{};
};

// What reading one setting's text gives: the value, or why there is none.
template <typename T>
struct Parsed {
    std::optional<T> value; // set when the text names a value strata accepts
    bool refused = false;   // the text names a value strata knows and refuses
    // Without a value: "`key` must be one of \"a\", \"b\", found \"x\"", or why the value is
    // refused.
    std::string message;
    std::string hint;                    // without a value: what to write instead, or ""
    std::vector<std::string_view> valid; // the names strata accepts, in documentation order
};

// The one reading of each setting's text, shared by strata.toml, the command line and library
// callers. Names are lower case and matched in any ASCII case ("WAL" is "wal"), as SQLite reads
// its pragma values. They never throw.
Parsed<ForeignKeyMode> parse_foreign_keys(std::string_view text);
Parsed<OutOfOrder> parse_out_of_order(std::string_view text);
Parsed<TransactionScope> parse_transaction(std::string_view text);
Parsed<JournalMode> parse_journal_mode(std::string_view text);
Parsed<Synchronous> parse_synchronous(std::string_view text);

// The name a value is written as in strata.toml ("deferred", "wal", ...); "" for
// JournalMode::Unchanged and for a value outside the enum.
std::string_view name_of(ForeignKeyMode mode);
std::string_view name_of(OutOfOrder policy);
std::string_view name_of(TransactionScope scope);
std::string_view name_of(JournalMode mode);
std::string_view name_of(Synchronous level);

// The limits of the numeric settings, the same for strata.toml and library callers: nullopt
// when `value` is allowed, else the message saying why not ("`keep_backups` must be ...").
std::optional<std::string> keep_backups_problem(std::int64_t value);
std::optional<std::string> busy_timeout_ms_problem(std::int64_t value);
// The rule for `state_table`: nullopt for a plain identifier ([A-Za-z_][A-Za-z0-9_]*) that
// does not start with "sqlite_" (any case), else the message saying why not.
std::optional<std::string> state_table_problem(std::string_view name);

// "3.31" or "3.31.1" (major version 3) as sqlite3_libversion_number() counts it (3031000,
// 3031001); nullopt for any other text.
std::optional<int> parse_sqlite_version(std::string_view text);
// The other way: 3031000 is "3.31", 3031001 is "3.31.1".
std::string sqlite_version_name(int number);
// The rule for an entry of `functions`: nullopt for a plain identifier, else why not.
std::optional<std::string> function_name_problem(std::string_view name);

// Checks what strata.toml could never produce: an enum field holding a value outside its type
// (a cast in a library caller), keep_backups out of range or a state_table name that is not a
// plain identifier. Throws Error(Usage) naming the setting.
void check_settings(const Settings& settings);

} // namespace strata
