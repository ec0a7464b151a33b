// SPDX-License-Identifier: MIT
#include "strata/api/lint.hpp"

#include "strata/api/run_support.hpp"
#include "strata/error.hpp"
#include "strata/executor/lint_probe.hpp"
#include "strata/executor/sql_runner.hpp"
#include "strata/executor/sql_text.hpp"
#include "strata/executor/sqlite_api.hpp"
#include "strata/executor/sqlite_error.hpp"
#include "strata/executor/sqlite_features.hpp"
#include "strata/executor/stand_in_functions.hpp"
#include "strata/loader/loader.hpp"
#include "strata/project/settings.hpp"

#include <algorithm>
#include <set>

namespace strata {

using namespace detail;

std::string_view lint_check_id(LintCheck check) {
    switch (check) {
    case LintCheck::NewerSqlite:
        return "newer-sqlite";
    case LintCheck::Destructive:
        return "destructive";
    case LintCheck::DownLeaves:
        return "down-leaves";
    case LintCheck::DownDropsForeign:
        return "down-drops-foreign";
    case LintCheck::UnknownFunction:
        return "unknown-function";
    }
    return "newer-sqlite";
}

std::size_t LintReport::unsilenced() const {
    return static_cast<std::size_t>(std::count_if(
        findings.begin(), findings.end(), [](const LintFinding& f) { return !f.silenced; }));
}

LintMigrationManager::LintMigrationManager(Context context, LintOptions options)
    : m_context(context), m_options(std::move(options)) {}

namespace {

enum class FileKind { Up, Down };

// Where an offset of a file's text is, as messages count lines and columns.
SourceLocation location_in(const std::string& path, std::string_view text, std::size_t offset) {
    TextPosition position(text.data(), 1);
    position.advance_to(text.data() + std::min(offset, text.size()));
    return {path, position.line(), position.column()};
}

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& name : names)
        out += (out.empty() ? "" : ", ") + name;
    return out;
}

// Lints one migration on `db`, which holds every migration before it, and leaves it applied.
class MigrationLinter {
  public:
    MigrationLinter(sqlite::Database db, const Settings& settings, const Migration& migration,
                    std::vector<LintFinding>& findings)
        : m_db(db), m_settings(settings), m_migration(migration), m_findings(findings) {}

    void run() {
        const std::set<std::string> before = schema_objects(m_db);
        const std::string up_path = m_migration.up_path();
        const std::string down_path = m_migration.down_path();
        probe(m_migration.up_sql, up_path, FileKind::Up);
        apply(m_migration.up_sql, up_path);
        const std::set<std::string> after_up = schema_objects(m_db);
        const std::string& down = m_migration.down_sql.text();
        probe(down, down_path, FileKind::Down);
        std::set<std::string> after_down;
        {
            // Only the transaction part changes the schema; it is undone when `undo` ends, so
            // the next migration starts from this one applied.
            sqlite::Transaction undo(m_db, sqlite::TransactionKind::Immediate);
            run_sql(split_after_commit(down).in_transaction, down_path, 1, SqlPhase::InTransaction);
            after_down = schema_objects(m_db);
        }
        compare(before, after_up, after_down);
    }

  private:
    void probe(const std::string& text, const std::string& path, FileKind kind) {
        std::vector<ProbedStatement> statements;
        {
            sqlite::Transaction undo(m_db, sqlite::TransactionKind::Immediate);
            statements = probe_statements(m_db, text, path);
        }
        const std::vector<NolintComment> nolint = nolint_comments(text);
        for (const ProbedStatement& statement : statements) {
            auto add = [&](LintCheck check, std::size_t offset, std::string message) {
                LintFinding finding{check, m_migration.app_name, m_migration.name,
                                    location_in(path, text, statement.offset + offset),
                                    std::move(message)};
                const int start_line = location_in(path, text, statement.offset).line;
                finding.silenced = silenced(nolint, check, finding.where.line, start_line);
                m_findings.push_back(std::move(finding));
            };
            if (m_settings.minimum_sqlite != 0)
                for (const FeatureUse& use : syntax_features(statement.text))
                    if (use.feature->version > m_settings.minimum_sqlite)
                        add(LintCheck::NewerSqlite, use.offset, newer_message(*use.feature));
            std::vector<std::string> called = statement.functions;
            for (const std::string& name : statement.unknown)
                if (std::find(called.begin(), called.end(), name) == called.end())
                    called.push_back(name);
            for (const std::string& name : called) {
                const std::size_t offset = function_call_offset(statement.text, name).value_or(0);
                const SqliteFeature* feature = function_feature(name);
                const bool declared =
                    std::find(m_settings.functions.begin(), m_settings.functions.end(), name) !=
                    m_settings.functions.end();
                if (feature != nullptr && m_settings.minimum_sqlite != 0 &&
                    feature->version > m_settings.minimum_sqlite && !declared)
                    add(LintCheck::NewerSqlite, offset, newer_message(*feature));
                const bool unknown = std::find(statement.unknown.begin(), statement.unknown.end(),
                                               name) != statement.unknown.end();
                if (unknown && feature == nullptr && !declared)
                    add(LintCheck::UnknownFunction, offset,
                        "function " + name +
                            "() is not built into SQLite: the application must register it "
                            "(declare it in strata.toml: functions = [\"" +
                            name + "\"])");
            }
            if (kind == FileKind::Up && !m_settings.backup)
                if (auto destructive = destructive_statement(statement.text))
                    add(LintCheck::Destructive, destructive->offset,
                        std::string(destructive->what) +
                            " removes data a down file cannot bring back (set backup = true in "
                            "strata.toml, or mark the line)");
        }
    }

