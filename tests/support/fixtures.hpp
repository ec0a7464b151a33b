// SPDX-License-Identifier: MIT
// Header-only, so the test executable needs no extra source file for it.
#pragma once

#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace strata::test {

// One migration: files `<id>_<slug>.up.sql` and `<id>_<slug>.down.sql`.
struct MigrationSpec {
    std::string id;
    std::string slug;
    std::string up;
    std::string down;
};

// One [[apps]] entry and its migration files.
struct AppSpec {
    std::string name;
    std::vector<MigrationSpec> migrations;
    std::vector<std::string> depends_on;
    // Folder relative to the project root; empty means "migrations/<name>".
    std::string folder;
};

// A whole project: strata.toml plus every app's folder and files.
struct ProjectSpec {
    std::vector<AppSpec> apps;
    std::string database = "app.db";
    // Appended verbatim after the top-level keys (before [[apps]]), e.g. "busy_timeout_ms = 1\n".
    std::string extra_top_level;
};

// The folder (relative to the root) that holds an app's migration files.
inline std::string app_folder(const AppSpec& app) {
    return app.folder.empty() ? "migrations/" + app.name : app.folder;
}

// Path of a migration's up (or down) file inside `folder`.
inline std::filesystem::path migration_file(const std::filesystem::path& folder,
                                            const MigrationSpec& migration, bool up = true) {
    return folder / (migration.id + "_" + migration.slug + (up ? ".up.sql" : ".down.sql"));
}

// Writes one migration's two files into `folder`.
inline void write_migration(const std::filesystem::path& folder, const MigrationSpec& migration) {
    write_file(migration_file(folder, migration, true), migration.up);
    write_file(migration_file(folder, migration, false), migration.down);
}

// Writes strata.toml and the migration files of `project` under `root`.
inline void write_project(const std::filesystem::path& root, const ProjectSpec& project) {
    std::string toml = "database = \"" + project.database + "\"\n" + project.extra_top_level;
    for (const auto& app : project.apps) {
        toml +=
            "\n[[apps]]\nname = \"" + app.name + "\"\nmigrations = \"" + app_folder(app) + "\"\n";
        if (!app.depends_on.empty()) {
            toml += "depends_on = [";
            for (std::size_t i = 0; i < app.depends_on.size(); ++i)
                toml += (i == 0 ? "\"" : ", \"") + app.depends_on[i] + "\"";
            toml += "]\n";
        }
        auto folder = root / app_folder(app);
        std::filesystem::create_directories(folder);
        for (const auto& migration : app.migrations)
            write_migration(folder, migration);
    }
    write_file(root / "strata.toml", toml);
}

// The app most tests use: 0001_create_users, 0002_create_notes, 0003_add_tags, each creating
// one table (users, notes, tags) and dropping it on the way down.
inline AppSpec users_notes_tags_app(const std::string& name = "core") {
    AppSpec app;
    app.name = name;
    app.migrations = {
        {"0001", "create_users",
         "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n",
         "DROP TABLE users;\n"},
        {"0002", "create_notes",
         "CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id), "
         "body TEXT);\n",
         "DROP TABLE notes;\n"},
        {"0003", "add_tags", "CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT UNIQUE);\n",
         "DROP TABLE tags;\n"},
    };
    return app;
}

// A project with that one app, written under `root`; returns the spec it wrote.
inline ProjectSpec write_standard_project(const std::filesystem::path& root) {
    ProjectSpec project;
    project.apps.push_back(users_notes_tags_app());
    write_project(root, project);
    return project;
}

// 0001_quick creates t1; 0002_endless creates t2 and fills it until the run is interrupted (an
// endless recursive CTE).
inline AppSpec endless_app() {
    AppSpec app;
    app.name = "core";
    app.migrations = {
        {"0001", "quick", "CREATE TABLE t1 (x);\n", "DROP TABLE t1;\n"},
        {"0002", "endless",
         "CREATE TABLE t2 (x);\nINSERT INTO t2 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
         "SELECT i + 1 FROM n) SELECT i FROM n;\n",
         "DROP TABLE t2;\n"},
    };
    return app;
}

// A project with endless_app in WAL mode, written under `root`: a test can watch the state
// table (wait_until_recorded) while 0002 writes.
inline void write_endless_project(const std::filesystem::path& root) {
    ProjectSpec project;
    project.apps.push_back(endless_app());
    project.extra_top_level = "journal_mode = \"wal\"\n";
    write_project(root, project);
}

// Options that run strata in `dir`.
inline RunOptions in_dir(const std::filesystem::path& dir) {
    RunOptions opts;
    opts.cwd = dir;
    return opts;
}

// How many times `needle` occurs in `haystack` (non-overlapping).
inline std::size_t count_of(const std::string& haystack, const std::string& needle) {
    std::size_t count = 0;
    for (auto at = haystack.find(needle); at != std::string::npos;
         at = haystack.find(needle, at + needle.size()))
        ++count;
    return count;
}

// The lines of `text`, without their line endings.
inline std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos)
            end = text.size();
        std::string line = text.substr(start, end - start);
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        lines.push_back(line);
        start = end + 1;
    }
    return lines;
}

} // namespace strata::test
