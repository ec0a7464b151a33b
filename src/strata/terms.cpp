// SPDX-License-Identifier: MIT
#include "strata/terms.hpp"

namespace strata::terms {

namespace {

struct CommandNames {
    std::string_view cli;
    std::string_view library;
};

CommandNames names_of(Command command) {
    switch (command) {
    case Command::Forwards:
        return {"forwards", "ForwardsMigrationManager"};
    case Command::Backwards:
        return {"backwards", "BackwardsMigrationManager"};
    case Command::Goto:
        return {"goto", "GotoMigrationManager"};
    case Command::Redo:
        return {"redo", "RedoMigrationManager"};
    case Command::Sync:
        return {"sync", "SyncMigrationManager"};
    case Command::Check:
        return {"check", "CheckMigrationManager"};
    case Command::Repair:
        return {"repair", "RepairMigrationManager"};
    case Command::Clean:
        return {"clean", "CleanMigrationManager"};
    case Command::Restore:
        return {"restore", "strata::restore_backup()"};
    case Command::Schema:
        return {"schema", "strata::schema_of()"};
    case Command::Bundle:
        return {"bundle", "strata::write_bundle()"};
    case Command::New:
        return {"new", "strata::create_migration()"};
    case Command::Init:
        return {"init", "strata::init_project()"};
    case Command::Import:
        return {"import", "strata::import_migrations()"};
    }
    return {"", ""};
}

} // namespace

std::string command(Command command, std::string_view args) {
    const CommandNames names = names_of(command);
    if (current_audience() == Audience::CommandLine)
        return "`strata " + std::string(names.cli) + (args.empty() ? "" : " ") + std::string(args) +
               "`";
    std::string text(names.library);
    if (!args.empty())
        text += args.starts_with("APP") ? " with options.app set"
                                        : " with app \"" + std::string(args) + "\"";
    return text;
}

std::string command_for_apps(Command which, const std::vector<std::string>& apps) {
    if (apps.size() == 1)
        return command(which, apps.front());
    if (apps.empty())
        return command(which);
    std::string names;
    for (const std::string& app : apps)
        names += (names.empty() ? "" : ", ") + app;
    return command(which, "APP") + " (for " + names + ")";
}

std::string option(Option option) {
    const bool cli = current_audience() == Audience::CommandLine;
    switch (option) {
    case Option::AllowModified:
        return cli ? "--allow-modified" : "Context::allow_modified = true";
    case Option::OutOfOrder:
        return cli ? "--out-of-order (out_of_order = \"allow\" in strata.toml)"
                   : "Settings::out_of_order = OutOfOrder::Allow";
    case Option::AutoAgree:
        return cli ? "--yes" : "auto_agree = true";
    case Option::Database:
        return cli ? "`database` (or --database)" : "Project::database";
    case Option::Backup:
        return cli ? "--backup" : "Settings::backup = true";
    case Option::Steps:
        return cli ? "--steps N" : "Count{N}";
    case Option::Directory:
        return cli ? "-C DIR" : "init_project's `dir`";
    }
    return "";
}

namespace {

// Where the library keeps what the project file calls `key`.
std::string library_name_of(std::string_view key) {
    if (key == "migrations")
        return "AppConfig::migrations_dir";
    if (key == "busy_timeout" || key == "busy_timeout_ms")
        return "Project::busy_timeout_ms";
    return "Settings::" + std::string(key);
}

} // namespace

std::string setting(std::string_view key) {
    if (current_audience() == Audience::CommandLine)
        return "`" + std::string(key) + "` in strata.toml";
    return library_name_of(key);
}

std::string setting(std::string_view key, std::string_view value) {
    if (current_audience() == Audience::CommandLine)
        return std::string(key) + " = " + std::string(value) + " in strata.toml";
    return library_name_of(key) + " = " + std::string(value);
}

std::string program() {
    return current_audience() == Audience::CommandLine ? "strata" : "the program";
}

std::string run_as(std::string_view user) {
    const std::string who(user);
    if (current_audience() != Audience::CommandLine)
        return "run the program as " + who;
    const std::string sudo =
        who == "root" ? "`sudo strata ...`" : "`sudo -u " + who + " strata ...`";
    return "run strata as " + who + " (e.g. " + sudo + " with the same options)";
}

} // namespace strata::terms
