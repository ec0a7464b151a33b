// SPDX-License-Identifier: MIT
#include "cli/command_table.hpp"

#include <array>

namespace strata::cli {
namespace {

// The commands that run migrations and so take the safety overrides.
constexpr unsigned k_running = command_bit(Command::Forwards) | command_bit(Command::Backwards) |
                               command_bit(Command::Goto) | command_bit(Command::Redo) |
                               command_bit(Command::Sync);

// The commands that can read their project from a bundle file instead of strata.toml.
// verify among them: a release's bundle can be checked against a copy of a device's database.
constexpr unsigned k_bundled =
    k_running | command_bit(Command::Check) | command_bit(Command::Verify);

// The commands that may ask before changing something.
constexpr unsigned k_asking =
    k_running | command_bit(Command::Clean) | command_bit(Command::Restore);

// The commands that report what they did, and so print it as one JSON document under --json
// (docs/json.md). A command added to k_running or k_asking gets --json with them.
constexpr unsigned k_reporting = k_running | k_asking | command_bit(Command::Check) |
                                 command_bit(Command::Repair) | command_bit(Command::New) |
                                 command_bit(Command::Init) | command_bit(Command::Verify) |
                                 command_bit(Command::Lint) | command_bit(Command::Import);

// The commands that can run over many databases (--databases, --databases-from).
constexpr unsigned k_many =
    command_bit(Command::Forwards) | command_bit(Command::Check) | command_bit(Command::Sync);

// The order of the rows is the order of `strata --help`; "did you mean" also walks it, so a
// tie between two equally close names goes to the earlier row.
constexpr std::array<OptionSpec, 37> k_options{{
    {OptionId::Project, "project", 'p', "FILE", OptionGroup::Global, 0, "",
     "the project file (default: the nearest strata.toml here or in a parent folder)", ""},
    {OptionId::Directory, "directory", 'C', "DIR", OptionGroup::Global, 0, "",
     "run as if strata had been started in DIR", ""},
    {OptionId::Database, "database", '\0', "PATH", OptionGroup::Global, 0, "",
     "the database to migrate, instead of the project file's",
     "the environment variable STRATA_DATABASE does the same"},
    {OptionId::EnvFile, "env-file", '\0', "FILE", OptionGroup::Global, 0, "",
     "read ${VAR} values from FILE instead of the project folder's .env",
     "variables already in the environment win"},
    {OptionId::NoDotenv, "no-dotenv", '\0', "", OptionGroup::Global, 0, "",
     "read no .env file; ${VAR} comes from the environment only", ""},
    {OptionId::BusyTimeout, "busy-timeout", '\0', "MS", OptionGroup::Global, 0, "",
     "wait at most MS milliseconds for a lock another connection holds (busy_timeout_ms)", ""},
    {OptionId::Quiet, "quiet", 'q', "", OptionGroup::Global, 0, "",
     "print only errors, questions and what was asked for",
     "check prints nothing: with --exit-code its exit code is the answer"},
    {OptionId::Verbose, "verbose", 'v', "", OptionGroup::Global, 0, "",
     "also print the project file and database in use, and each statement run", ""},
    {OptionId::Help, "help", 'h', "", OptionGroup::Global, 0, "", "show this help",
     "`strata help COMMAND` for one command"},
    {OptionId::Version, "version", '\0', "", OptionGroup::Global, 0, "", "print the version", ""},
    {OptionId::Colour, "color", '\0', "WHEN", OptionGroup::Global, 0, "",
     "colour the output: auto (on a terminal, unless NO_COLOR is non-empty or TERM=dumb), "
     "always or never",
     "default: auto"},
    {OptionId::Fake, "fake", '\0', "", OptionGroup::Command, command_bit(Command::Forwards), "",
     "record the migrations as applied without running their SQL",
     "lists them and asks first when there is more than one, unless --yes; check marks them "
     "(fake)"},
    {OptionId::Preview, "preview", '\0', "", OptionGroup::Command, k_running, "",
     "print the SQL that would run; change nothing", ""},
    {OptionId::Yes, "yes", 'y', "", OptionGroup::Command, k_asking, "",
     "do not ask for confirmation", "needed when standard input is not a terminal"},
    {OptionId::Yes, "auto-agree", '\0', "", OptionGroup::Command, k_asking, "yes",
     "do not ask for confirmation", ""},
    {OptionId::AllowModified, "allow-modified", '\0', "", OptionGroup::Safety, k_running, "",
     "run although applied migrations' up files were edited", ""},
    {OptionId::Atomic, "atomic", '\0', "", OptionGroup::Safety, k_running, "",
     "commit the whole run as one transaction (transaction = \"all\")", ""},
    {OptionId::Backup, "backup", '\0', "", OptionGroup::Safety, k_running, "",
     "copy the database before the first change (backup = true)", ""},
    {OptionId::OutOfOrder, "out-of-order", '\0', "", OptionGroup::Safety, k_running, "",
     "apply pending migrations older than the newest applied one (out_of_order = \"allow\")", ""},
    {OptionId::ForeignKeys, "foreign-keys", '\0', "MODE", OptionGroup::Safety, k_running, "",
     "deferred (check before COMMIT), immediate or off (foreign_keys = MODE)", ""},
    {OptionId::Steps, "steps", '\0', "N", OptionGroup::Command, command_bit(Command::Backwards), "",
     "reverse the N most recently applied migrations", ""},
    {OptionId::Clean, "clean", '\0', "", OptionGroup::Command, command_bit(Command::Backwards), "",
     "delete the reversed migrations' files afterwards", ""},
    {OptionId::Json, "json", '\0', "", OptionGroup::Command, k_reporting, "",
     "print the result as one JSON document, and errors as JSON on stderr",
     "never asks (add --yes); check's \"migrations\" holds {\"app_name\", \"migration_id\", "
     "\"description\", \"has_ran\", \"ran_on\", \"status\", \"fake\"}; schema: docs/json.md"},
    {OptionId::ExitCode, "exit-code", '\0', "", OptionGroup::Command, command_bit(Command::Check),
     "", "exit with 3 when any migration is pending, modified or missing", ""},
    {OptionId::SqlUp, "sql-up", '\0', "SQL", OptionGroup::Command, command_bit(Command::New), "",
     "the content of the up file (default: a comment to replace)", ""},
    {OptionId::SqlDown, "sql-down", '\0', "SQL", OptionGroup::Command, command_bit(Command::New),
     "", "the content of the down file (default: a comment to replace)", ""},
    {OptionId::Seq, "seq", '\0', "", OptionGroup::Command, command_bit(Command::New), "",
     "number a new app's migrations 0001, 0002, ... instead of by time",
     "an app that already counts goes on counting without it"},
    {OptionId::Output, "output", 'o', "FILE", OptionGroup::Command,
     command_bit(Command::Embed) | command_bit(Command::Bundle), "",
     "the file to write: C++ source (embed) or the bundle (replaced if it exists)", ""},
    {OptionId::Namespace, "namespace", '\0', "NAME", OptionGroup::Command,
     command_bit(Command::Embed), "", "the C++ namespace of the generated functions",
     "default: strata_embedded; two generated files need two names"},
    {OptionId::BundleFile, "bundle", '\0', "FILE", OptionGroup::Command, k_bundled, "",
     "read settings, apps and migrations from a bundle file instead of strata.toml",
     "needs --database (or STRATA_DATABASE); strata.toml is not read"},
    {OptionId::Label, "label", '\0', "LABEL", OptionGroup::Command, command_bit(Command::Bundle),
     "", "the release label stored in the bundle (default: none)", ""},
    {OptionId::Fresh, "fresh", '\0', "", OptionGroup::Command, command_bit(Command::Verify), "",
     "start from an empty database with what the database has applied, not from a copy of it",
     "its rows stay out of the check"},
    {OptionId::AllMigrations, "all", '\0', "", OptionGroup::Command, command_bit(Command::Verify),
     "", "verify every migration from zero on an empty database, not only the pending ones", ""},
    {OptionId::From, "from", '\0', "FORMAT", OptionGroup::Command, command_bit(Command::Import), "",
     "the tool whose migrations to convert: golang-migrate, goose, dbmate, sqlx or diesel", ""},
    {OptionId::Databases, "databases", '\0', "GLOB", OptionGroup::Command, k_many, "",
     "work on every database file GLOB matches (quote it), one after another",
     "*, ? and [...] in any folder; relative to the working folder; docs/many-databases.md"},
    {OptionId::DatabasesFrom, "databases-from", '\0', "FILE", OptionGroup::Command, k_many, "",
     "work on every database FILE lists, one path per line",
     "# comments and blank lines are skipped; relative paths are relative to FILE's folder"},
    {OptionId::Jobs, "jobs", 'j', "N", OptionGroup::Command, k_many, "",
     "with --databases or --databases-from, work on N databases at once (default: 1)", ""},
}};

// Built on first use: the rows hold vectors, so the table cannot be constexpr.
const std::array<CommandSpec, 18>& command_table() {
    static const std::array<CommandSpec, 18> table{{
        {Command::Forwards,
         "forwards",
         "up",
         0,
         2,
         "strata forwards [APP|all] [MIGRATION_ID] [options]",
         "apply pending migrations",
         {"Applies pending migrations, each in its own transaction together with its row in the "
          "`migrations` table. APP defaults to all: every app, in dependency order."},
         {{"MIGRATION_ID",
           {{"all", "every pending migration (the default)"},
            {"1", "only the next pending migration"},
            {"ID or NAME", "the pending migrations up to and including that one "
                           "(20261121093000 or 20261121093000_create_users)"}}}},
         {"strata forwards", "strata up core 1", "strata forwards core 20261121093000 --preview"}},
        {Command::Backwards,
         "backwards",
         "down",
         0,
         2,
         "strata backwards [APP|all] [MIGRATION_ID] [options]",
         "reverse applied migrations",
         {"Reverses applied migrations, newest first, each in its own transaction. It lists what "
          "it will undo and asks \"Reverse N migrations? [y/N]\"; only y or yes proceeds. "
          "Without APP, a project with one app reverses that app's latest migration; a project "
          "with several asks for the app. `all` as APP reverses every applied migration of "
          "every app, in reverse dependency order; `all 1` and `all --steps N` reverse the most "
          "recently applied migrations of any app, newest first by run order (an id needs an "
          "app). An app that other apps depend on (depends_on) is not reversed while one of "
          "them has migrations applied."},
         {{"MIGRATION_ID",
           {{"1", "the most recently applied migration (the default)"},
            {"all", "every applied migration of the app"},
            {"ID or NAME", "that migration and every migration applied after it"}}}},
         {"strata backwards core", "strata down core --steps 3 --yes",
          "strata backwards core 20261121093000 --preview", "strata backwards all --yes"}},
        {Command::Goto,
         "goto",
         "",
         2,
         2,
         "strata goto APP MIGRATION_ID [options]",
         "move an app to exactly one migration, forwards or backwards",
         {"Moves one app to exactly MIGRATION_ID: applies the pending migrations up to it, or "
          "reverses the applied ones after it (asking first, as backwards does). A MIGRATION_ID "
          "of 0 is the place before the first migration: it reverses every applied one."},
         {},
         {"strata goto core 20261121093000", "strata goto core 0 --yes"}},
        {Command::Redo,
         "redo",
         "",
         0,
         1,
         "strata redo [APP] [options]",
         "reverse the latest migration of an app and apply it again",
         {"Reverses APP's most recently applied migration with its down file and applies it "
          "again from its up file, for working on a migration. It lists both steps and asks "
          "first, as backwards does. Without APP, a project with one app redoes that app's "
          "latest migration."},
         {},
         {"strata redo", "strata redo core --yes"}},
        {Command::Check,
         "check",
         "status",
         0,
         1,
         "strata check [APP|all] [options]",
         "show which migrations have run and which are pending",
         {"Lists every migration in the order forwards would run them, with its status: applied "
          "(and when), pending, modified (applied, but its up file was edited since) or missing "
          "(applied, but its files are gone); a migration recorded by --fake is marked (fake). A "
          "migration with only one of its two files is shown as unpaired, and check then exits "
          "2. Never writes to the database, nor creates it: when the file does not exist yet it "
          "says so."},
         {},
         {"strata check", "strata status core --json",
          "strata check --exit-code || strata forwards"}},
        {Command::Lint,
         "lint",
         "",
         0,
         1,
         "strata lint [APP|all] [options]",
         "check migration files for problems before they ship",
         {"Runs each migration of APP (default: all apps) on an empty in-memory database, never "
          "the project's, and reports with file:line:col: SQL that needs a newer SQLite than "
          "minimum_sqlite (newer-sqlite), DROP TABLE, DROP COLUMN and DELETE without WHERE in up "
          "files unless backup = true (destructive), down files that leave what their up file "
          "created (down-leaves) or drop what it did not create (down-drops-foreign), and "
          "functions SQLite does not have that strata.toml's functions does not declare "
          "(unknown-function). A comment `-- strata:nolint ID` on the line or the line before "
          "silences a finding. Exits 1 when any finding is not silenced (docs/lint.md)."},
         {},
         {"strata lint", "strata lint core --json"}},
        {Command::Sync,
         "sync",
         "",
         0,
         1,
         "strata sync [APP|all] [options]",
         "make the database match the project exactly (downgrades too)",
         {"Makes the database match the project exactly: first reverses, newest first, the "
          "applied migrations whose files this project does not have (using the down SQL stored "
          "when they ran), then applies every pending migration. This is how a device or desktop "
          "app that was rolled back to an older release brings its database back to that "
          "release. It prints the plan and asks before reversing anything, unless --yes."},
         {},
         {"strata sync", "strata sync --yes --backup"}},
        {Command::Verify,
         "verify",
         "",
         0,
         1,
         "strata verify [APP|all] [options]",
         "check that each pending migration's down reverses its up",
         {"On a copy of the database in memory (the database itself is only read), applies each "
          "pending migration, runs its down and compares the schema and every table's rows with "
          "the state before; then applies it again and goes on. It stops at the first migration "
          "whose down does not restore the database, shows what differs (objects added, removed "
          "or changed, tables whose rows differ) and exits 1. --fresh starts from an empty "
          "database instead; --all verifies every migration from zero. Functions an application "
          "registers in code are missing here: a migration calling one fails."},
         {},
         {"strata verify", "strata verify core --fresh", "strata verify all --all --json"}},
        {Command::Repair,
         "repair",
         "",
         1,
         2,
         "strata repair APP [MIGRATION_ID] [options]",
         "accept the edited up file of an applied migration",
         {"Records the current checksum (and down SQL) of applied migrations whose up file was "
          "edited on purpose (all modified migrations of APP, or only MIGRATION_ID), printing the "
          "old and new checksums. Until then forwards refuses to run while an applied file "
          "differs."},
         {},
         {"strata repair core", "strata repair core 20261121093000"}},
        {Command::Clean,
         "clean",
         "",
         1,
         1,
         "strata clean APP [options]",
         "forget applied migrations whose files are gone",
         {"Removes the state rows of APP's applied migrations whose files are gone, after asking. "
          "Their schema changes stay in the database; only strata's record of them is dropped."},
         {},
         {"strata clean core --yes"}},
        {Command::Schema,
         "schema",
         "",
         0,
         0,
         "strata schema",
         "print the database schema as SQL",
         {"Prints the database schema as SQL, in a deterministic order, without strata's own "
          "`migrations` table. Set schema_file in strata.toml to have it written after every run "
          "that changes the database."},
         {},
         {"strata schema > schema.sql"}},
        {Command::Restore,
         "restore",
         "",
         1,
         1,
         "strata restore BACKUP [options]",
         "put a backup written by --backup back in place",
         {"Puts BACKUP (a file written by --backup, e.g. app.db.20261121T093000.123Z.bak) back in "
          "place of the database, after checking that it is a healthy SQLite database and "
          "asking. Refuses (exit 4) when another connection holds a lock on the database, or has "
          "a WAL database open at all; it waits at most a quarter of a second for one."},
         {},
         {"strata restore app.db.20261121T093000.123Z.bak --yes"}},
        {Command::Embed,
         "embed",
         "",
         0,
         1,
         "strata embed [APP|all] -o FILE.cpp [options]",
         "write C++ source that compiles the migrations into an app",
         {"Reads and checks APP's migration files (default: all apps) as forwards would, and "
          "writes FILE.cpp holding each file's exact bytes, ordered by id, with the functions "
          "NAME::migration_source(app), NAME::app_names() and NAME::add_sources(context). An "
          "application built with it migrates without reading any migration file, and records "
          "the same checksums as a run from the folders, so the CLI and the application can "
          "take turns on one database. Rerun it whenever a .sql file changes (see "
          "docs/library.md for a build rule)."},
         {},
         {"strata embed -o src/migrations.cpp",
          "strata embed core -o core_migrations.cpp --namespace core_migrations"}},
        {Command::Bundle,
         "bundle",
         "",
         0,
         0,
         "strata bundle -o FILE [--label LABEL] [options]",
         "write the project as one file for devices",
         {"Reads and checks every app's migration files as forwards would, and writes FILE: the "
          "settings that matter on a device, the apps, each migration's up and down SQL and "
          "checksum, and the label, sorted and ended by a SHA-256 over the whole. The same "
          "project gives the same bytes, so an update system can sign and diff bundles. "
          "forwards, sync, check, goto, backwards, redo and verify run from it with --bundle FILE "
          "--database PATH; a truncated, corrupted or newer-format bundle is refused before the "
          "database is "
          "opened (docs/library.md, \"Bundles for devices\")."},
         {},
         {"strata bundle -o release-2.4.strata --label 2.4",
          "strata sync --bundle release-2.4.strata --database /data/app.db --yes"}},
        {Command::New,
         "new",
         "",
         2,
         k_unlimited,
         "strata new APP DESCRIPTION... [options]",
         "write a new pair of migration files",
         {"Writes <ID>_<slug>.up.sql and .down.sql in APP's migrations folder and prints their "
          "paths. The id goes on from the app's files: after 0002 comes 0003; otherwise it is "
          "the current UTC time (YYYYMMDDHHMMSS), or the newest id + 1 when that is not later "
          "(two migrations in one second). --seq starts an app without migrations at 0001. The "
          "slug is the description in lower case, accented letters without their accents "
          "(\"café\" -> \"cafe\"), every run of other characters than a-z and 0-9 turned into "
          "\"_\"."},
         {},
         {"strata new core create users", "strata new billing create invoices --seq",
          "strata new core add email --sql-up \"ALTER TABLE users ADD COLUMN email TEXT;\" "
          "--sql-down \"ALTER TABLE users DROP COLUMN email;\""}},
        {Command::Init,
         "init",
         "",
         0,
         1,
         "strata init [APP] [options]",
         "write a strata.toml and an empty migrations folder",
         {"Writes a commented strata.toml (database = \"app.db\", one app) and an empty "
          "migrations/APP folder in the current folder, or in DIR with -C DIR. APP defaults to "
          "\"main\". Refuses when strata.toml already exists."},
         {},
         {"strata init", "strata -C myproject init core"}},
        {Command::Import,
         "import",
         "",
         1,
         2,
         "strata import --from FORMAT DIR [APP] [--database FILE] [options]",
         "convert another tool's migrations, and adopt its database",
         {"Converts the migrations of golang-migrate, goose, dbmate, sqlx or diesel in DIR into "
          "paired .up.sql and .down.sql files in APP's migrations folder (APP defaults to the "
          "project's only app), keeping their ids and names. It never overwrites a file. What "
          "it cannot convert (e.g. goose migrations written in Go) is listed with the reason, "
          "and the exit code is then 1. With --database FILE it also records the migrations that "
          "tool applied to FILE in strata's state table, in one transaction, leaving the other "
          "tool's table alone; a golang-migrate database left dirty or a failed sqlx migration "
          "is refused (docs/import.md)."},
         {},
         {"strata import --from goose db/migrations",
          "strata import --from dbmate db/migrations core --database app.db"}},
        {Command::Help,
         "help",
         "",
         0,
         1,
         "strata help [COMMAND]",
         "show the help of a command",
         {"Shows the help of COMMAND, or the overview without one."},
         {},
         {"strata help backwards"}},
    }};
    return table;
}

} // namespace

std::span<const CommandSpec> command_specs() {
    return command_table();
}

std::span<const OptionSpec> option_specs() {
    return k_options;
}

const ProgramHelp& program_help() {
    static const ProgramHelp help{
        "SQLite schema migrations from paired .up.sql/.down.sql files",
        "strata [global options] COMMAND [arguments] [options]",
        {{0, "success, or nothing to do"},
         {1, "a migration failed, verify found a down that does not reverse its up, lint found "
             "something not silenced, or the user declined"},
         {2, "bad usage, or a bad project or migration file"},
         {3, "`check --exit-code` found pending migrations"},
         {4, "the database stayed locked by another process"},
         {5, "the database cannot be opened, read or written"},
         {130, "interrupted by SIGINT (Ctrl-C); the migration in flight was rolled back"},
         {143, "interrupted by SIGTERM; the migration in flight was rolled back"}},
        {"With --color=auto, output is coloured only when stdout is a terminal, TERM is not dumb "
         "and NO_COLOR is unset or empty. Questions go to stderr, so they show when stdout is a "
         "file."},
        {"strata init", "strata new main create users", "strata forwards",
         "strata -C examples/basic check", "strata backwards main --steps 2"},
    };
    return help;
}

const CommandSpec* find_command_spec(Command command) {
    for (const CommandSpec& spec : command_table())
        if (spec.command == command)
            return &spec;
    return nullptr;
}

std::string_view command_name(Command command) {
    const CommandSpec* spec = find_command_spec(command);
    return spec == nullptr ? std::string_view{} : spec->name;
}

std::optional<Command> find_command(std::string_view name) {
    for (const CommandSpec& spec : command_table())
        if (spec.name == name || (!spec.alias.empty() && spec.alias == name))
            return spec.command;
    return std::nullopt;
}

const OptionSpec* find_long_option(std::string_view name) {
    for (const OptionSpec& option : k_options)
        if (option.long_name == name)
            return &option;
    return nullptr;
}

const OptionSpec* find_short_option(char name) {
    for (const OptionSpec& option : k_options)
        if (option.short_name != '\0' && option.short_name == name)
            return &option;
    return nullptr;
}

bool takes_option(Command command, const OptionSpec& option) {
    return option.group == OptionGroup::Global || (option.commands & command_bit(command)) != 0;
}

} // namespace strata::cli
