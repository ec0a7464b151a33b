// SPDX-License-Identifier: MIT
// The readers of `strata import`: each tool's markers, StatementBegin/End, CRLF, missing downs,
// no-transaction markers, and what is listed as not converted.
#include "strata/api/import_formats.hpp"
#include "strata/error.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

using namespace strata;
using strata::test::TempDir;
using strata::test::write_file;

namespace {

const ImportedMigration* find(const ImportReading& reading, std::string_view id) {
    for (const ImportedMigration& migration : reading.migrations)
        if (migration.id == id)
            return &migration;
    return nullptr;
}

} // namespace

TEST_SUITE("import") {

    TEST_CASE("format names round-trip and unknown ones are refused") {
        for (std::string_view name : {"golang-migrate", "goose", "dbmate", "sqlx", "diesel"})
            CHECK(import_format_name(*parse_import_format(name)) == name);
        CHECK_FALSE(parse_import_format("flyway"));
        CHECK(import_format_names() == "golang-migrate, goose, dbmate, sqlx, diesel");
    }

    TEST_CASE("goose: sections split at Up and Down, StatementBegin/End dropped") {
        const SplitMigration split =
            split_goose("-- a comment before\n"
                        "-- +goose Up\n"
                        "-- +goose StatementBegin\n"
                        "CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; END;\n"
                        "-- +goose StatementEnd\n"
                        "-- +goose Down\n"
                        "DROP TRIGGER t;\n");
        CHECK(split.problem.empty());
        CHECK(split.up_sql == "CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; END;\n");
        CHECK(split.down_sql == "DROP TRIGGER t;\n");
        CHECK(split.has_down);
        CHECK_FALSE(split.up_without_transaction);
    }

    TEST_CASE("goose: CRLF lines keep their line breaks and markers are still seen") {
        const SplitMigration split = split_goose(
            "-- +goose Up\r\nCREATE TABLE a (x);\r\n-- +goose Down\r\nDROP TABLE a;\r\n");
        CHECK(split.problem.empty());
        CHECK(split.up_sql == "CREATE TABLE a (x);\r\n");
        CHECK(split.down_sql == "DROP TABLE a;\r\n");
    }

    TEST_CASE("goose: a missing Down, NO TRANSACTION, and files that cannot be converted") {
        const SplitMigration no_down =
            split_goose("-- +goose NO TRANSACTION\n-- +goose Up\nVACUUM;\n");
        CHECK(no_down.problem.empty());
        CHECK_FALSE(no_down.has_down);
        CHECK(no_down.up_without_transaction);
        CHECK(split_goose("CREATE TABLE a (x);\n").problem ==
              "SQL before the -- +goose Up annotation");
        CHECK(split_goose("-- nothing\n").problem == "no -- +goose Up annotation");
        CHECK(split_goose("-- +goose Up\n-- +goose ENVSUB ON\n").problem ==
              "the annotation -- +goose ENVSUB ON has no equivalent in strata");
        CHECK(split_goose("-- +goose Down\n-- +goose Up\n").problem ==
              "-- +goose Down comes before -- +goose Up");
    }

    TEST_CASE("dbmate: markers, transaction:false, a missing down") {
        const SplitMigration split = split_dbmate("-- migrate:up transaction:false\nVACUUM;\n\n"
                                                  "-- migrate:down\nSELECT 1;\n");
        CHECK(split.problem.empty());
        CHECK(split.up_sql == "VACUUM;\n\n");
        CHECK(split.down_sql == "SELECT 1;\n");
        CHECK(split.up_without_transaction);
        CHECK_FALSE(split.down_without_transaction);
        const SplitMigration no_down = split_dbmate("-- migrate:up\r\nCREATE TABLE a (x);\r\n");
        CHECK(no_down.problem.empty());
        CHECK(no_down.up_sql == "CREATE TABLE a (x);\r\n");
        CHECK_FALSE(no_down.has_down);
        CHECK(split_dbmate("-- migrate:up transaction:maybe\n").problem ==
              "the option transaction:maybe has no equivalent in strata");
        CHECK(split_dbmate("CREATE TABLE a (x);\n").problem == "SQL before the -- migrate:up line");
    }

    TEST_CASE("SQL run without a transaction goes after commit only when it is all VACUUM") {
        CHECK(as_after_commit("VACUUM;\n-- done\nvacuum main;\n") ==
              "-- strata:after-commit\nVACUUM;\n-- done\nvacuum main;\n");
        CHECK_FALSE(as_after_commit("VACUUM; CREATE TABLE a (x);"));
        CHECK_FALSE(as_after_commit("CREATE INDEX i ON a (x);"));
        CHECK_FALSE(as_after_commit("-- nothing\n"));
    }

    TEST_CASE("golang-migrate: pairs, a missing down, a lone down, and other names") {
        TempDir dir;
        write_file(dir / "1_init.up.sql", "CREATE TABLE a (x);\n");
        write_file(dir / "1_init.down.sql", "DROP TABLE a;\n");
        write_file(dir / "2_more.up.sql", "CREATE TABLE b (x);\n");
        write_file(dir / "3_gone.down.sql", "DROP TABLE c;\n");
        write_file(dir / "notes.sql", "-- not a migration\n");
        write_file(dir / "README.md", "ignored\n");
        const ImportReading reading = read_import_folder(ImportFormat::GolangMigrate, dir.path());
        REQUIRE(reading.migrations.size() == 2);
        CHECK(reading.migrations[0].id == "1");
        CHECK(reading.migrations[0].slug == "init");
        CHECK(reading.migrations[0].down_sql == "DROP TABLE a;\n");
        CHECK_FALSE(reading.migrations[1].has_down);
        REQUIRE(reading.skipped.size() == 2);
        CHECK(reading.skipped[0].reason ==
              "not a golang-migrate migration file name ({version}_{title}.up.sql and .down.sql)");
        CHECK(reading.skipped[1].reason == "a down file without its up file");
        REQUIRE(reading.notes.size() == 1);
        CHECK(reading.notes[0].reason ==
              "no down SQL: strata writes an empty down file, so reversing it changes nothing");
    }

    TEST_CASE("goose folder: Go migrations are listed, NO TRANSACTION VACUUM goes after commit") {
        TempDir dir;
        write_file(dir / "00001_init.sql",
                   "-- +goose Up\nCREATE TABLE a (x);\n-- +goose Down\nDROP "
                   "TABLE a;\n");
        write_file(dir / "00002_fill.go", "package migrations\n");
        write_file(dir / "00003_compact.sql", "-- +goose NO TRANSACTION\n-- +goose Up\nVACUUM;\n");
        write_file(dir / "00004_index.sql",
                   "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX i ON a (x);\n");
        const ImportReading reading = read_import_folder(ImportFormat::Goose, dir.path());
        REQUIRE(reading.migrations.size() == 3);
        CHECK(find(reading, "00003")->up_sql == "-- strata:after-commit\nVACUUM;\n");
        CHECK(find(reading, "00004")->up_sql == "CREATE INDEX i ON a (x);\n");
        REQUIRE(reading.skipped.size() == 1);
        CHECK(reading.skipped[0].reason ==
              "a goose migration written in Go: its code cannot be converted to SQL");
        bool noted = false;
        for (const ImportNote& note : reading.notes)
            noted = noted || (note.source.ends_with("00004_index.sql") &&
                              note.reason.starts_with("ran without a transaction"));
        CHECK(noted);
    }

    TEST_CASE("sqlx: reversible pairs, simple files without down, -- no-transaction") {
        TempDir dir;
        write_file(dir / "20240101000000_users.up.sql", "CREATE TABLE users (x);\n");
        write_file(dir / "20240101000000_users.down.sql", "DROP TABLE users;\n");
        write_file(dir / "20240102000000_seed.sql", "INSERT INTO users VALUES (1);\n");
        write_file(dir / "20240103000000_compact.sql", "-- no-transaction\nVACUUM;\n");
        const ImportReading reading = read_import_folder(ImportFormat::Sqlx, dir.path());
        REQUIRE(reading.migrations.size() == 3);
        CHECK(find(reading, "20240101000000")->has_down);
        CHECK_FALSE(find(reading, "20240102000000")->has_down);
        CHECK(find(reading, "20240103000000")->up_sql ==
              "-- strata:after-commit\n-- no-transaction\nVACUUM;\n");
        CHECK(reading.skipped.empty());
    }

    TEST_CASE("diesel: dated folders become 14-digit ids; a folder without up.sql is listed") {
        TempDir dir;
        write_file(dir / "2024-01-02-030405_create_users" / "up.sql", "CREATE TABLE users (x);\n");
        write_file(dir / "2024-01-02-030405_create_users" / "down.sql", "DROP TABLE users;\n");
        write_file(dir / "2024-01-03-000000_empty" / "down.sql", "SELECT 1;\n");
        write_file(dir / "2024-01-04-000000_compact" / "up.sql", "VACUUM;\n");
        write_file(dir / "2024-01-04-000000_compact" / "metadata.toml",
                   "run_in_transaction = false\n");
        const ImportReading reading = read_import_folder(ImportFormat::Diesel, dir.path());
        REQUIRE(reading.migrations.size() == 2);
        CHECK(reading.migrations[0].id == "20240102030405");
        CHECK(reading.migrations[0].slug == "create_users");
        CHECK(reading.migrations[1].up_sql == "-- strata:after-commit\nVACUUM;\n");
        REQUIRE(reading.skipped.size() == 1);
        CHECK(reading.skipped[0].reason == "no up.sql");
    }

    TEST_CASE("two migrations with one id are refused, naming both") {
        TempDir dir;
        write_file(dir / "1_a.sql", "-- migrate:up\nSELECT 1;\n");
        write_file(dir / "01_b.sql", "-- migrate:up\nSELECT 2;\n");
        CHECK_THROWS_WITH_AS(read_import_folder(ImportFormat::Dbmate, dir.path()),
                             doctest::Contains("two migrations have the id"), Error);
        CHECK_THROWS_AS(read_import_folder(ImportFormat::Dbmate, dir / "missing"), Error);
    }

} // TEST_SUITE
