// SPDX-License-Identifier: MIT
#include "cli/commands.hpp"

#include "cli/exit_codes.hpp"
#include "cli/signals.hpp"
#include "cli/targets.hpp"
#include "cli/terminal.hpp"
#include "report/json_reporter.hpp"
#include "report/many_report.hpp"
#include "report/status_table.hpp"
#include "report/text_reporter.hpp"
#include "report/verify_report.hpp"
#include "strata/api/bundle.hpp"
#include "strata/api/database_tools.hpp"
#include "strata/api/embed.hpp"
#include "strata/api/import.hpp"
#include "strata/api/lint.hpp"
#include "strata/api/managers.hpp"
#include "strata/api/many_databases.hpp"
#include "strata/api/scaffold.hpp"
#include "strata/api/verify.hpp"
#include "strata/error.hpp"
#include "strata/project/database_path.hpp"
#include "strata/project/locate.hpp"
#include "strata/project/project.hpp"
#include "util/printable.hpp"
#include "util/text.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <filesystem>
#include <iostream>
#include <optional>

namespace strata::cli {
namespace {

namespace fs = std::filesystem;

// Finding the project file (like every other file-system check) is the library's work; the CLI
// names what the user typed. ${VAR} comes from the environment, then from the project folder's
// .env (or --env-file FILE, seen from the working folder; none with --no-dotenv).
Project load_project_for(const CommandLine& line, const WorkingFolder& folder) {
    const std::optional<fs::path> explicit_file =
        line.project_file ? std::optional<fs::path>(*line.project_file) : std::nullopt;
    const fs::path file = find_project_file(folder, explicit_file);
    EnvLookup env = process_environment();
    if (line.env_file && line.no_dotenv)
        throw Error(ErrorKind::Usage, "--env-file and --no-dotenv contradict each other", {},
                    "give one of them");
    if (line.env_file)
        env = with_env_file(std::move(env), load_env_file(folder.resolve(*line.env_file)));
    else if (!line.no_dotenv)
        env = with_env_file(std::move(env),
                            load_env_file(file.parent_path() / ".env", MissingEnvFile::Skip));
    return load_project(file, env);
}

// --database wins over STRATA_DATABASE, which wins over the project file. A relative override
// is relative to the working folder (-C DIR, else the current one), as a shell user expects.
void apply_database_override(Project& project, const CommandLine& line,
                             const WorkingFolder& folder) {
    std::optional<std::string> path = line.database;
    std::string origin = "--database";
    if (!path) {
        path = process_environment()("STRATA_DATABASE");
        origin = "the environment variable STRATA_DATABASE";
    }
    if (!path)
        return;
    if (auto problem = database_path_problem(*path))
        throw Error(ErrorKind::Usage,
                    "the database path \"" + *path + "\" given by " + origin + " " + *problem, {},
                    database_path_hint(*path));
    project.database = folder.resolve(*path);
}

// Command-line safety options win over strata.toml.
void apply_setting_overrides(Project& project, const CommandLine& line) {
    Settings& settings = project.settings;
    if (line.atomic)
        settings.transaction = TransactionScope::All;
    if (line.backup)
        settings.backup = true;
    if (line.out_of_order)
        settings.out_of_order = OutOfOrder::Allow;
    if (line.foreign_keys)
        settings.foreign_keys = *line.foreign_keys;
    if (line.busy_timeout_ms)
        project.busy_timeout_ms = *line.busy_timeout_ms;
}

// What strata prints for people passes through here: results, errors and paths may carry text
// read from the database or the file system, whose control characters must not reach the
// terminal as such (util::printable). Colours are added afterwards, by the reporters.
std::string shown(std::string_view text) {
    return util::printable(text);
}

// An error with the line it points at: "path:line:col: message", the line and a caret under
// the column (columns count characters; a tab before it is kept so the caret lines up), then
// the hint, as compilers show them.
std::string shown_error(const Error& error) {
    const SourceLocation& where = error.where();
    if (error.source_line().empty() || where.path.empty() || where.line <= 0 || where.column <= 0)
        return shown(error.what());
    const std::string number = std::to_string(where.line);
    const std::string& raw = error.source_line();
    auto starts_character = [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; };
    // The bytes before the column, then as shown: an escaped control character is wider.
    std::size_t end = 0;
    for (int column = 1; end < raw.size(); ++end) {
        if (starts_character(raw[end]) && column++ == where.column)
            break;
    }
    std::string marker;
    for (char c : util::printable(raw.substr(0, end)))
        if (starts_character(c))
            marker += c == '\t' ? '\t' : ' ';
    const std::string line = util::printable(raw);
    std::string out = shown(where.to_string() + ": " + error.message());
    out += "\n  " + number + " | " + line + "\n  " + std::string(number.size(), ' ') + " | " +
           marker + "^";
    if (!error.hint().empty())
        out += "\n  hint: " + shown(error.hint());
    return out;
}

std::string shown_path(const fs::path& path, const fs::path& base) {
    return util::printable(report::display_path(path, base), util::Layout::OneLine);
}

std::string positional(const CommandLine& line, std::size_t index, std::string fallback) {
    return index < line.positionals.size() ? line.positionals[index] : std::move(fallback);
}

void print_result(const MigrationResult& result, const CommandLine& line, const Io& io) {
    if (result.message.empty())
        return;
    // A declined run is still explained under --quiet: it is why the exit code is 1.
    if (line.quiet && result.success)
        return;
    // Under --preview the output stays a valid SQL script.
    if (line.preview)
        io.out << "-- ";
    io.out << shown(result.message) << '\n' << std::flush;
}

// Under --json strata never asks: a question would put text among the JSON, and a script
// cannot answer it. What needs confirmation is refused, as a JSON error, unless --yes.
class JsonPrompter : public Prompter {
  public:
    bool confirm(const std::string&) override {
        throw Error(ErrorKind::Refused, "this needs confirmation, and --json does not ask", {},
                    "add --yes to go ahead without asking (--preview --json shows what would run)");
    }
};

// JSON documents name files by absolute paths, whatever the working folder of the reader. The
// library's paths are relative to the process's current folder (which -C does not change).
std::string json_path(const fs::path& path) {
    return report::json_path(path, working_folder(std::nullopt).absolute);
}

int run_init(const CommandLine& line, const Io& io, const WorkingFolder& folder) {
    if (line.project_file)
        throw Error(ErrorKind::Usage, "init always writes strata.toml; -p/--project does not apply",
                    {}, "use -C DIR to write it in another folder");
    const fs::path& here = folder.absolute;
    InitFiles files = init_project(here, positional(line, 0, "main"));
    if (line.json) {
        io.out << report::render_files_json(
                      "init", {json_path(files.project_file), json_path(files.migrations_dir)})
               << std::flush;
        return k_exit_success;
    }
    if (line.quiet)
        return k_exit_success;
    io.out << "Created " << shown_path(files.project_file, here) << '\n'
           << "Created " << shown_path(files.migrations_dir, here) << "/\n"
           << "Next: strata new " << shown(positional(line, 0, "main")) << " DESCRIPTION...\n"
           << std::flush;
    return k_exit_success;
}

int run_new(const CommandLine& line, const Io& io, const WorkingFolder& folder) {
    Project project = load_project_for(line, folder);
    const std::string& app_name = line.positionals.front();
    if (app_name == "all")
        throw Error(ErrorKind::Usage, "new writes a migration for one app, not \"all\"", {},
                    "name the app: strata new APP DESCRIPTION...");
    const AppConfig& app = *project.select_apps(app_name).front();

    std::string description;
    for (std::size_t i = 1; i < line.positionals.size(); ++i) {
        if (i > 1)
            description += ' ';
        description += line.positionals[i];
    }
    NewMigrationFiles files = create_migration(
        app, description, line.sql_up.value_or(""), line.sql_down.value_or(""),
        std::chrono::system_clock::now(), line.seq ? IdStyle::Sequence : IdStyle::Auto);
    if (line.json) {
        io.out << report::render_files_json("new",
                                            {json_path(files.up_path), json_path(files.down_path)})
               << std::flush;
        return k_exit_success;
    }
    // The paths are the command's result, so --quiet keeps them (and scripts can use them).
    const fs::path& here = folder.absolute;
    io.out << shown_path(files.up_path, here) << '\n'
           << shown_path(files.down_path, here) << '\n'
           << std::flush;
    return k_exit_success;
}

int run_embed(const CommandLine& line, const Io& io, const WorkingFolder& folder) {
    if (!line.output)
        throw Error(ErrorKind::Usage, "embed needs the file to write", {},
                    "usage: strata embed [APP|all] -o FILE.cpp");
    Project project = load_project_for(line, folder);
    EmbedOptions options;
    options.app_name = positional(line, 0, "all");
    if (line.name_space)
        options.namespace_name = *line.name_space;
    const fs::path output = folder.resolve(*line.output);
    write_embedded_source(project, options, output);
    if (!line.quiet)
        io.out << "Wrote " << shown_path(output, folder.absolute) << '\n' << std::flush;
    return k_exit_success;
}

int run_bundle(const CommandLine& line, const Io& io, const WorkingFolder& folder) {
    if (!line.output)
        throw Error(ErrorKind::Usage, "bundle needs the file to write", {},
                    "usage: strata bundle -o FILE [--label LABEL]");
    Project project = load_project_for(line, folder);
    BundleOptions options;
    options.label = line.label.value_or("");
    const fs::path output = folder.resolve(*line.output);
    write_bundle(project, options, output);
    if (!line.quiet)
        io.out << "Wrote " << shown_path(output, folder.absolute) << '\n' << std::flush;
    return k_exit_success;
}

// Files are written even when some could not be converted; the list says which and why, and
// the exit code 1 makes a script notice.
int run_import(const CommandLine& line, const Io& io, const WorkingFolder& folder) {
    if (!line.from)
        throw Error(ErrorKind::Usage, "import needs the format of the migrations to convert", {},
                    "add --from FORMAT, one of " + import_format_names());
    const std::optional<ImportFormat> format = parse_import_format(*line.from);
    if (!format)
        throw Error(ErrorKind::Usage, "unknown format \"" + *line.from + "\" for --from", {},
                    "one of " + import_format_names());
    Project project = load_project_for(line, folder);
    apply_database_override(project, line, folder);
    apply_setting_overrides(project, line);
    Context context{project, nullptr, nullptr};
    ImportOptions options;
    options.format = *format;
    options.source_dir = folder.resolve(line.positionals.front());
    if (line.positionals.size() > 1)
        options.app = line.positionals[1];
    // Adopting a database is asked for by naming it; the project's own database is never
    // adopted by surprise.
    options.adopt = line.database.has_value();
    const ImportResult result = import_migrations(context, options);
    const int code = result.skipped.empty() ? k_exit_success : k_exit_failed;
    if (line.json) {
        io.out << report::render_import_json(result, working_folder(std::nullopt).absolute)
               << std::flush;
        return code;
    }
    const fs::path& here = folder.absolute;
    if (!line.quiet) {
        io.out << "Wrote " << util::counted(result.written.size() / 2, "migration") << " of "
               << import_format_name(*format) << " into app " << shown(result.app_name);
        io.out << (result.written.empty() ? "\n" : ":\n");
        for (const fs::path& file : result.written)
            io.out << "  " << shown_path(file, here) << '\n';
        for (const ImportNote& note : result.notes)
            io.out << "note: " << shown_path(note.source, here) << ": " << shown(note.reason)
                   << '\n';
        if (options.adopt)
            io.out << "Recorded " << util::counted(result.adopted.size(), "applied migration")
                   << " in " << shown_path(project.database, here) << '\n';
    }
    io.out << std::flush;
    for (const ImportNote& note : result.skipped)
        io.err << "strata: not converted: " << shown_path(note.source, here) << ": "
               << shown(note.reason) << '\n';
    io.err << std::flush;
    return code;
}

// A bundle stands in for strata.toml: it holds the settings and the migrations but no
// database, which the command line must then name. The bundle is read and checked in full
// before any database is opened.
Bundle load_bundle_for(const CommandLine& line, const WorkingFolder& folder) {
    if (line.project_file)
        throw Error(ErrorKind::Usage, "--bundle takes the place of the project file; "
                                      "-p/--project does not apply");
    Bundle bundle = load_bundle(folder.resolve(*line.bundle));
    apply_database_override(bundle.project, line, folder);
    if (bundle.project.database.empty() && !line.databases && !line.databases_from)
        throw Error(ErrorKind::Usage, "--bundle needs the database to migrate", {},
                    "name it with --database PATH or the environment variable STRATA_DATABASE");
    return bundle;
}

int run_check(const CommandLine& line, const Io& io, Context context,
              report::TextReporter& reporter, const fs::path& here) {
    const DatabaseStatus status =
        CheckMigrationManager(context, {.app = app_selection(line), .flag_unpaired = true})
            .status();
    reporter.settle();
    const std::vector<MigrationStatus>& statuses = status.all;
    if (!status.database_exists && !line.json && !line.quiet)
        io.out << "The database " << shown_path(context.project.database, here)
               << " does not exist yet; forwards will create it.\n";
    // Under --quiet check is a gate (with --exit-code), as `dbmate status --quiet`: the exit
    // code is the whole answer. JSON is output asked for by name, so it stays.
    if (line.json)
        io.out << report::render_check_json(json_path(context.project.database), statuses);
    else if (!line.quiet)
        io.out << (statuses.empty() ? std::string("No migrations found.\n")
                                    : report::render_status_table(statuses, {io.width, io.colour}));
    io.out << std::flush;

    // The table shows which files lack their partner; the exit code is that of a bad
    // migration file, since forwards refuses to run until the pair is whole.
    if (!status.unpaired.empty()) {
        for (const MigrationStatus& row : status.unpaired) {
            const bool up = row.lone_file.ends_with(".up.sql");
            io.err << "strata: error: " << shown_path(row.lone_file, here) << ": migration "
                   << shown(row.migration_id.text()) << " of app " << shown(row.app_name)
                   << (up ? " is missing its down file" : " is missing its up file") << '\n';
        }
        io.err << "  hint: create the missing .up.sql or .down.sql file (a down file may be "
                  "empty), or delete the file alone; the table marks "
               << (status.unpaired.size() == 1 ? "it" : "them") << " unpaired\n"
               << std::flush;
        return k_exit_usage;
    }

    // A migration written in C++ is applied; only its application can judge it further.
    bool pending = std::any_of(statuses.begin(), statuses.end(), [](const MigrationStatus& status) {
        return status.state != MigrationState::Applied &&
               status.state != MigrationState::NotRunnable;
    });
    return line.exit_code && pending ? k_exit_pending : k_exit_success;
}

// A down that does not reverse its up is the answer verify was asked for, not an error: the
// report (text or JSON) is the output either way, and the exit code says which it was.
int run_verify(const CommandLine& line, const Io& io, Context context,
               report::TextReporter& reporter) {
    const VerifyReport report =
        VerifyMigrationManager(
            context, {.app = app_selection(line), .fresh = line.fresh, .all = line.all_migrations})
            .run();
    reporter.settle();
    if (line.json) {
        io.out << report::render_verify_json(json_path(context.project.database), report);
    } else if (!line.quiet) {
        io.out << report::render_verify_text(report);
    } else if (const VerifiedMigration* mismatch = report.mismatch()) {
        // Under --quiet only the mismatch is shown: it is why the exit code is 1.
        io.out << report::render_verify_text(VerifyReport{report.start, {*mismatch}});
    }
    io.out << std::flush;
    return report.ok() ? k_exit_success : k_exit_failed;
}

// Findings read as compilers' diagnostics, so editors can jump to them; silenced ones are only
// counted.
int run_lint(const CommandLine& line, const Io& io, const Context& context,
             report::TextReporter& reporter, const fs::path& here) {
    const LintReport report = LintMigrationManager(context, {.app = app_selection(line)}).run();
    reporter.settle();
    const std::size_t open = report.unsilenced();
    if (line.json) {
        io.out << report::render_lint_json(report, working_folder(std::nullopt).absolute)
               << std::flush;
        return open == 0 ? k_exit_success : k_exit_failed;
    }
    for (const LintFinding& finding : report.findings)
        if (!finding.silenced)
            io.out << shown_path(finding.where.path, here) << ':' << finding.where.line << ':'
                   << finding.where.column << ": " << lint_check_id(finding.check) << ": "
                   << shown(finding.message) << '\n';
    if (!line.quiet) {
        const std::size_t silenced = report.findings.size() - open;
        io.out << (open == 0 ? std::string("No findings") : util::counted(open, "finding"))
               << " in " << util::counted(report.migrations_checked, "migration")
               << (silenced == 0 ? std::string()
                                 : " (" + std::to_string(silenced) + " silenced by strata:nolint)")
               << ".\n";
        if (report.minimum_sqlite == 0)
            io.out << "note: strata.toml sets no minimum_sqlite, so newer-sqlite was not "
                      "checked\n";
    }
    io.out << std::flush;
    return open == 0 ? k_exit_success : k_exit_failed;
}

// Checks the options of a run over many databases before anything is read.
void check_many_options(const CommandLine& line) {
    if (!line.databases && !line.databases_from) {
        if (line.jobs)
            throw Error(ErrorKind::Usage, "--jobs applies to many databases only", {},
                        "add --databases GLOB or --databases-from FILE");
        return;
    }
    if (line.databases && line.databases_from)
        throw Error(ErrorKind::Usage, "--databases and --databases-from contradict each other", {},
                    "give one of them");
    if (line.database)
        throw Error(ErrorKind::Usage,
                    "--database names one database; --databases and "
                    "--databases-from name the databases to work on",
                    {}, "give one of them");
    if (line.preview || line.fake)
        throw Error(ErrorKind::Usage,
                    std::string(line.preview ? "--preview" : "--fake") +
                        " works on one database at a time",
                    {}, "run it with --database PATH on one of them");
}

// forwards, check or sync over many databases: one line per database in the order listed (the
// library hands the results over in that order whatever --jobs), then a summary. A database
// that failed makes the exit code 1 but stops nothing.
int run_many(const CommandLine& line, const Io& io, const WorkingFolder& folder, Context context) {
    const std::vector<fs::path> paths =
        line.databases ? expand_database_glob(*line.databases, folder.absolute)
                       : read_database_list(folder.resolve(*line.databases_from));
    ManyDatabasesOptions options;
    options.command = line.command == Command::Check  ? ManyCommand::Check
                      : line.command == Command::Sync ? ManyCommand::Sync
                                                      : ManyCommand::Forwards;
    options.app = app_selection(line);
    if (options.command == ManyCommand::Forwards)
        options.target = forwards_target(line);
    options.auto_agree = line.yes;
    options.jobs = line.jobs.value_or(1);

    const fs::path& here = folder.absolute;
    if (line.verbose)
        io.err << "strata: " << util::counted(paths.size(), "database") << ", "
               << std::min(options.jobs, paths.size()) << " at a time\n";
    std::vector<report::ManyJsonEntry> entries;
    const ManyDatabasesSummary summary =
        run_for_databases(context, paths, options, [&](const DatabaseResult& result) {
            if (line.json) {
                report::ManyJsonEntry entry{result, json_path(result.database), std::nullopt};
                if (result.error)
                    entry.error =
                        report::json_error(*result.error, exit_code_for(result.error->kind()));
                entries.push_back(std::move(entry));
                return;
            }
            if (line.quiet && result.outcome != DatabaseOutcome::Failed)
                return;
            io.out << report::render_database_line(result, shown_path(result.database, here))
                   << '\n';
            if (!io.out)
                throw Error(ErrorKind::Output, "cannot write the output");
        });
    if (line.json)
        io.out << report::render_many_json(command_name(line.command), entries, summary);
    else if (!line.quiet)
        io.out << report::render_many_summary(options.command, summary) << '\n';
    io.out << std::flush;
    if (summary.failed > 0)
        return k_exit_failed;
    return line.exit_code && summary.pending > 0 ? k_exit_pending : k_exit_success;
}

int run_with_project(CommandLine line, const Io& io, const WorkingFolder& folder) {
    check_many_options(line);
    const bool many = line.databases || line.databases_from;
    Bundle bundle;
    if (line.bundle) {
        bundle = load_bundle_for(line, folder);
    } else {
        bundle.project = load_project_for(line, folder);
        if (!many)
            apply_database_override(bundle.project, line, folder);
    }
    Project& project = bundle.project;
    apply_setting_overrides(project, line);

    const fs::path& here = folder.absolute;
    if (line.verbose) // on stderr, so that --json and --preview output stay clean
        io.err << "strata: project " << shown_path(project.file, here) << '\n'
               << "strata: database " << shown_path(project.database, here) << '\n';

    report::TextReporterOptions options;
    options.quiet = line.quiet;
    options.verbose = line.verbose;
    options.colour = io.colour;
    options.terminal = io.out_is_terminal;
    options.fake = line.fake;
    options.preview = line.preview;
    options.display_base = here;
    // A question goes to the terminal even when the output goes to a file; the plan it asks
    // about goes with it. With --yes, or without a terminal to ask on (the run is refused),
    // nothing is asked: the plan is part of the output's record and the error comes first on
    // standard error.
    if (!line.yes && io.stdin_is_terminal)
        options.question_out = &io.err;
    report::TextReporter reporter(io.out, options);
    TerminalPrompter prompter(io.in, io.err, io.stdin_is_terminal);
    // Live news (elapsed time, a lock wait) must move while the run's thread is inside SQLite.
    std::optional<report::ProgressTicker> ticker;
    if (options.terminal && !options.quiet && !options.preview && !line.json)
        ticker.emplace(reporter);
    // Under --json the run is collected and printed as one document at the end; nothing else
    // reaches stdout, and nothing asks.
    report::JsonReporter json_reporter(std::string(command_name(line.command)), line.fake,
                                       working_folder(std::nullopt).absolute);
    JsonPrompter json_prompter;
    Context context{project, &reporter, &prompter};
    if (line.json) {
        context.observer = &json_reporter;
        context.prompter = &json_prompter;
    }
    context.sources = bundle.sources;
    context.allow_modified = line.allow_modified;
    context.cancel = &interrupt_requested();
    if (many) {
        try {
            return run_many(line, io, folder, context);
        } catch (const Error& error) {
            if (error.kind() == ErrorKind::Interrupted)
                throw InterruptedRun{error, interrupt_signal()};
            throw;
        }
    }

    MigrationResult result;
    try {
        switch (line.command) {
        case Command::Forwards:
            result = ForwardsMigrationManager(context, {.app = app_selection(line),
                                                        .target = forwards_target(line),
                                                        .fake = line.fake,
                                                        .preview = line.preview,
                                                        .auto_agree = line.yes})
                         .run();
            break;
        case Command::Backwards:
            // With no app, a one-app project means that app (as `dbmate rollback` does); with
            // several, guessing could reverse the wrong one.
            if (line.positionals.empty())
                line.positionals.push_back(only_app(project, OneAppCommand::Backwards).name);
            result = BackwardsMigrationManager(context, {.app = app_selection(line),
                                                         .target = backwards_target(line),
                                                         .auto_agree = line.yes,
                                                         .clean = line.clean,
                                                         .preview = line.preview})
                         .run();
            break;
        case Command::Goto:
            result = GotoMigrationManager(context, {.app = positional(line, 0, ""),
                                                    .target = goto_target(line),
                                                    .auto_agree = line.yes,
                                                    .preview = line.preview})
                         .run();
            break;
        case Command::Redo:
            result = RedoMigrationManager(context, {.app = line.positionals.empty()
                                                               ? AppSelection{}
                                                               : AppSelection{line.positionals[0]},
                                                    .auto_agree = line.yes,
                                                    .preview = line.preview})
                         .run();
            break;
        case Command::Check:
            return run_check(line, io, context, reporter, here);
        case Command::Lint:
            return run_lint(line, io, context, reporter, here);
        case Command::Sync:
            result = SyncMigrationManager(context, {.app = app_selection(line),
                                                    .auto_agree = line.yes,
                                                    .preview = line.preview})
                         .run();
            break;
        case Command::Repair:
            result = RepairMigrationManager(
                         context, {.app = app_selection(line), .migration = repair_target(line)})
                         .run();
            break;
        case Command::Clean:
            result =
                CleanMigrationManager(context, {.app = app_selection(line), .auto_agree = line.yes})
                    .run();
            break;
        case Command::Verify:
            return run_verify(line, io, context, reporter);
        case Command::Schema:
            reporter.settle();
            io.out << schema_of(project) << std::flush;
            return k_exit_success;
        case Command::Restore:
            result = restore_backup(context, folder.resolve(positional(line, 0, "")), line.yes);
            break;
        default:
            throw Error(ErrorKind::Usage, "no command given", {},
                        "run `strata --help` to see the commands");
        }
    } catch (const Error& error) {
        // A step that threw left "Applying ... " open; the error must not be glued to it.
        reporter.interrupt();
        if (error.kind() == ErrorKind::Interrupted)
            throw InterruptedRun{error, interrupt_signal()};
        throw;
    } catch (...) {
        reporter.interrupt();
        throw;
    }
    reporter.settle();
    // A signal during the prompt ends the wait (the answer counts as no); report it as such.
    if (!result.success && interrupt_requested().load())
        throw InterruptedRun{Error(ErrorKind::Interrupted, "interrupted; nothing was changed"),
                             interrupt_signal()};
    if (line.json)
        io.out << json_reporter.render(result, json_path(project.database)) << std::flush;
    else
        print_result(result, line, io);
    return exit_code_for(result);
}

} // namespace

int execute(const CommandLine& line, const Io& io) {
    if (line.help) {
        io.out << command_help(line.command) << std::flush;
        return k_exit_success;
    }
    if (line.version) {
        io.out << version_report() << std::flush;
        return k_exit_success;
    }
    if (line.command == Command::Help) {
        std::optional<Command> topic;
        if (!line.positionals.empty())
            topic = find_command(line.positionals.front());
        io.out << command_help(topic.value_or(Command::None)) << std::flush;
        return k_exit_success;
    }

    const WorkingFolder folder =
        working_folder(line.directory ? std::optional<fs::path>(*line.directory) : std::nullopt);
    switch (line.command) {
    case Command::Init:
        return run_init(line, io, folder);
    case Command::New:
        return run_new(line, io, folder);
    case Command::Embed:
        return run_embed(line, io, folder);
    case Command::Bundle:
        return run_bundle(line, io, folder);
    case Command::Import:
        return run_import(line, io, folder);
    default:
        return run_with_project(line, io, folder);
    }
}

namespace {

// Errors are JSON when --json was given, even when the rest of the command line is wrong (or
// names a command that takes no --json): a script that asked for JSON gets JSON.
bool wants_json(const std::vector<std::string>& args) {
    for (const std::string& arg : args) {
        if (arg == "--")
            return false;
        if (arg == "--json")
            return true;
    }
    return false;
}

// How the run ends on stderr: an error document under --json (`command` may be "", before the
// command line was understood), else the text a person reads.
struct ErrorOutput {
    const Io& io;
    bool json = false;
    std::string_view command;