    static std::string newer_message(const SqliteFeature& feature) {
        return std::string(feature.name) + " needs SQLite " + sqlite_version_name(feature.version) +
               ", newer than minimum_sqlite (see " + std::string(feature.source) + ")";
    }

    bool silenced(const std::vector<NolintComment>& nolint, LintCheck check, int line,
                  int start_line) const {
        const std::string_view id = lint_check_id(check);
        return std::any_of(nolint.begin(), nolint.end(), [&](const NolintComment& comment) {
            const bool near =
                comment.line == line || comment.line == line - 1 || comment.line == start_line - 1;
            return near &&
                   std::find(comment.ids.begin(), comment.ids.end(), id) != comment.ids.end();
        });
    }

    // A finding about a down file as a whole: a comment anywhere in that file silences it.
    void add_file_finding(LintCheck check, std::string message) {
        const std::string& text = m_migration.down_sql.text();
        const std::vector<NolintComment> nolint = nolint_comments(text);
        const std::string_view id = lint_check_id(check);
        LintFinding finding{check, m_migration.app_name, m_migration.name,
                            SourceLocation{m_migration.down_path(), 1, 1}, std::move(message)};
        finding.silenced =
            std::any_of(nolint.begin(), nolint.end(), [&](const NolintComment& comment) {
                return std::find(comment.ids.begin(), comment.ids.end(), id) != comment.ids.end();
            });
        m_findings.push_back(std::move(finding));
    }

    void compare(const std::set<std::string>& before, const std::set<std::string>& after_up,
                 const std::set<std::string>& after_down) {
        std::vector<std::string> left;
        for (const std::string& object : after_up)
            if (!before.contains(object) && after_down.contains(object))
                left.push_back(object);
        if (!left.empty())
            add_file_finding(LintCheck::DownLeaves,
                             "the down file leaves what the up file created: " + joined(left));
        std::vector<std::string> dropped;
        for (const std::string& object : before)
            if (after_up.contains(object) && !after_down.contains(object))
                dropped.push_back(object);
        if (!dropped.empty())
            add_file_finding(LintCheck::DownDropsForeign,
                             "the down file drops what the up file did not create: " +
                                 joined(dropped));
    }

    // The up file through the runner forwards uses, its after-commit section included.
    void apply(const std::string& text, const std::string& path) {
        const SqlSections sections = split_after_commit(text);
        {
            sqlite::Transaction transaction(m_db, sqlite::TransactionKind::Immediate);
            run_sql(sections.in_transaction, path, 1, SqlPhase::InTransaction);
            transaction.commit();
        }
        if (!sections.after_commit.empty())
            run_sql(sections.after_commit, path, sections.after_commit_line, SqlPhase::AfterCommit);
    }

    void run_sql(std::string_view sql, const std::string& path, int first_line, SqlPhase phase) {
        SqlRun run{path, first_line, phase};
        run.state_table = m_settings.state_table;
        run_migration_sql(m_db, sql, run);
    }

    sqlite::Database m_db;
    const Settings& m_settings;
    const Migration& m_migration;
    std::vector<LintFinding>& m_findings;
};

} // namespace

LintReport LintMigrationManager::run() {
    const Project& project = m_context.project;
    LintReport report;
    report.minimum_sqlite = project.settings.minimum_sqlite;
    const std::vector<const AppConfig*> linted = selected_apps(m_context, m_options.app);
    // An app's migrations may use the tables of the apps it depends on: those run first.
    std::vector<const AppConfig*> apps;
    for (const AppConfig* app : linted)
        for (const AppConfig* needed : with_dependencies(project, *app))
            if (std::find(apps.begin(), apps.end(), needed) == apps.end())
                apps.push_back(needed);
    const std::vector<MigrationSet> sets = load_sets(m_context, apps);

    ScratchDatabase scratch;
    const sqlite::Database db = scratch.db();
    try {
        register_stand_in_functions(db.handle(), project.settings.functions);
        for (const MigrationSet& set : sets) {
            const bool lint_this =
                std::any_of(linted.begin(), linted.end(),
                            [&](const AppConfig* a) { return a->name == set.app_name; });
            for (const Migration& migration : set.migrations) {
                if (migration.code != nullptr) {
                    // Nothing to read in a C++ migration; it still builds the schema the
                    // migrations after it see.
                    sqlite::Transaction transaction(db, sqlite::TransactionKind::Immediate);
                    SqlRun run{migration.name};
                    run.state_table = project.settings.state_table;
                    run_migration_code(db, migration.code->up, run);
                    transaction.commit();
                    continue;
                }
                std::vector<LintFinding> findings;
                MigrationLinter(db, project.settings, migration, findings).run();
                if (!lint_this)
                    continue;
                ++report.migrations_checked;
                report.findings.insert(report.findings.end(), findings.begin(), findings.end());
            }
        }
    } catch (...) {
        rethrow_as_error(":memory:", "lint's scratch database");
    }
    return report;
}

} // namespace strata
