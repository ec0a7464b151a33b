// SPDX-License-Identifier: MIT
// The JSON documents of --json (docs/json.md), rendered on strings and read back with a strict
// parser: the writer's layout, the run, check and error documents, and hostile text.
#include "report/json_reporter.hpp"
#include "strata/plan/plan.hpp"
#include "support/json.hpp"

#include <doctest/doctest.h>

#include <set>
#include <stdexcept>

using strata::Direction;
using strata::Error;
using strata::ErrorKind;
using strata::MigrationId;
using strata::MigrationResult;
using strata::MigrationStatus;
using strata::Step;
using strata::test::JsonValue;
using strata::test::parse_json;
using namespace strata::report;
using namespace std::chrono_literals;

namespace {

Step make_step(Direction direction, const std::string& id, const std::string& description) {
    Step step;
    step.direction = direction;
    step.app_name = "core";
    step.migration_id = MigrationId(id);
    step.description = description;
    step.sql = "CREATE TABLE t (x);\n";
    return step;
}

} // namespace

TEST_SUITE("json") {
    TEST_CASE("the writer puts commas and layouts where they belong") {
        JsonWriter json;
        json.begin_object();
        json.key("a").integer(-3);
        json.key("b").begin_array().boolean(true).null().string("x").end_array();
        json.key("c").begin_array(JsonWriter::Layout::LinePerElement);
        json.begin_object().key("d").integer(1).end_object();
        json.begin_object().end_object();
        json.end_array();
        json.key("e").begin_array(JsonWriter::Layout::LinePerElement).end_array();
        json.key("f").begin_object().end_object();
        json.end_object();
        CHECK(
            json.text() ==
            "{\"a\":-3,\"b\":[true,null,\"x\"],\"c\":[\n  {\"d\":1},\n  {}\n],\"e\":[],\"f\":{}}");
        CHECK_NOTHROW(parse_json(json.text()));
    }

    TEST_CASE("durations are milliseconds with three decimals") {
        auto text = [](std::chrono::microseconds duration) {
            JsonWriter json;
            json.milliseconds(duration);
            return json.text();
        };
        CHECK(text(0us) == "0.000");
        CHECK(text(5us) == "0.005");
        CHECK(text(1234us) == "1.234");
        CHECK(text(61000123us) == "61000.123");
        CHECK(parse_json(text(1234us)).number == doctest::Approx(1.234));
    }

    TEST_CASE("strings: control characters escaped, UTF-8 kept, stray bytes replaced") {
        const std::string hostile = std::string("a\x1b[2K\r\x7f") + "\xc3\xa9" + "\xff" +
                                    "\xe2\x82" + "\"\\" + std::string(1, '\0') + "z";
        const std::string literal = json_string(hostile);
        CHECK(literal == "\"a\\u001b[2K\\r\x7f\xc3\xa9\\ufffd\\ufffd\\ufffd\\\"\\\\\\u0000z\"");
        // What a reader gets back: the text, with each invalid byte as U+FFFD.
        CHECK(parse_json(literal).string == std::string("a\x1b[2K\r\x7f\xc3\xa9") +
                                                "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"\\" +
                                                std::string(1, '\0') + "z");
    }

    TEST_CASE("the test parser refuses what is not JSON") {
        CHECK_THROWS_AS(parse_json("[1,]"), std::runtime_error);
        CHECK_THROWS_AS(parse_json("{\"a\":1} {}"), std::runtime_error);
        CHECK_THROWS_AS(parse_json("\"tab\there\""), std::runtime_error);
        CHECK_THROWS_AS(parse_json("\"\xff\""), std::runtime_error);
        CHECK_THROWS_AS(parse_json("{\"a\":1,\"a\":2}"), std::runtime_error);
        CHECK_THROWS_AS(parse_json("01"), std::runtime_error);
        CHECK(parse_json(" {\"a\":[1.5e2,\"\\u00e9\\ud83d\\ude00\"]}\n")["a"].array[1].string ==
              "\xc3\xa9\xf0\x9f\x98\x80");
    }

    TEST_CASE("a run's document lists each step with its outcome") {
        JsonReporter reporter("forwards", false, "/p");
        reporter.on_step_finished(make_step(Direction::Forwards, "0001", "create users"), 1500us);
        reporter.on_step_skipped(make_step(Direction::Forwards, "0002", "create notes"),
                                 "already applied by another runner");
        reporter.on_step_finished(make_step(Direction::Backwards, "0003", "add tags"), 20us);
        reporter.on_warning("a warning");
        reporter.on_backup_created("/p/app.db", "/p/app.db.bak");
        reporter.on_schema_written("schema.sql"); // relative paths are seen from the base
        reporter.on_file_removed("/p/migrations/core/0003_add_tags.up.sql");
        const std::string text = reporter.render({true, "Applied 1 migration"}, "/p/app.db");
        CHECK(text.back() == '\n');
        const JsonValue doc = parse_json(text);
        CHECK(doc.keys() == std::vector<std::string>{"schema", "command", "ok", "database",
                                                     "message", "steps", "warnings", "backup",
                                                     "schema_file", "removed_files", "elapsed_ms"});
        CHECK(doc["schema"].string == "strata/1");
        CHECK(doc["command"].string == "forwards");
        CHECK(doc["ok"].boolean);
        CHECK(doc["database"].string == "/p/app.db");
        CHECK(doc["message"].string == "Applied 1 migration");
        REQUIRE(doc["steps"].array.size() == 3);
        const JsonValue& applied = doc["steps"].array[0];
        CHECK(applied.keys() == std::vector<std::string>{"app_name", "migration_id", "description",
                                                         "direction", "status", "elapsed_ms", "sql",
                                                         "reason"});
        CHECK(applied["app_name"].string == "core");
        CHECK(applied["migration_id"].string == "0001");
        CHECK(applied["description"].string == "create users");
        CHECK(applied["direction"].string == "forwards");
        CHECK(applied["status"].string == "applied");
        CHECK(applied["elapsed_ms"].number == doctest::Approx(1.5));
        CHECK(applied["sql"].is_null());
        CHECK(applied["reason"].is_null());
        const JsonValue& skipped = doc["steps"].array[1];
        CHECK(skipped["status"].string == "skipped");
        CHECK(skipped["elapsed_ms"].is_null());
        CHECK(skipped["reason"].string == "already applied by another runner");
        const JsonValue& reversed = doc["steps"].array[2];
        CHECK(reversed["direction"].string == "backwards");
        CHECK(reversed["status"].string == "reversed");
        CHECK(doc["warnings"].array.size() == 1);
        CHECK(doc["backup"].string == "/p/app.db.bak");
        CHECK(doc["schema_file"].string == "/p/schema.sql");
        CHECK(doc["removed_files"].array.at(0).string == "/p/migrations/core/0003_add_tags.up.sql");
        CHECK(doc["elapsed_ms"].type == JsonValue::Type::Number);
    }

    TEST_CASE("a run's document: fake and preview steps, nothing done") {
        JsonReporter fake("forwards", true, "/p");
        fake.on_step_finished(make_step(Direction::Forwards, "0001", "create users"), 3us);
        CHECK(parse_json(fake.render({}, "db"))["steps"].array.at(0)["status"].string == "faked");

        JsonReporter preview("backwards", false, "/p");
        preview.on_preview(make_step(Direction::Backwards, "0001", "create users"));
        const JsonValue doc = parse_json(preview.render({true, ""}, "db"));
        CHECK(doc["command"].string == "backwards");
        CHECK(doc["steps"].array.at(0)["status"].string == "previewed");
        CHECK(doc["steps"].array.at(0)["sql"].string == "CREATE TABLE t (x);\n");

        JsonReporter idle("sync", false, "/p");
        const JsonValue empty = parse_json(idle.render({true, "Nothing to do"}, "db"));
        CHECK(empty["steps"].array.empty());
        CHECK(empty["backup"].is_null());
        CHECK(empty["schema_file"].is_null());
    }

    TEST_CASE("check's document keeps the status rows") {
        std::vector<MigrationStatus> statuses{
            {"core", MigrationId("0001"), "create users", true, "2026-11-21T10:00:00.123Z"},
            {"core", MigrationId("0002"), "create notes", false, ""},
        };
        statuses[0].state = strata::MigrationState::Applied;
        const std::string text = render_check_json("/p/app.db", statuses);
        // The rows are the same text as the array check printed before the versioned document.
        std::string rows = render_statuses_json(statuses);
        rows.pop_back();
        CHECK(text.find(rows) == text.find("\"migrations\":") + 13);
        const JsonValue doc = parse_json(text);
        CHECK(doc.keys() ==
              std::vector<std::string>{"schema", "command", "ok", "database", "migrations"});
        CHECK(doc["command"].string == "check");
        REQUIRE(doc["migrations"].array.size() == 2);
        const JsonValue& row = doc["migrations"].array[0];
        CHECK(row.keys() == std::vector<std::string>{"app_name", "migration_id", "description",
                                                     "has_ran", "ran_on", "status", "fake"});
        CHECK(row["ran_on"].string == "2026-11-21T10:00:00.123Z");
        CHECK(row["status"].string == "applied");
        CHECK(doc["migrations"].array[1]["ran_on"].is_null());
        CHECK(doc["migrations"].array[1]["status"].string == "pending");
        CHECK(parse_json(render_check_json("db", {}))["migrations"].array.empty());
    }

    TEST_CASE("paths in documents are absolute and normalised") {
        CHECK(json_path("app.db", "/p") == "/p/app.db");
        CHECK(json_path("sub/../data/./app.db", "/p/") == "/p/data/app.db");
        CHECK(json_path("/srv/app.db", "/p") == "/srv/app.db");
    }

    TEST_CASE("new's and init's documents list the files written") {
        const JsonValue doc =
            parse_json(render_files_json("new", {"/p/a.up.sql", "/p/a.down.sql"}));
        CHECK(doc["command"].string == "new");
        CHECK(doc["ok"].boolean);
        REQUIRE(doc["files"].array.size() == 2);
        CHECK(doc["files"].array[1].string == "/p/a.down.sql");
    }

    TEST_CASE("an error document carries every field of the error") {
        Error error(ErrorKind::MigrationFailed, "no such table: \"usrs\"",
                    {"/p/migrations/core/0002_x.up.sql", 7, 22}, "check the table's name");
        error.with_sqlite_code(1);
        const std::string text = render_error_json("forwards", json_error(error, 1));
        CHECK(text.find('\n') == text.size() - 1);
        const JsonValue doc = parse_json(text);
        CHECK(doc.keys() == std::vector<std::string>{"schema", "command", "ok", "error"});
        CHECK(doc["schema"].string == "strata/1");
        CHECK(doc["command"].string == "forwards");
        CHECK_FALSE(doc["ok"].boolean);
        const JsonValue& e = doc["error"];
        CHECK(e.keys() == std::vector<std::string>{"kind", "exit_code", "message", "file", "line",
                                                   "column", "hint", "sqlite_code"});
        CHECK(e["kind"].string == "migration_failed");
        CHECK(e["exit_code"].number == 1);
        CHECK(e["message"].string == "no such table: \"usrs\"");
        CHECK(e["file"].string == "/p/migrations/core/0002_x.up.sql");
        CHECK(e["line"].number == 7);
        CHECK(e["column"].number == 22);
        CHECK(e["hint"].string == "check the table's name");
        CHECK(e["sqlite_code"].number == 1);

        const JsonValue bare =
            parse_json(render_error_json("", json_error(Error(ErrorKind::Usage, "bad"), 2)));
        CHECK(bare["command"].is_null());
        CHECK(bare["error"]["kind"].string == "usage");
        CHECK(bare["error"]["exit_code"].number == 2);
        CHECK(bare["error"]["file"].is_null());
        CHECK(bare["error"]["line"].is_null());
        CHECK(bare["error"]["column"].is_null());
        CHECK(bare["error"]["hint"].is_null());
        CHECK(bare["error"]["sqlite_code"].is_null());
    }

    TEST_CASE("every error kind has its own name") {
        const ErrorKind kinds[] = {
            ErrorKind::Usage,          ErrorKind::UnknownMigration, ErrorKind::ProjectFile,
            ErrorKind::MigrationFiles, ErrorKind::MigrationFailed,  ErrorKind::Busy,
            ErrorKind::Database,       ErrorKind::Refused,          ErrorKind::Drift,
            ErrorKind::NewerDatabase,  ErrorKind::Interrupted,      ErrorKind::Output};
        std::set<std::string_view> names;
        for (ErrorKind kind : kinds) {
            CHECK(error_kind_name(kind) != "internal");
            names.insert(error_kind_name(kind));
        }
        CHECK(names.size() == std::size(kinds));
        CHECK(error_kind_name(ErrorKind::NewerDatabase) == "newer_database");
    }
}