    int report(const report::JsonError& error, std::string_view text) const {
        io.out << std::flush;
        if (json)
            io.err << report::render_error_json(command, error);
        else
            io.err << text << '\n';
        io.err << std::flush;
        return error.exit_code;
    }
};

// The run's own output is its result (a table, JSON, a schema): when it could not be written,
// the command failed even though the database work is done.
int checked_output(int code, const ErrorOutput& output) {
    const Io& io = output.io;
    io.out << std::flush;
    if (io.out)
        return code;
    report::JsonError error;
    error.kind = report::error_kind_name(ErrorKind::Output);
    error.exit_code = code == k_exit_success ? k_exit_failed : code;
    error.message = "cannot write the output: whatever was reading it has closed it";
    error.hint = "the command itself completed; run it again with the output going somewhere "
                 "that stays open";
    return output.report(error, "strata: error: " + error.message + "\n  hint: " + *error.hint);
}

report::JsonError internal_error(std::string message) {
    report::JsonError error;
    error.kind = "internal";
    error.exit_code = k_exit_failed;
    error.message = std::move(message);
    return error;
}

} // namespace

int run(const std::vector<std::string>& args, const Io& io) {
    // Hints name commands and flags, not the library's types.
    const AudienceScope audience(Audience::CommandLine);
    ErrorOutput output{io, wants_json(args), {}};
    try {
        const CommandLine line = parse_arguments(args);
        output.command = command_name(line.command);
        Io chosen = io;
        chosen.colour = colour_for(line.colour, io.colour);
        return checked_output(execute(line, chosen), output);
    } catch (const InterruptedRun& run) {
        return output.report(report::json_error(run.error, 128 + run.signal),
                             "strata: " + shown(run.error.what()));
    } catch (const Error& error) {
        return output.report(report::json_error(error, exit_code_for(error.kind())),
                             "strata: error: " + shown_error(error));
    } catch (const std::exception& error) {
        return output.report(internal_error(error.what()),
                             "strata: internal error: " + shown(error.what()));
    } catch (...) {
        return output.report(internal_error("unknown exception"),
                             "strata: internal error: unknown exception");
    }
}

int run(int argc, char** argv) {
    std::vector<std::string> args;
    for (int i = 1; i < argc; ++i)
        args.emplace_back(argv[i]);
    install_interrupt_handlers();
    Io io{std::cin,
          std::cout,
          std::cerr,
          stdin_is_terminal(),
          stdout_wants_colour(),
          terminal_width(),
          stdout_is_terminal()};
    return run(args, io);
}

} // namespace strata::cli
