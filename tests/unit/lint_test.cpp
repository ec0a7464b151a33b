// SPDX-License-Identifier: MIT
// strata lint's pieces: the feature table and its token scan, destructive statements, nolint
// comments, the stand-in functions, and LintMigrationManager on projects in temp folders.
#include "strata/executor/lint_probe.hpp"
#include "strata/executor/sqlite_features.hpp"
#include "strata/executor/stand_in_functions.hpp"
#include "strata/strata.hpp"
#include "support/fixtures.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace strata;
using strata::test::TempDir;

namespace {

// The names of the syntax features `sql` uses, in text order.
std::vector<std::string> features_of(std::string_view sql) {
    std::vector<std::string> names;
    for (const FeatureUse& use : syntax_features(sql))
        names.emplace_back(use.feature->name);
    return names;
}

std::string id_of(const LintFinding& finding) {
    return std::string(lint_check_id(finding.check));
}

// Lints a one-app project written under `dir` with `extra` top-level keys in strata.toml.
LintReport lint(const TempDir& dir, const std::vector<strata::test::MigrationSpec>& migrations,
                const std::string& extra = "") {
    strata::test::ProjectSpec spec;
    spec.extra_top_level = extra;
    spec.apps.push_back({"main", migrations, {}, {}});
    strata::test::write_project(dir.path(), spec);
    const Project project = load_project(dir / "strata.toml", process_environment());
    return LintMigrationManager(Context{project}).run();
}

} // namespace

