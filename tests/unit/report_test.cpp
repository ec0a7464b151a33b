// SPDX-License-Identifier: MIT
// The renderers: status table, JSON and the text progress reporter, all on strings.
#include "report/json_reporter.hpp"
#include "report/status_table.hpp"
#include "report/text_reporter.hpp"
#include "strata/plan/plan.hpp"

#include <doctest/doctest.h>

#include <condition_variable>
#include <mutex>
#include <sstream>

using strata::Direction;
using strata::MigrationId;
using strata::MigrationStatus;
using strata::Plan;
using strata::Step;
using namespace strata::report;

namespace {

std::vector<MigrationStatus> sample_statuses() {
    return {
        {"core", MigrationId("0001"), "create users", true, "2026-11-21T10:00:00.123Z"},
        {"core", MigrationId("0002"), "create notes", false, ""},
        {"billing", MigrationId("20261121093000"), "create invoices", false, ""},
    };
}

Step make_step(Direction direction, std::string id, std::string description) {
    Step step;
    step.direction = direction;
    step.app_name = "core";
    step.migration_id = MigrationId(id);
    step.description = std::move(description);
    return step;
}

// A clock the test moves by hand, for the reporter's live news.
struct FakeClock {
    std::chrono::steady_clock::time_point now{};
    void advance(int ms) { now += std::chrono::milliseconds(ms); }
    // Options of a reporter whose output is a terminal and whose clock is this one.
    TextReporterOptions at_terminal() {
        TextReporterOptions options;
        options.terminal = true;
        options.clock = [this] { return now; };
        return options;
    }
};

} // namespace

