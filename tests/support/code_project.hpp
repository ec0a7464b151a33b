// SPDX-License-Identifier: MIT
// A Project built in code, as an application builds one, for the library's tests.
#pragma once

#include "strata/project/project.hpp"
#include "support/temp_dir.hpp"

#include <filesystem>
#include <string>

namespace strata::test {

// The database `dir`/app.db and one app "core" whose migrations are in `dir`/migrations. The
// project file is named (messages show it) but never written.
inline Project core_project(const std::filesystem::path& dir) {
    Project project;
    project.file = dir / "strata.toml";
    project.database = dir / "app.db";
    AppConfig app;
    app.name = "core";
    app.migrations_dir = dir / "migrations";
    project.apps.push_back(app);
    return project;
}

// Writes migration `name` ("<id>_<slug>") as its two files in the folder of the project's first
// app.
inline void add_migration(const Project& project, const std::string& name, const std::string& up,
                          const std::string& down) {
    write_file(project.apps.at(0).migrations_dir / (name + ".up.sql"), up);
    write_file(project.apps.at(0).migrations_dir / (name + ".down.sql"), down);
}

} // namespace strata::test