TEST_SUITE("lint") {
    TEST_CASE("each syntax feature is found by its tokens") {
        struct Row {
            std::string_view sql;
            std::string_view feature;
        };
        const Row rows[] = {
            {"INSERT INTO t VALUES (1) ON CONFLICT (a) DO NOTHING", "UPSERT (ON CONFLICT ... DO)"},
            {"INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING", "UPSERT (ON CONFLICT ... DO)"},
            {"SELECT row_number() OVER (ORDER BY a) FROM t", "window functions (OVER)"},
            {"SELECT sum(a) OVER w FROM t WINDOW w AS (ORDER BY a)", "window functions (OVER)"},
            {"ALTER TABLE t RENAME COLUMN a TO b", "RENAME COLUMN"},
            {"ALTER TABLE main.t RENAME a TO b", "RENAME COLUMN"},
            {"SELECT count(*) FILTER (WHERE a > 1) FROM t", "FILTER on aggregate functions"},
            {"SELECT a FROM t ORDER BY a NULLS LAST", "NULLS FIRST / NULLS LAST"},
            {"CREATE TABLE t (a, b GENERATED ALWAYS AS (a * 2))", "generated columns"},
            {"CREATE TABLE t (a, b AS (a * 2) STORED)", "generated columns"},
            {"UPDATE t SET a = s.a FROM s WHERE s.id = t.id", "UPDATE ... FROM"},
            {"ALTER TABLE t DROP COLUMN a", "DROP COLUMN"},
            {"alter table \"t\" drop a", "DROP COLUMN"},
            {"DELETE FROM t WHERE a = 1 RETURNING a", "RETURNING"},
            {"WITH c AS MATERIALIZED (SELECT 1) SELECT * FROM c",
             "MATERIALIZED common table expressions"},
            {"CREATE TABLE t (a INTEGER) STRICT", "STRICT tables"},
            {"CREATE TABLE t (a INTEGER) WITHOUT ROWID, STRICT", "STRICT tables"},
            {"SELECT data ->> '$.a' FROM t", "-> and ->> operators"},
            {"SELECT data->'$.a' FROM t", "-> and ->> operators"},
            {"SELECT a IS NOT DISTINCT FROM b FROM t", "IS [NOT] DISTINCT FROM"},
            {"SELECT * FROM a FULL OUTER JOIN b ON a.x = b.x", "RIGHT and FULL OUTER JOIN"},
            {"SELECT * FROM a RIGHT JOIN b ON a.x = b.x", "RIGHT and FULL OUTER JOIN"},
        };
        for (const Row& row : rows) {
            INFO(row.sql);
            CHECK(features_of(row.sql) == std::vector<std::string>{std::string(row.feature)});
        }
    }

    TEST_CASE("comments, strings and quoted names never count, nor older look-alikes") {
        const std::string_view rows[] = {
            "-- ALTER TABLE t DROP COLUMN a RETURNING ->>\nSELECT 1",
            "/* RETURNING STRICT OVER ( ->> */ SELECT 1",
            "SELECT 'RETURNING ->> OVER (' FROM t",
            "SELECT \"returning\", [strict], `over` FROM t",
            "CREATE TABLE t (a UNIQUE ON CONFLICT REPLACE)",
            "ALTER TABLE t RENAME TO u",
            "ALTER TABLE t ADD COLUMN strict INTEGER",
            "CREATE TABLE t AS SELECT 1 AS x",
            "CREATE TABLE t (a DEFAULT (CAST(1 AS TEXT)), CHECK (CAST(a AS INT) > 0))",
            "SELECT a - -1, a > -2 FROM t",
            "UPDATE t SET a = (SELECT b FROM s)",
            "SELECT 'it''s RETURNING' FROM t",
        };
        for (std::string_view sql : rows) {
            INFO(sql);
            CHECK(features_of(sql).empty());
        }
    }

    TEST_CASE("a feature is found at its token's offset, each kind once") {
        const std::string sql = "SELECT a->>'x', b->>'y' FROM t";
        const std::vector<FeatureUse> uses = syntax_features(sql);
        REQUIRE(uses.size() == 1);
        CHECK(uses[0].offset == sql.find("->>"));
    }

    TEST_CASE("every row of the table names a version and its release notes") {
        for (const SqliteFeature& feature : sqlite_features()) {
            INFO(feature.name);
            CHECK(feature.version > 3000000);
            CHECK(feature.source.starts_with("https://sqlite.org/releaselog/3_"));
        }
        REQUIRE(function_feature("UNHEX") != nullptr);
        CHECK(function_feature("unhex")->version == 3041000);
        CHECK(function_feature("iif")->version == 3032000);
        CHECK(function_feature("json_extract")->version == 3038000);
        CHECK(function_feature("lower") == nullptr);
        CHECK(function_feature("my_hash") == nullptr);
    }

    TEST_CASE("destructive statements: DROP TABLE, DROP COLUMN, DELETE without WHERE") {
        CHECK(destructive_statement("DROP TABLE t")->what == "DROP TABLE");
        CHECK(destructive_statement("drop table if exists t")->what == "DROP TABLE");
        CHECK(destructive_statement("ALTER TABLE t DROP COLUMN a")->what == "DROP COLUMN");
        CHECK(destructive_statement("DELETE FROM t")->what == "DELETE without WHERE");
        CHECK(destructive_statement("WITH x AS (SELECT 1 WHERE 1) DELETE FROM t")->what ==
              "DELETE without WHERE");
        CHECK(destructive_statement("  DELETE FROM t -- WHERE a\n")->offset == 2);
        CHECK_FALSE(destructive_statement("DELETE FROM t WHERE a = 1"));
        CHECK_FALSE(destructive_statement("WITH x AS (SELECT 1) DELETE FROM t WHERE a IN x"));
        CHECK_FALSE(destructive_statement("DROP INDEX i"));
        CHECK_FALSE(destructive_statement("DROP VIEW v"));
        CHECK_FALSE(destructive_statement("CREATE TRIGGER g AFTER INSERT ON t BEGIN DELETE FROM "
                                          "u; END"));
        CHECK_FALSE(destructive_statement("SELECT 'DROP TABLE t'"));
    }

    TEST_CASE("nolint comments: ids by comma or blank, their lines, not inside strings") {
        const std::vector<NolintComment> found =
            nolint_comments("SELECT 1;\n-- strata:nolint destructive, newer-sqlite\n"
                            "SELECT '-- strata:nolint x'; --strata:nolint down-leaves\n"
                            "-- strata:nolintish a\n/* strata:nolint b */\n");
        REQUIRE(found.size() == 2);
        CHECK(found[0].line == 2);
        CHECK(found[0].ids == std::vector<std::string>{"destructive", "newer-sqlite"});
        CHECK(found[1].line == 3);
        CHECK(found[1].ids == std::vector<std::string>{"down-leaves"});
    }

    TEST_CASE("stand-in functions return NULL and may be used by views under trusted_schema off") {
        ScratchDatabase scratch;
        register_stand_in_functions(scratch.db().handle(), {"slugify"});
        scratch.db().exec("CREATE TABLE t (a TEXT, b AS (slugify(a, 1)));"
                          "CREATE VIEW v AS SELECT slugify(a) AS s FROM t;"
                          "INSERT INTO t (a) VALUES ('x');");
        CHECK(sqlite::query_int64(scratch.db(), "SELECT count(*) FROM v WHERE s IS NULL") == 1);
        CHECK(sqlite::query_int64(scratch.db(), "SELECT b IS NULL FROM t") == 1);
        CHECK(schema_objects(scratch.db()) == std::set<std::string>{"table t", "view v"});
    }

    TEST_CASE("newer-sqlite: syntax and functions above minimum_sqlite, none without it") {
        TempDir dir;
        const std::vector<strata::test::MigrationSpec> migrations{
            {"0001", "create",
             "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT) STRICT;\n"
             "SELECT iif(1, 2, 3);\n",
             "DROP TABLE t;\n"}};
        const LintReport report = lint(dir, migrations, "minimum_sqlite = \"3.31\"\n");
        REQUIRE(report.findings.size() == 2);
        CHECK(id_of(report.findings[0]) == "newer-sqlite");
        CHECK(report.findings[0].where.line == 1);
        CHECK(report.findings[0].where.column == 49);
        CHECK(report.findings[0].message ==
              "STRICT tables needs SQLite 3.37, newer than minimum_sqlite (see "
              "https://sqlite.org/releaselog/3_37_0.html)");
        CHECK(report.findings[1].where.line == 2);
        CHECK(report.findings[1].where.column == 8);
        CHECK(report.findings[1].message.starts_with("iif() needs SQLite 3.32"));
        CHECK(report.minimum_sqlite == 3031000);
        CHECK(report.migrations_checked == 1);

        TempDir newer;
        CHECK(lint(newer, migrations, "minimum_sqlite = \"3.37\"\n").findings.empty());
        TempDir unset;
        CHECK(lint(unset, migrations).findings.empty());
    }

    TEST_CASE("destructive: in up files only, silenced by a comment or by backup = true") {
        const std::vector<strata::test::MigrationSpec> migrations{
            {"0001", "create", "CREATE TABLE t (a);\nCREATE TABLE u (a);\n",
             "DROP TABLE u;\nDROP TABLE t;\n"},
            {"0002", "purge",
             "DELETE FROM t;\n-- strata:nolint destructive\nDROP TABLE u;\nDELETE FROM t WHERE "
             "a;\n",
             "CREATE TABLE u (a);\n"}};
        TempDir dir;
        const LintReport report = lint(dir, migrations);
        REQUIRE(report.findings.size() == 2);
        CHECK(id_of(report.findings[0]) == "destructive");
        CHECK(report.findings[0].message.starts_with("DELETE without WHERE removes data"));
        CHECK(report.findings[0].migration == "0002_purge");
        CHECK_FALSE(report.findings[0].silenced);
        CHECK(report.findings[1].where.line == 3);
        CHECK(report.findings[1].silenced);
        CHECK(report.unsilenced() == 1);

        TempDir backed_up;
        CHECK(lint(backed_up, migrations, "backup = true\n").findings.empty());
    }

    TEST_CASE("a finding on a statement's later line is silenced by a comment before the "
              "statement") {
        TempDir dir;
        const LintReport report =
            lint(dir,
                 {{"0001", "create",
                   "CREATE TABLE t (a, b);\n-- strata:nolint newer-sqlite\nALTER TABLE t\n  DROP "
                   "COLUMN a;\n",
                   "DROP TABLE t;\n"}},
                 "minimum_sqlite = \"3.30\"\nbackup = true\n");
        REQUIRE(report.findings.size() == 1);
        CHECK(report.findings[0].where.line == 4);
        CHECK(report.findings[0].silenced);
    }

    TEST_CASE("down files: leaving what the up created, dropping what it did not") {
        TempDir dir;
        const LintReport report =
            lint(dir, {{"0001", "create", "CREATE TABLE a (x);\n", "DROP TABLE a;\n"},
                       {"0002", "more", "CREATE TABLE b (x);\nCREATE INDEX b_x ON b (x);\n",
                        "DROP TABLE a;\n"},
                       {"0003", "quiet", "CREATE TABLE c (x);\n",
                        "-- strata:nolint down-leaves\nSELECT 1;\n"}});
        REQUIRE(report.findings.size() == 3);
        CHECK(id_of(report.findings[0]) == "down-leaves");
        CHECK(report.findings[0].message ==
              "the down file leaves what the up file created: index b_x, table b");
        CHECK(report.findings[0].where.path.ends_with("0002_more.down.sql"));
        CHECK(report.findings[0].where.line == 1);
        CHECK(id_of(report.findings[1]) == "down-drops-foreign");
        CHECK(report.findings[1].message ==
              "the down file drops what the up file did not create: table a");
        CHECK(id_of(report.findings[2]) == "down-leaves");
        CHECK(report.findings[2].silenced);
    }

    TEST_CASE("unknown functions are listed unless strata.toml declares them") {
        const std::vector<strata::test::MigrationSpec> migrations{
            {"0001", "create",
             "CREATE TABLE t (a TEXT, s AS (slugify(a)));\nSELECT my_hash(a), lower(a) FROM t;\n",
             "DROP TABLE t;\n"}};
        TempDir dir;
        const LintReport report = lint(dir, migrations);
        REQUIRE(report.findings.size() == 2);
        CHECK(id_of(report.findings[0]) == "unknown-function");
        CHECK(
            report.findings[0].message.starts_with("function slugify() is not built into SQLite"));
        CHECK(report.findings[0].where.column == 31);
        CHECK(report.findings[1].message.starts_with("function my_hash() is not built into"));
        CHECK(report.findings[1].where.line == 2);

        TempDir declared;
        CHECK(lint(declared, migrations, "functions = [\"slugify\", \"my_hash\"]\n")
                  .findings.empty());
    }

    TEST_CASE("an up file's after-commit section runs after its transaction, as forwards runs it") {
        TempDir dir;
        const LintReport report =
            lint(dir, {{"0001", "create",
                        "CREATE TABLE t (a);\n-- strata:after-commit\nVACUUM;\nPRAGMA optimize;\n",
                        "DROP TABLE t;\n"},
                       {"0002", "more", "INSERT INTO t VALUES (1);\n", "DELETE FROM t;\n"}});
        CHECK(report.findings.empty());
        CHECK(report.migrations_checked == 2);
    }

    TEST_CASE("a migration written in C++ builds the schema the SQL after it lints against") {
        TempDir dir;
        strata::test::ProjectSpec spec;
        spec.apps.push_back({"main",
                             {{"0001", "create", "CREATE TABLE t (a);\n", "DROP TABLE t;\n"},
                              {"0003", "use", "INSERT INTO made_in_code VALUES (1);\n",
                               "DELETE FROM made_in_code WHERE x = 1;\n"}},
                             {},
                             {}});
        strata::test::write_project(dir.path(), spec);
        const Project project = load_project(dir / "strata.toml", process_environment());
        Context context{project};
        context.code_migrations["main"] = {CodeMigration{
            .id = MigrationId("0002"),
            .name = "0002_in_code",
            .version = "1",
            .up = [](sqlite3* db) { sqlite::Database(db).exec("CREATE TABLE made_in_code (x)"); },
        }};
        const LintReport report = LintMigrationManager(context).run();
        CHECK(report.findings.empty());
        CHECK(report.migrations_checked == 2);
    }

    TEST_CASE("lint never creates or touches the project's database") {
        TempDir dir;
        lint(dir, {{"0001", "create", "CREATE TABLE t (a);\n", "DROP TABLE t;\n"}});
        CHECK_FALSE(std::filesystem::exists(dir / "app.db"));
    }

    TEST_CASE("SQL that does not run is an error at its place") {
        TempDir dir;
        try {
            lint(dir, {{"0001", "create", "CREATE TABLE t (a);\nINSERT INTO nowhere VALUES (1);\n",
                        "DROP TABLE t;\n"}});
            FAIL("lint did not throw");
        } catch (const Error& error) {
            CHECK(error.kind() == ErrorKind::MigrationFailed);
            CHECK(error.where().line == 2);
            CHECK(error.message() == "statement failed: no such table: nowhere");
        }
    }
}