TEST_SUITE("report") {
    TEST_CASE("on a terminal a step running over a second shows its elapsed time in place") {
        FakeClock clock;
        std::ostringstream out;
        TextReporter reporter(out, clock.at_terminal());
        Step big = make_step(Direction::Forwards, "0003", "big");
        reporter.on_step_started(big);
        clock.advance(999);
        reporter.tick();
        const std::string line = "Applying core 0003 (big) ... ";
        CHECK(out.str() == line);
        clock.advance(1);
        reporter.tick();
        CHECK(out.str() == line + "\r" + line + "1 s");
        clock.advance(500);
        reporter.tick(); // still 1 s: not written again
        CHECK(out.str() == line + "\r" + line + "1 s");
        clock.advance(9000);
        reporter.tick();
        CHECK(out.str() == line + "\r" + line + "1 s\r" + line + "10 s");
        // The result replaces the elapsed time: blanked, then the line is written whole.
        reporter.on_step_finished(big, std::chrono::microseconds(10'500'000));
        CHECK(out.str() == line + "\r" + line + "1 s\r" + line + "10 s\r" + line + "    \r" + line +
                               "ok (10.50 s)\n");

        // A fast step shows nothing of this; neither does a log, -q or --preview.
        std::ostringstream fast_out;
        TextReporter fast(fast_out, clock.at_terminal());
        fast.on_step_started(big);
        clock.advance(300);
        fast.tick();
        fast.on_step_finished(big, std::chrono::microseconds(300'000));
        CHECK(fast_out.str() == line + "ok (300.0 ms)\n");
        for (int variant = 0; variant < 3; ++variant) {
            CAPTURE(variant);
            TextReporterOptions options = clock.at_terminal();
            options.terminal = variant != 0;
            options.quiet = variant == 1;
            options.preview = variant == 2;
            std::ostringstream quiet_out;
            TextReporter reporter_without(quiet_out, options);
            reporter_without.on_step_started(big);
            clock.advance(5000);
            reporter_without.tick();
            CHECK(quiet_out.str().find("5 s") == std::string::npos);
        }
    }

    TEST_CASE("on a terminal a copy's progress is rewritten in place and erased when done") {
        FakeClock clock;
        std::ostringstream out;
        TextReporter reporter(out, clock.at_terminal());
        reporter.on_backup_progress("/data/app.db", "/data/app.db.bak", 256, 1024);
        CHECK(out.str() == "\rCopying /data/app.db ... 25%");
        reporter.on_backup_progress("/data/app.db", "/data/app.db.bak", 512, 1024);
        reporter.on_backup_progress("/data/app.db", "/data/app.db.bak", 1024, 1024);
        const std::string blank(std::string("Copying /data/app.db ... 25%").size(), ' ');
        CHECK(out.str() ==
              "\rCopying /data/app.db ... 25%\rCopying /data/app.db ... 50%\r" + blank + "\r");
        reporter.on_backup_created("/data/app.db", "/data/app.db.bak");
        CHECK(out.str().ends_with("\rBacked up /data/app.db to /data/app.db.bak\n"));

        // A copy done in one chunk, a log and -q show no progress.
        std::ostringstream one_chunk;
        TextReporter small(one_chunk, clock.at_terminal());
        small.on_backup_progress("app.db", "app.db.bak", 10, 10);
        CHECK(one_chunk.str().empty());
        std::ostringstream log_out;
        TextReporter log(log_out, {});
        log.on_backup_progress("app.db", "app.db.bak", 1, 10);
        CHECK(log_out.str().empty());
        std::ostringstream quiet_out;
        TextReporterOptions quiet = clock.at_terminal();
        quiet.quiet = true;
        TextReporter quiet_reporter(quiet_out, quiet);
        quiet_reporter.on_backup_progress("app.db", "app.db.bak", 1, 10);
        CHECK(quiet_out.str().empty());
    }

    TEST_CASE("after settle() live news stops, so it cannot land in the output that follows") {
        FakeClock clock;
        std::ostringstream out;
        TextReporter reporter(out, clock.at_terminal());
        reporter.on_waiting_for_lock("app.db", std::chrono::milliseconds(5000));
        reporter.settle();
        clock.advance(2000);
        reporter.tick();
        CHECK(out.str().empty());
    }

    TEST_CASE("the ticker calls tick() on its own thread until it is destroyed") {
        // The reporter's clock tells the test when a tick came: no sleeping, only waiting
        // for the event, with a generous bound as a failure guard.
        std::mutex mutex;
        std::condition_variable ticked;
        int ticks = 0;
        TextReporterOptions options;
        options.terminal = true;
        options.clock = [&] {
            {
                const std::lock_guard lock(mutex);
                ++ticks;
            }
            ticked.notify_all();
            return std::chrono::steady_clock::time_point{};
        };
        std::ostringstream out;
        TextReporter reporter(out, options);
        {
            ProgressTicker ticker(reporter, std::chrono::milliseconds(1));
            std::unique_lock lock(mutex);
            CHECK(ticked.wait_for(lock, std::chrono::seconds(30), [&] { return ticks >= 3; }));
        }
        const int after = ticks;
        reporter.tick();
        CHECK(ticks == after + 1); // the thread has stopped: only this call counted
    }

    TEST_CASE("the status table aligns its columns") {
        CHECK(render_status_table(sample_statuses()) ==
              "APP      MIGRATION       DESCRIPTION      STATUS\n"
              "core     0001            create users     applied 2026-11-21T10:00:00.123Z\n"
              "core     0002            create notes     pending\n"
              "billing  20261121093000  create invoices  pending\n");
    }

    TEST_CASE("an empty status table is its header") {
        CHECK(render_status_table({}) == "APP  MIGRATION  DESCRIPTION  STATUS\n");
    }

    TEST_CASE("a narrow terminal shortens descriptions with an ellipsis") {
        std::vector<MigrationStatus> statuses{
            {"core", MigrationId("0001"), "add a very long description to the users table", false,
             ""},
            {"core", MigrationId("0002"), "short", false, ""},
        };
        // Unlimited and wide enough: nothing is cut.
        std::string full = render_status_table(statuses, {0, false});
        CHECK(full.find("add a very long description to the users table  pending") !=
              std::string::npos);
        CHECK(render_status_table(statuses, {200, false}) == full);

        // 4 + 2 + 9 + 2 + 20 + 2 + 7 = 46 columns.
        CHECK(render_status_table(statuses, {46, false}) ==
              "APP   MIGRATION  DESCRIPTION           STATUS\n"
              "core  0001       add a very long des…  pending\n"
              "core  0002       short                 pending\n");

        // Never narrower than the DESCRIPTION header.
        CHECK(render_status_table(statuses, {10, false}) ==
              "APP   MIGRATION  DESCRIPTION  STATUS\n"
              "core  0001       add a very…  pending\n"
              "core  0002       short        pending\n");
    }

    TEST_CASE("widths count characters, not bytes") {
        CHECK(display_width("abc") == 3);
        CHECK(display_width("café") == 4);
        CHECK(display_width("…") == 1);
        CHECK(truncate_to_width("abcdef", 6) == "abcdef");
        CHECK(truncate_to_width("abcdef", 4) == "abc…");
        CHECK(truncate_to_width("cafés au lait", 5) == "café…");
        CHECK(truncate_to_width("ééé", 2) == "é…");
        CHECK(truncate_to_width("abc", 0).empty());

        std::vector<MigrationStatus> statuses{
            {"core", MigrationId("0001"), "créer les tables", false, ""}};
        CHECK(render_status_table(statuses) == "APP   MIGRATION  DESCRIPTION       STATUS\n"
                                               "core  0001       créer les tables  pending\n");
    }

    TEST_CASE("control characters in cells are escaped, and the columns count them escaped") {
        std::vector<MigrationStatus> statuses{
            {"core", MigrationId("0001"), "hide\x1b[2K\rme", true, "T\x1b]0;x\x07"},
            {"co\nre", MigrationId("0002"), "y", false, ""}};
        CHECK(render_status_table(statuses) ==
              "APP       MIGRATION  DESCRIPTION        STATUS\n"
              "core      0001       hide\\x1b[2K\\x0dme  applied T\\x1b]0;x\\x07\n"
              "co\\x0are  0002       y                  pending\n");
        // The colours strata adds survive.
        CHECK(render_status_table(statuses, {0, true})
                  .find("\033[32mapplied T\\x1b]0;x\\x07\033[0m") != std::string::npos);
    }

    TEST_CASE("colour marks the header and the status, without breaking alignment") {
        std::vector<MigrationStatus> statuses{{"core", MigrationId("0001"), "x", true, "T"},
                                              {"core", MigrationId("0002"), "y", false, ""}};
        CHECK(render_status_table(statuses, {0, true}) ==
              "\033[1mAPP   MIGRATION  DESCRIPTION  STATUS\033[0m\n"
              "core  0001       x            \033[32mapplied T\033[0m\n"
              "core  0002       y            \033[33mpending\033[0m\n");
    }

    TEST_CASE("statuses as JSON") {
        CHECK(
            render_statuses_json(sample_statuses()) ==
            "[\n"
            "  {\"app_name\":\"core\",\"migration_id\":\"0001\",\"description\":\"create "
            "users\",\"has_ran\":true,\"ran_on\":\"2026-11-21T10:00:00.123Z\",\"status\":"
            "\"applied\",\"fake\":false},\n"
            "  {\"app_name\":\"core\",\"migration_id\":\"0002\",\"description\":\"create "
            "notes\",\"has_ran\":false,\"ran_on\":null,\"status\":\"pending\",\"fake\":false},\n"
            "  {\"app_name\":\"billing\",\"migration_id\":\"20261121093000\",\"description\":"
            "\"create "
            "invoices\",\"has_ran\":false,\"ran_on\":null,\"status\":\"pending\",\"fake\":false}\n"
            "]\n");
        CHECK(render_statuses_json({}) == "[]\n");
    }

    TEST_CASE("a faked migration is marked in the table and in JSON") {
        using strata::MigrationState;
        MigrationStatus faked{"core", MigrationId("0001"), "x", true, "T", MigrationState::Applied};
        faked.fake = true;
        MigrationStatus real{"core", MigrationId("0002"), "y", true, "U", MigrationState::Applied};
        CHECK(render_status_table({faked, real}) ==
              "APP   MIGRATION  DESCRIPTION  STATUS\n"
              "core  0001       x            applied T (fake)\n"
              "core  0002       y            applied U\n");
        const std::string json = render_statuses_json({faked, real});
        CHECK(json.find("\"status\":\"applied\",\"fake\":true}") != std::string::npos);
        CHECK(json.find("\"status\":\"applied\",\"fake\":false}") != std::string::npos);
    }

    TEST_CASE("an unpaired migration is flagged in the table and in JSON") {
        using strata::MigrationState;
        std::vector<MigrationStatus> statuses{
            {"core", MigrationId("0001"), "x (no down file)", false, "", MigrationState::Unpaired},
            {"core", MigrationId("0002"), "y (no up file)", true, "T", MigrationState::Unpaired},
        };
        CHECK(render_status_table(statuses) ==
              "APP   MIGRATION  DESCRIPTION       STATUS\n"
              "core  0001       x (no down file)  unpaired\n"
              "core  0002       y (no up file)    unpaired (applied T)\n");
        CHECK(render_status_table(statuses, {0, true}).find("\033[31munpaired\033[0m") !=
              std::string::npos);
        CHECK(render_statuses_json(statuses).find("\"status\":\"unpaired\"") != std::string::npos);
    }

    TEST_CASE("modified and missing migrations in the table and in JSON") {
        using strata::MigrationState;
        std::vector<MigrationStatus> statuses{
            {"core", MigrationId("0001"), "create users", true, "T1", MigrationState::Applied},
            {"core", MigrationId("0002"), "create notes", true, "T2", MigrationState::Modified},
            {"core", MigrationId("0003"), "add tags", true, "T3", MigrationState::Missing},
            {"core", MigrationId("0004"), "seed", false, "", MigrationState::Pending},
        };
        CHECK(render_status_table(statuses) ==
              "APP   MIGRATION  DESCRIPTION   STATUS\n"
              "core  0001       create users  applied T1\n"
              "core  0002       create notes  modified (applied T2)\n"
              "core  0003       add tags      missing (applied T3)\n"
              "core  0004       seed          pending\n");
        // Drift is red: it is what stops forwards.
        const std::string coloured = render_status_table(statuses, {0, true});
        CHECK(coloured.find("\033[31mmodified (applied T2)\033[0m") != std::string::npos);
        CHECK(coloured.find("\033[31mmissing (applied T3)\033[0m") != std::string::npos);
        CHECK(coloured.find("\033[32mapplied T1\033[0m") != std::string::npos);

        CHECK(
            render_statuses_json(statuses) ==
            "[\n"
            "  {\"app_name\":\"core\",\"migration_id\":\"0001\",\"description\":\"create "
            "users\",\"has_ran\":true,\"ran_on\":\"T1\",\"status\":\"applied\",\"fake\":false},\n"
            "  {\"app_name\":\"core\",\"migration_id\":\"0002\",\"description\":\"create "
            "notes\",\"has_ran\":true,\"ran_on\":\"T2\",\"status\":\"modified\",\"fake\":false},\n"
            "  {\"app_name\":\"core\",\"migration_id\":\"0003\",\"description\":\"add "
            "tags\",\"has_ran\":true,\"ran_on\":\"T3\",\"status\":\"missing\",\"fake\":false},\n"
            "  {\"app_name\":\"core\",\"migration_id\":\"0004\",\"description\":\"seed\","
            "\"has_ran\":false,\"ran_on\":null,\"status\":\"pending\",\"fake\":false}\n"
            "]\n");
    }

    TEST_CASE("JSON strings are escaped") {
        CHECK(json_string("plain") == "\"plain\"");
        CHECK(json_string("say \"hi\"") == "\"say \\\"hi\\\"\"");
        CHECK(json_string("a\\b") == "\"a\\\\b\"");
        CHECK(json_string("line\nnext\ttab\r") == "\"line\\nnext\\ttab\\r\"");
        CHECK(json_string(std::string("\x01\x1f\b\f", 4)) == "\"\\u0001\\u001f\\b\\f\"");
        CHECK(json_string("café ✓") == "\"café ✓\"");
        CHECK(json_string("/") == "\"/\"");
        // Bytes that are not UTF-8 (a lone continuation, a truncated sequence, an overlong
        // form, a surrogate) would make the document invalid.
        CHECK(json_string("a\x80z") == "\"a\\ufffdz\"");
        CHECK(json_string("\xc3") == "\"\\ufffd\"");
        CHECK(json_string("\xc0\xaf") == "\"\\ufffd\\ufffd\"");
        CHECK(json_string("\xed\xa0\x80") == "\"\\ufffd\\ufffd\\ufffd\"");

        std::vector<MigrationStatus> statuses{
            {"core", MigrationId("1"), "quote \" here", false, ""}};
        CHECK(render_statuses_json(statuses).find("\"description\":\"quote \\\" here\"") !=
              std::string::npos);
    }

    TEST_CASE("progress lines") {
        std::ostringstream out;
        TextReporter reporter(out, {});
        Step up = make_step(Direction::Forwards, "0001", "create users");
        Step down = make_step(Direction::Backwards, "0003", "add tags");

        reporter.on_step_started(up);
        CHECK(out.str() == "Applying core 0001 (create users) ... ");
        reporter.on_step_finished(up, std::chrono::microseconds(1234));
        reporter.on_step_started(down);
        reporter.on_step_finished(down, std::chrono::microseconds(800));
        reporter.on_step_skipped(up, "already applied by another run");
        CHECK(out.str() == "Applying core 0001 (create users) ... ok (1.2 ms)\n"
                           "Reversing core 0003 (add tags) ... ok (0.8 ms)\n");
    }

    TEST_CASE("a wait for the write lock that lasts a second is one line of text, one JSON "
              "object") {
        FakeClock clock;
        std::ostringstream out;
        TextReporter reporter(out, clock.at_terminal());
        reporter.on_waiting_for_lock("app.db", std::chrono::milliseconds(5000));
        clock.advance(900);
        reporter.tick();
        CHECK(out.str().empty()); // most waits end within a second: no news
        clock.advance(100);
        reporter.tick();
        reporter.tick();
        CHECK(out.str() ==
              "waiting for the write lock on app.db (held by another connection), up to 5 s\n");
        for (auto timeout : {1500, 250}) {
            reporter.on_waiting_for_lock("app.db", std::chrono::milliseconds(timeout));
            clock.advance(1000);
            reporter.tick();
        }
        CHECK(out.str() ==
              "waiting for the write lock on app.db (held by another connection), up to 5 s\n"
              "waiting for the write lock on app.db (held by another connection), up to 1.5 s\n"
              "waiting for the write lock on app.db (held by another connection), up to 250 ms\n");

        // A wait that ended (the next event came) before the second is never shown.
        std::ostringstream short_out;
        TextReporter short_wait(short_out, clock.at_terminal());
        short_wait.on_waiting_for_lock("app.db", std::chrono::milliseconds(5000));
        clock.advance(500);
        short_wait.on_step_started(make_step(Direction::Forwards, "0001", "create users"));
        clock.advance(600);
        short_wait.on_step_finished(make_step(Direction::Forwards, "0001", "create users"),
                                    std::chrono::microseconds(1000));
        short_wait.tick();
        CHECK(short_out.str() == "Applying core 0001 (create users) ... ok (1.0 ms)\n");

        std::ostringstream quiet_out;
        TextReporterOptions quiet = clock.at_terminal();
        quiet.quiet = true;
        TextReporter quiet_reporter(quiet_out, quiet);
        quiet_reporter.on_waiting_for_lock("app.db", std::chrono::milliseconds(5000));
        clock.advance(2000);
        quiet_reporter.tick();
        CHECK(quiet_out.str().empty());

        // A log or a pipe gets what the run did, not that it waited.
        std::ostringstream log_out;
        TextReporterOptions log = clock.at_terminal();
        log.terminal = false;
        TextReporter log_reporter(log_out, log);
        log_reporter.on_waiting_for_lock("app.db", std::chrono::milliseconds(5000));
        clock.advance(2000);
        log_reporter.tick();
        CHECK(log_out.str().empty());

        CHECK(render_lock_wait_json("a\"b.db", std::chrono::milliseconds(5000)) ==
              "{\"event\":\"waiting_for_lock\",\"database\":\"a\\\"b.db\",\"timeout_ms\":5000}\n");
    }

    TEST_CASE("a skipped or finished step without a start still gets a whole line") {
        std::ostringstream out;
        TextReporterOptions verbose;
        verbose.verbose = true; // skipped steps are shown only with --verbose
        TextReporter reporter(out, verbose);
        Step up = make_step(Direction::Forwards, "0002", "create notes");
        reporter.on_step_skipped(up, "done by another run");
        reporter.on_step_finished(up, std::chrono::microseconds(2'500'000));
        CHECK(out.str() == "Applying core 0002 (create notes) ... skipped (done by another run)\n"
                           "Applying core 0002 (create notes) ... ok (2.50 s)\n");
    }

    TEST_CASE("a step that threw is marked failed so the error starts a new line") {
        std::ostringstream out;
        TextReporter reporter(out, {});
        reporter.interrupt(); // nothing open: nothing printed
        CHECK(out.str().empty());
        reporter.on_step_started(make_step(Direction::Forwards, "0003", "broken"));
        reporter.interrupt();
        reporter.interrupt();
        CHECK(out.str() == "Applying core 0003 (broken) ... failed\n");
    }

    TEST_CASE("a warning waits for the end of the step line it arrived during") {
        std::ostringstream out;
        TextReporter reporter(out, {});
        Step up = make_step(Direction::Forwards, "0001", "create users");
        reporter.on_warning("before any step");
        reporter.on_step_started(up);
        reporter.on_warning("first");
        reporter.on_warning("second");
        CHECK(out.str() == "warning: before any step\nApplying core 0001 (create users) ... ");
        reporter.on_step_finished(up, std::chrono::microseconds(1234));
        reporter.on_step_started(up);
        reporter.on_warning("third");
        reporter.interrupt();
        CHECK(out.str() == "warning: before any step\n"
                           "Applying core 0001 (create users) ... ok (1.2 ms)\n"
                           "warning: first\n"
                           "warning: second\n"
                           "Applying core 0001 (create users) ... failed\n"
                           "warning: third\n");

        // Under --quiet too: a warning is not progress.
        std::ostringstream quiet_out;
        TextReporterOptions quiet;
        quiet.quiet = true;
        TextReporter quiet_reporter(quiet_out, quiet);
        quiet_reporter.on_step_started(up);
        quiet_reporter.on_warning("kept");
        CHECK(quiet_out.str() == "warning: kept\n");
    }

    TEST_CASE("--fake says Faking, colour paints the outcome") {
        std::ostringstream out;
        TextReporterOptions options;
        options.fake = true;
        options.colour = true;
        TextReporter reporter(out, options);
        Step up = make_step(Direction::Forwards, "0001", "create users");
        reporter.on_step_started(up);
        reporter.on_step_finished(up, std::chrono::microseconds(100));
        CHECK(out.str() == "Faking core 0001 (create users) ... \033[32mok\033[0m (0.1 ms)\n");
    }

    TEST_CASE("quiet suppresses progress but not previews") {
        std::ostringstream out;
        TextReporterOptions options;
        options.quiet = true;
        TextReporter reporter(out, options);
        Step down = make_step(Direction::Backwards, "0003", "add tags");
        down.sql = "DROP TABLE tags;";
        Plan plan;
        plan.steps.push_back(down);
        reporter.on_plan(plan);
        reporter.on_step_started(down);
        reporter.on_step_finished(down, std::chrono::microseconds(5));
        reporter.on_step_skipped(down, "x");
        reporter.on_file_removed("/tmp/x.sql");
        CHECK(out.str().empty());
        reporter.on_preview(down);
        CHECK(out.str() == "-- core 0003 (add tags): stored down SQL\nDROP TABLE tags;\n");
    }

    TEST_CASE("a plan that reverses migrations is listed before the question") {
        Plan plan;
        plan.steps.push_back(make_step(Direction::Backwards, "0003", "add tags"));
        plan.steps.push_back(make_step(Direction::Backwards, "0002", "create notes"));

        std::ostringstream out;
        TextReporter reporter(out, {});
        reporter.on_plan(plan);
        CHECK(out.str() == "  core 0003 (add tags)\n  core 0002 (create notes)\n");

        // With a stream for questions, the plan goes there, where its question will appear.
        std::ostringstream results;
        std::ostringstream questions;
        TextReporterOptions asking;
        asking.question_out = &questions;
        TextReporter asking_reporter(results, asking);
        asking_reporter.on_plan(plan);
        CHECK(results.str().empty());
        CHECK(questions.str() == "  core 0003 (add tags)\n  core 0002 (create notes)\n");

        // Under --preview the output is SQL only.
        std::ostringstream preview_out;
        TextReporterOptions options;
        options.preview = true;
        TextReporter preview(preview_out, options);
        preview.on_plan(plan);
        CHECK(preview_out.str().empty());
    }

    TEST_CASE("forwards plans are listed only when verbose") {
        Plan plan;
        plan.steps.push_back(make_step(Direction::Forwards, "0001", "create users"));

        std::ostringstream out;
        TextReporter reporter(out, {});
        reporter.on_plan(plan);
        CHECK(out.str().empty());

        std::ostringstream verbose_out;
        TextReporterOptions options;
        options.verbose = true;
        TextReporter verbose(verbose_out, options);
        verbose.on_plan(plan);
        CHECK(verbose_out.str() == "1 migration to apply:\n  core 0001 (create users)\n");
    }

    TEST_CASE("previews show where the SQL comes from, relative to the working folder") {
        std::ostringstream out;
        TextReporterOptions options;
        options.display_base = "/work/project";
        TextReporter reporter(out, options);

        Step first = make_step(Direction::Forwards, "0001", "create users");
        first.name = "0001_create_users";
        first.path_prefix = std::make_shared<const std::string>("/work/project/migrations/core/");
        first.sql = "CREATE TABLE users (id INTEGER PRIMARY KEY);\n";
        Step second = make_step(Direction::Forwards, "0002", "create notes");
        second.name = "0002_create_notes";
        second.path_prefix = std::make_shared<const std::string>("migrations/core/./");
        second.sql = "CREATE TABLE notes (id);"; // no final newline
        Step stored = make_step(Direction::Backwards, "0001", "create users");
        stored.sql = "DROP TABLE users;\n";

        reporter.on_preview(first);
        reporter.on_preview(second);
        reporter.on_preview(stored);
        CHECK(out.str() == "-- core 0001 (create users): migrations/core/0001_create_users.up.sql\n"
                           "CREATE TABLE users (id INTEGER PRIMARY KEY);\n"
                           "\n"
                           "-- core 0002 (create notes): migrations/core/0002_create_notes.up.sql\n"
                           "CREATE TABLE notes (id);\n"
                           "\n"
                           "-- core 0001 (create users): stored down SQL\n"
                           "DROP TABLE users;\n");
    }

    TEST_CASE("removed files are reported") {
        std::ostringstream out;
        TextReporterOptions options;
        options.display_base = "/work/project";
        TextReporter reporter(out, options);
        reporter.on_file_removed("/work/project/migrations/core/0003_add_tags.up.sql");
        reporter.on_file_removed("/elsewhere/0003_add_tags.down.sql");
        CHECK(out.str() == "Removed migrations/core/0003_add_tags.up.sql\n"
                           "Removed /elsewhere/0003_add_tags.down.sql\n");
    }

    TEST_CASE("paths as shown") {
        CHECK(display_path("/a/b/c.sql", "/a") == "b/c.sql");
        CHECK(display_path("/a/b/c.sql", "/a/") == "b/c.sql");
        CHECK(display_path("/ab/c.sql", "/a") == "/ab/c.sql");
        CHECK(display_path("/x/c.sql", "/a") == "/x/c.sql");
        CHECK(display_path("./m/c.sql", "/a") == "m/c.sql");
        CHECK(display_path("/a/b/c.sql", "") == "/a/b/c.sql");
    }

    TEST_CASE("labels, paths, reasons and previewed SQL are shown with control characters "
              "escaped") {
        Step step = make_step(Direction::Backwards, "0003", "tags\x1b[2K\r");
        step.sql = "DROP TABLE tags;\x1b[1A\n\tSELECT 1;\r\n";
        Plan plan;
        plan.steps.push_back(step);

        std::ostringstream out;
        TextReporterOptions options;
        options.colour = true;
        options.verbose = true;
        TextReporter reporter(out, options);
        reporter.on_plan(plan);
        reporter.on_preview(step);
        reporter.on_step_started(step);
        reporter.on_step_finished(step, std::chrono::microseconds(1500));
        reporter.on_step_skipped(step, "by\x1b[31m another");
        reporter.on_file_removed("/tmp/evil\r.sql");
        CHECK(out.str() ==
              "  core 0003 (tags\\x1b[2K\\x0d)\n"
              "-- core 0003 (tags\\x1b[2K\\x0d): stored down SQL\n"
              "DROP TABLE tags;\\x1b[1A\n\tSELECT 1;\\x0d\n"
              "Reversing core 0003 (tags\\x1b[2K\\x0d) ... \033[32mok\033[0m (1.5 ms)\n"
              "Reversing core 0003 (tags\\x1b[2K\\x0d) ... \033[33mskipped\033[0m "
              "(by\\x1b[31m another)\n"
              "Removed /tmp/evil\\x0d.sql\n");
    }

    TEST_CASE("a plan that reverses and applies marks each line with its direction") {
        std::ostringstream out;
        TextReporter reporter(out, {});
        Plan plan;
        plan.steps = {make_step(Direction::Backwards, "0003", "add tags"),
                      make_step(Direction::Forwards, "0002", "create notes")};
        reporter.on_plan(plan);
        CHECK(out.str() == "  reverse core 0003 (add tags)\n"
                           "  apply   core 0002 (create notes)\n");
    }
}
