// SPDX-License-Identifier: MIT
// The command-line parser, help texts, exit codes and the terminal prompt: all pure, no binary.
#include "cli/arguments.hpp"
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/help.hpp"
#include "cli/terminal.hpp"
#include "strata/api/version.hpp"
#include "strata/error.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <sstream>

using strata::Error;
using strata::ErrorKind;
using namespace strata::cli;

namespace {

// The Error(Usage) that parsing `args` throws; fails the test when it parses.
Error parse_error(const std::vector<std::string>& args) {
    try {
        parse_arguments(args);
    } catch (const Error& error) {
        return error;
    }
    FAIL("parsing succeeded");
    return Error(ErrorKind::Usage, "unreachable");
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

struct RunOutput {
    int exit_code;
    std::string out;
    std::string err;
};

// Runs the CLI in-process on string streams (only for paths that do not change the folder).
RunOutput run_cli(const std::vector<std::string>& args, const std::string& input = "") {
    std::istringstream in(input);
    std::ostringstream out;
    std::ostringstream err;
    int code = run(args, Io{in, out, err, false, false, 0});
    return {code, out.str(), err.str()};
}

} // namespace

TEST_SUITE("cli_arguments") {
    TEST_CASE("commands and their aliases") {
        struct Case {
            std::string word;
            Command command;
        };
        for (const Case& c : std::vector<Case>{{"forwards", Command::Forwards},
                                               {"up", Command::Forwards},
                                               {"backwards", Command::Backwards},
                                               {"down", Command::Backwards},
                                               {"goto", Command::Goto},
                                               {"check", Command::Check},
                                               {"status", Command::Check},
                                               {"new", Command::New},
                                               {"init", Command::Init},
                                               {"help", Command::Help}}) {
            CAPTURE(c.word);
            std::vector<std::string> args{c.word};
            if (c.command == Command::Backwards)
                args.push_back("core");
            if (c.command == Command::Goto || c.command == Command::New) {
                args.push_back("core");
                args.push_back("0001");
            }
            CHECK(parse_arguments(args).command == c.command);
        }
        CHECK(command_name(Command::Forwards) == "forwards");
        CHECK(command_name(Command::Check) == "check");
        CHECK(command_name(Command::None).empty());
        CHECK(find_command("status") == Command::Check);
        CHECK_FALSE(find_command("statuses").has_value());
    }

    TEST_CASE("forwards takes no, one or two arguments and its options") {
        CommandLine line = parse_arguments({"forwards"});
        CHECK(line.positionals.empty());
        CHECK_FALSE(line.fake);
        CHECK_FALSE(line.preview);
        CHECK_FALSE(line.yes);

        line = parse_arguments({"up", "core", "0002", "--fake", "--preview", "-y"});
        CHECK(line.command == Command::Forwards);
        CHECK(line.positionals == std::vector<std::string>{"core", "0002"});
        CHECK(line.fake);
        CHECK(line.preview);
        CHECK(line.yes);

        Error error = parse_error({"forwards", "core", "0002", "extra"});
        CHECK(error.kind() == ErrorKind::Usage);
        CHECK(error.message() == "too many arguments for forwards: \"extra\"");
        CHECK(error.hint() == "usage: strata forwards [APP|all] [MIGRATION_ID] [options]");
    }

    TEST_CASE("global options go before or after the command") {
        CommandLine before = parse_arguments(
            {"-C", "dir", "-p", "x.toml", "--database", "db.sqlite", "-q", "check"});
        CommandLine after = parse_arguments(
            {"check", "-C", "dir", "--project", "x.toml", "--database=db.sqlite", "--quiet"});
        for (const CommandLine& line : {before, after}) {
            CHECK(line.command == Command::Check);
            CHECK(line.directory == "dir");
            CHECK(line.project_file == "x.toml");
            CHECK(line.database == "db.sqlite");
            CHECK(line.quiet);
            CHECK_FALSE(line.verbose);
            CHECK(line.positionals.empty());
        }
        CHECK(parse_arguments({"-v", "status"}).verbose);
        CHECK(parse_arguments({"--verbose", "status"}).verbose);
    }

    TEST_CASE("short options: attached values and bundled flags") {
        CommandLine line = parse_arguments({"-Cdir", "-px.toml", "backwards", "core", "-qy"});
        CHECK(line.directory == "dir");
        CHECK(line.project_file == "x.toml");
        CHECK(line.quiet);
        CHECK(line.yes);
        CHECK(line.positionals == std::vector<std::string>{"core"});

        // A value option at the end of a bundle takes the next argument.
        line = parse_arguments({"-qC", "dir", "check"});
        CHECK(line.quiet);
        CHECK(line.directory == "dir");
    }

    TEST_CASE("backwards: --yes and --auto-agree, --steps, --clean, --preview") {
        for (std::string yes : {"-y", "--yes", "--auto-agree"}) {
            CAPTURE(yes);
            CHECK(parse_arguments({"backwards", "core", yes}).yes);
        }
        CommandLine line =
            parse_arguments({"down", "core", "--steps", "3", "--clean", "--preview"});
        CHECK(line.command == Command::Backwards);
        CHECK(line.steps == std::size_t{3});
        CHECK(line.clean);
        CHECK(line.preview);
        CHECK(parse_arguments({"backwards", "core", "--steps=2"}).steps == std::size_t{2});
        CHECK_FALSE(parse_arguments({"backwards", "all"}).steps.has_value());
    }

    TEST_CASE("--steps needs a positive whole number") {
        for (std::string value : {"0", "-1", "abc", "2x", ""}) {
            CAPTURE(value);
            Error error = parse_error({"backwards", "core", "--steps", value});
            CHECK(error.kind() == ErrorKind::Usage);
            CHECK(error.message() ==
                  "--steps needs a positive whole number, not \"" + value + "\"");
        }
        Error error = parse_error({"backwards", "core", "0002", "--steps", "2"});
        CHECK(error.message() == "--steps and MIGRATION_ID cannot be used together");
    }

    TEST_CASE("--foreign-keys reads each mode through the setting's own parser") {
        using strata::ForeignKeyMode;
        CHECK_FALSE(parse_arguments({"forwards"}).foreign_keys.has_value());
        struct Case {
            std::string value;
            ForeignKeyMode mode;
        };
        for (const Case& c : std::vector<Case>{{"deferred", ForeignKeyMode::Deferred},
                                               {"immediate", ForeignKeyMode::Immediate},
                                               {"off", ForeignKeyMode::Off}}) {
            CAPTURE(c.value);
            CommandLine line = parse_arguments({"forwards", "--foreign-keys", c.value});
            REQUIRE(line.foreign_keys.has_value());
            CHECK(*line.foreign_keys == c.mode);
            CHECK(parse_arguments({"sync", "--foreign-keys=" + c.value}).foreign_keys == c.mode);
        }
        // As in strata.toml, any case.
        CHECK(parse_arguments({"forwards", "--foreign-keys", "OFF"}).foreign_keys ==
              ForeignKeyMode::Off);
        for (std::string value : {"of", "none", ""}) {
            CAPTURE(value);
            Error error = parse_error({"forwards", "--foreign-keys", value});
            CHECK(error.kind() == ErrorKind::Usage);
            CHECK(error.message() ==
                  "--foreign-keys takes deferred, immediate or off, not \"" + value + "\"");
        }
    }

    TEST_CASE("--busy-timeout, --env-file and --no-dotenv") {
        CommandLine line = parse_arguments({"forwards"});
        CHECK_FALSE(line.busy_timeout_ms.has_value());
        CHECK_FALSE(line.env_file.has_value());
        CHECK_FALSE(line.no_dotenv);
        line = parse_arguments(
            {"--busy-timeout", "250", "check", "--env-file=conf/test.env", "--no-dotenv"});
        CHECK(line.busy_timeout_ms == 250);
        CHECK(line.env_file == "conf/test.env");
        CHECK(line.no_dotenv);
        CHECK(parse_arguments({"backwards", "all", "--busy-timeout=0"}).busy_timeout_ms == 0);
        for (std::string value : {"-1", "", "1s", "2147483648", "1.5"}) {
            CAPTURE(value);
            Error error = parse_error({"forwards", "--busy-timeout", value});
            CHECK(error.kind() == ErrorKind::Usage);
            CHECK(error.message() == "--busy-timeout needs a whole number of milliseconds from 0 "
                                     "to 2147483647, not \"" +
                                         value + "\"");
        }
    }

    TEST_CASE("check, new and init options") {
        CommandLine line = parse_arguments({"status", "core", "--json", "--exit-code"});
        CHECK(line.json);
        CHECK(line.exit_code);
        CHECK(line.positionals == std::vector<std::string>{"core"});

        line = parse_arguments({"new", "core", "create", "users", "--sql-up",
                                "CREATE TABLE users (id);", "--sql-down=DROP TABLE users;"});
        CHECK(line.positionals == std::vector<std::string>{"core", "create", "users"});
        CHECK(line.sql_up == "CREATE TABLE users (id);");
        CHECK(line.sql_down == "DROP TABLE users;");

        // A value may itself start with a dash.
        line = parse_arguments({"new", "core", "x", "--sql-up", "-- nothing yet"});
        CHECK(line.sql_up == "-- nothing yet");

        CHECK(parse_arguments({"init"}).positionals.empty());
        CHECK(parse_arguments({"init", "core"}).positionals == std::vector<std::string>{"core"});
    }

    TEST_CASE("-- ends the options") {
        CommandLine line = parse_arguments({"new", "core", "--", "--not-an-option", "-y"});
        CHECK(line.positionals == std::vector<std::string>{"core", "--not-an-option", "-y"});
        CHECK_FALSE(line.yes);
    }

    TEST_CASE("wrong argument counts name what is missing") {
        // backwards without an app is parsed: the project decides (its only app, or an error).
        CHECK(parse_arguments({"backwards"}).positionals.empty());
        Error error = parse_error({"backwards", "core", "1", "extra"});
        CHECK(error.hint() == "usage: strata backwards [APP|all] [MIGRATION_ID] [options]");
        CHECK(parse_error({"goto", "core"}).message() ==
              "goto needs an app name and a migration id");
        CHECK(parse_error({"new", "core"}).message() == "new needs an app name and a description");
        CHECK(parse_error({"check", "core", "extra"}).message() ==
              "too many arguments for check: \"extra\"");
        CHECK(parse_error({"init", "a", "b"}).message() == "too many arguments for init: \"b\"");
        CHECK(parse_error({}).message() == "no command given");
        CHECK(parse_error({"-q"}).message() == "no command given");
    }

    TEST_CASE("an unknown command or option suggests the closest one") {
        Error error = parse_error({"forwrds"});
        CHECK(error.kind() == ErrorKind::Usage);
        CHECK(error.message() == "unknown command \"forwrds\"");
        CHECK(error.hint() == "did you mean \"forwards\"? `strata --help` lists the commands");

        error = parse_error({"statsu"});
        CHECK(error.hint() == "did you mean \"status\"? `strata --help` lists the commands");

        error = parse_error({"forwards", "--previw"});
        CHECK(error.message() == "unknown option \"--previw\"");
        CHECK(error.hint() == "did you mean --preview? `strata forwards --help` lists its options");

        error = parse_error({"check", "-x"});
        CHECK(error.message() == "unknown option \"-x\"");
        CHECK(error.hint() == "`strata check --help` lists its options");

        CHECK(parse_error({"zzzzzzzzzz"}).hint() == "`strata --help` lists the commands");
    }

    TEST_CASE("an option the command does not take is a usage error") {
        Error error = parse_error({"forwards", "--exit-code"});
        CHECK(error.message() == "option --exit-code is not valid for forwards");
        CHECK(error.hint() == "it belongs to: check; `strata forwards --help` lists its options");
        // Per-command options may come before the command but still belong to it.
        CHECK(parse_error({"--clean", "forwards"}).message() ==
              "option --clean is not valid for forwards");
        CHECK(parse_error({"check", "-y"}).message() == "option -y is not valid for check");
        CHECK(parse_error({"goto", "core", "1", "--fake"}).hint() ==
              "it belongs to: forwards; `strata goto --help` lists its options");
    }

    TEST_CASE("malformed option values") {
        CHECK(parse_error({"forwards", "--database"}).message() ==
              "option --database needs a value");
        CHECK(parse_error({"forwards", "-p"}).message() == "option -p needs a value");
        CHECK(parse_error({"forwards", "--fake=yes"}).message() ==
              "option --fake does not take a value");
        CHECK(parse_error({"check", "-q", "-v"}).message() ==
              "--quiet and --verbose cannot be used together");
    }

    TEST_CASE("--help and --version skip the argument checks") {
        CommandLine line = parse_arguments({"--help"});
        CHECK(line.help);
        CHECK(line.command == Command::None);
        line = parse_arguments({"new", "--help"});
        CHECK(line.help);
        CHECK(line.command == Command::New);
        line = parse_arguments({"goto", "-h"});
        CHECK(line.help);
        CHECK(line.command == Command::Goto);
        CHECK(parse_arguments({"--version"}).version);
        CHECK(parse_arguments({"help", "backwards"}).positionals ==
              std::vector<std::string>{"backwards"});
        CHECK(parse_error({"help", "backwads"}).message() == "unknown command \"backwads\"");
    }

    TEST_CASE("every command's help lists every option it takes") {
        struct Case {
            Command command;
            std::vector<std::string> mentions;
        };
        std::vector<Case> cases{
            {Command::Forwards,
             {"Usage: strata forwards", "Alias: up", "--fake", "--preview", "-y, --yes",
              "--auto-agree", "Examples:"}},
            {Command::Backwards,
             {"Usage: strata backwards", "Alias: down", "--steps N", "-y, --yes", "--auto-agree",
              "--clean", "--preview", "Reverse N migrations? [y/N]", "Examples:"}},
            {Command::Goto, {"Usage: strata goto APP MIGRATION_ID", "--preview", "-y, --yes"}},
            {Command::Check,
             {"Usage: strata check", "Alias: status", "--json", "--exit-code", "\"app_name\"",
              "\"ran_on\""}},
            {Command::New,
             {"Usage: strata new APP DESCRIPTION...", "--sql-up SQL", "--sql-down SQL"}},
            {Command::Init, {"Usage: strata init [APP]", "\"main\""}},
        };
        for (const Case& c : cases) {
            std::string help = command_help(c.command);
            for (const std::string& mention : c.mentions) {
                CAPTURE(mention);
                CHECK(contains(help, mention));
            }
        }

        std::string overview = overview_help();
        for (std::string mention :
             {"forwards (up)", "backwards (down)", "goto", "check (status)", "new", "init",
              "-p, --project FILE", "-C, --directory DIR", "--database PATH", "STRATA_DATABASE",
              "-q, --quiet", "-v, --verbose", "-h, --help", "--version", "NO_COLOR",
              "Exit codes:"}) {
            CAPTURE(mention);
            CHECK(contains(overview, mention));
        }
        CHECK(command_help(Command::None) == overview);
        CHECK(version_text() == "strata " + std::string(strata::version()));
    }

    TEST_CASE("the library reports its own version and the SQLite it runs on") {
        CHECK(strata::version() == STRATA_VERSION); // meson.build's project version
        CHECK(strata::sqlite_version() == sqlite3_libversion());
        CHECK(strata::sqlite_version().find('.') != std::string_view::npos);
    }

    TEST_CASE("use_single_owner_connections changes nothing once SQLite is in use") {
        REQUIRE(sqlite3_initialize() == SQLITE_OK);
        CHECK(strata::sqlite_threading() == "serialized"); // SQLite's default, in this process
        CHECK_FALSE(strata::use_single_owner_connections());
        CHECK(strata::sqlite_threading() == "serialized");
    }

    TEST_CASE("error kinds map to the documented exit codes") {
        CHECK(exit_code_for(ErrorKind::Usage) == 2);
        CHECK(exit_code_for(ErrorKind::ProjectFile) == 2);
        CHECK(exit_code_for(ErrorKind::MigrationFiles) == 2);
        CHECK(exit_code_for(ErrorKind::MigrationFailed) == 1);
        CHECK(exit_code_for(ErrorKind::UnknownMigration) == 1);
        CHECK(exit_code_for(ErrorKind::Refused) == 1);
        CHECK(exit_code_for(ErrorKind::Busy) == 4);
        CHECK(exit_code_for(ErrorKind::Database) == 5);
        CHECK(exit_code_for(strata::MigrationResult{true, "Applied 1 migration."}) == 0);
        CHECK(exit_code_for(strata::MigrationResult{false, "Not proceeding."}) == 1);
    }

    TEST_CASE("only y and yes confirm") {
        for (std::string yes : {"y", "Y", "yes", "YES", "Yes", "  y  ", "yes\r"}) {
            CAPTURE(yes);
            CHECK(is_yes(yes));
        }
        for (std::string no : {"", "n", "no", "sure", "yess", "y y", "ye"}) {
            CAPTURE(no);
            CHECK_FALSE(is_yes(no));
        }
    }

    TEST_CASE("the terminal prompt shows the choices and reads one line") {
        std::istringstream in("Yes\nno\n");
        std::ostringstream out;
        TerminalPrompter prompter(in, out, true);
        CHECK(prompter.confirm("Reverse 2 migrations?"));
        CHECK(out.str() == "Reverse 2 migrations? [y/N] ");
        CHECK_FALSE(prompter.confirm("Reverse 1 migration? [y/N] "));
        CHECK(out.str() == "Reverse 2 migrations? [y/N] Reverse 1 migration? [y/N] ");
        // End of input is a no, and the prompt's line is ended.
        CHECK_FALSE(prompter.confirm("Again?"));
        CHECK(out.str().ends_with("Again? [y/N] \n"));
    }

    TEST_CASE("the prompt refuses to ask when input is not a terminal") {
        std::istringstream in("y\n");
        std::ostringstream out;
        TerminalPrompter prompter(in, out, false);
        try {
            prompter.confirm("Reverse 1 migration?");
            FAIL("confirm did not throw");
        } catch (const Error& error) {
            CHECK(error.kind() == ErrorKind::Refused);
            CHECK(error.message() ==
                  "standard input is not a terminal, so strata cannot ask for confirmation");
            CHECK(error.hint() == "pass --yes to proceed without asking");
        }
        CHECK(out.str().empty());
    }

    TEST_CASE("run prints help, the version, and errors with their exit codes") {
        RunOutput r = run_cli({"--version"});
        CHECK(r.exit_code == 0);
        CHECK(r.out == "strata " + std::string(strata::version()) + "\nSQLite " +
                           std::string(strata::sqlite_version()) + " (" +
                           std::string(strata::sqlite_threading()) +
                           ")\nbuild: " + STRATA_BUILD_TYPE + "\n");
        CHECK(r.err.empty());

        r = run_cli({"--help"});
        CHECK(r.exit_code == 0);
        CHECK(r.out == overview_help());

        r = run_cli({"backwards", "--help"});
        CHECK(r.exit_code == 0);
        CHECK(r.out == command_help(Command::Backwards));
        CHECK(run_cli({"help", "check"}).out == command_help(Command::Check));

        r = run_cli({"forwrds"});
        CHECK(r.exit_code == 2);
        CHECK(r.out.empty());
        CHECK(r.err == "strata: error: unknown command \"forwrds\"\n"
                       "  hint: did you mean \"forwards\"? `strata --help` lists the commands\n");
    }

    TEST_CASE("run reports a missing project file or folder as exit 2") {
        strata::test::TempDir dir;
        auto missing = (dir / "nope.toml").string();
        RunOutput r = run_cli({"-p", missing, "check"});
        CHECK(r.exit_code == 2);
        CHECK(r.err == "strata: error: " + missing +
                           ": project file not found\n"
                           "  hint: check the path given to -p/--project\n");

        auto no_dir = (dir / "no-such-folder").string();
        r = run_cli({"-C", no_dir, "forwards"});
        CHECK(r.exit_code == 2);
        CHECK(r.err.starts_with("strata: error: " + no_dir + ": cannot change to this folder: "));
    }

    TEST_CASE("other tools' commands and options point at strata's") {
        struct Case {
            std::vector<std::string> args;
            std::string message;
            std::string hint_start;
        };
        for (const Case& c : std::vector<Case>{
                 {{"rollback"},
                  "unknown command \"rollback\"",
                  "strata's command for that is \"backwards\" (or \"down\")"},
                 {{"migrate"},
                  "unknown command \"migrate\"",
                  "strata's command for that is \"forwards\" (or \"up\")"},
                 {{"create", "core", "x"},
                  "unknown command \"create\"",
                  "strata's command for that is \"new\""},
                 {{"dump"}, "unknown command \"dump\"", "strata's command for that is \"schema\""},
                 {{"version"},
                  "unknown command \"version\"",
                  "strata's version is printed by \"strata --version\""},
                 {{"forwards", "--dry-run"},
                  "unknown option \"--dry-run\"",
                  "strata's option for that is --preview"},
             }) {
            CAPTURE(c.args.front());
            Error error = parse_error(c.args);
            CHECK(error.kind() == ErrorKind::Usage);
            CHECK(error.message() == c.message);
            CHECK(error.hint().starts_with(c.hint_start));
        }
    }

    TEST_CASE("redo takes an optional app and the options of a run; new takes --seq") {
        CommandLine line = parse_arguments({"redo", "--yes", "--preview"});
        CHECK(line.command == Command::Redo);
        CHECK(line.positionals.empty());
        CHECK(line.yes);
        CHECK(line.preview);
        CHECK(parse_arguments({"redo", "core"}).positionals == std::vector<std::string>{"core"});
        CHECK(parse_error({"redo", "core", "1"}).message() == "too many arguments for redo: \"1\"");
        CHECK(parse_error({"redo", "--fake"}).message() == "option --fake is not valid for redo");
        CHECK(parse_arguments({"new", "core", "x", "--seq"}).seq);
        CHECK_FALSE(parse_arguments({"new", "core", "x"}).seq);
        CHECK(parse_error({"forwards", "--seq"}).message() ==
              "option --seq is not valid for forwards");
    }
}
