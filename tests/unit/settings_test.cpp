// SPDX-License-Identifier: MIT
// The settings' one parser each, their limits, and what a connection makes of them.
#include "strata/executor/database.hpp"
#include "strata/executor/sqlite_api.hpp"
#include "strata/project/settings.hpp"
#include "strata/strata.hpp"
#include "support/code_project.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

using namespace strata;
using strata::test::TempDir;

namespace {

using Names = std::vector<std::string_view>;

template <typename T>
struct ValidRow {
    std::string_view text;
    T value;
};

// Every accepted name parses to its value and name_of gives the name back.
template <typename T>
void check_valid(Parsed<T> (*parse)(std::string_view), const std::vector<ValidRow<T>>& rows) {
    Names names;
    for (const ValidRow<T>& row : rows) {
        CAPTURE(row.text);
        const Parsed<T> parsed = parse(row.text);
        REQUIRE(parsed.value.has_value());
        CHECK(*parsed.value == row.value);
        CHECK_FALSE(parsed.refused);
        CHECK(parsed.message.empty());
        CHECK(name_of(row.value) == row.text);
        names.push_back(row.text);
    }
    CHECK(parse(rows.front().text).valid == names);
}

// The Error(Usage) configure_for_migrating throws for `settings`, counting the statements
// the connection ran meanwhile.
struct Refusal {
    std::string message;
    ErrorKind kind = ErrorKind::Database;
    int statements = 0;
};

Refusal configure_refusal(const Settings& settings) {
    TempDir dir;
    Connection connection(dir / "app.db", OpenMode::Create, {});
    Refusal refusal;
    sqlite3_trace_v2(
        connection.db().handle(), SQLITE_TRACE_STMT,
        [](unsigned, void* count, void*, void*) {
            ++*static_cast<int*>(count);
            return 0;
        },
        &refusal.statements);
    try {
        configure_for_migrating(connection, settings);
        FAIL("configure_for_migrating accepted the settings");
    } catch (const Error& e) {
        refusal.message = e.message();
        refusal.kind = e.kind();
    }
    sqlite3_trace_v2(connection.db().handle(), 0, nullptr, nullptr);
    return refusal;
}

} // namespace

TEST_SUITE("settings") {
    TEST_CASE("each parser reads every accepted name, and name_of writes it back") {
        check_valid<ForeignKeyMode>(&parse_foreign_keys, {{"deferred", ForeignKeyMode::Deferred},
                                                          {"immediate", ForeignKeyMode::Immediate},
                                                          {"off", ForeignKeyMode::Off}});
        check_valid<OutOfOrder>(&parse_out_of_order,
                                {{"error", OutOfOrder::Error}, {"allow", OutOfOrder::Allow}});
        check_valid<TransactionScope>(
            &parse_transaction, {{"each", TransactionScope::Each}, {"all", TransactionScope::All}});
        check_valid<JournalMode>(&parse_journal_mode, {{"delete", JournalMode::Delete},
                                                       {"truncate", JournalMode::Truncate},
                                                       {"persist", JournalMode::Persist},
                                                       {"wal", JournalMode::Wal}});
        check_valid<Synchronous>(&parse_synchronous,
                                 {{"full", Synchronous::Full}, {"extra", Synchronous::Extra}});
    }

    TEST_CASE("names are read in any case, as SQLite reads its pragma values") {
        CHECK(parse_foreign_keys("Deferred").value == ForeignKeyMode::Deferred);
        CHECK(parse_foreign_keys("IMMEDIATE").value == ForeignKeyMode::Immediate);
        CHECK(parse_out_of_order("Allow").value == OutOfOrder::Allow);
        CHECK(parse_transaction("ALL").value == TransactionScope::All);
        CHECK(parse_journal_mode("WAL").value == JournalMode::Wal);
        CHECK(parse_synchronous("Full").value == Synchronous::Full);
        // A refused name is refused in any case too, and named as strata spells it.
        const Parsed<JournalMode> refused = parse_journal_mode("OFF");
        CHECK(refused.refused);
        CHECK(refused.message.rfind("journal_mode \"off\" is refused: ", 0) == 0);
        // Only ASCII letters fold: a look-alike is not a name.
        CHECK_FALSE(parse_journal_mode("w\xC3\xA1l").value.has_value());
    }

    TEST_CASE("the journal modes and synchronous levels strata refuses are explained") {
        for (std::string_view text : {"off", "memory"}) {
            CAPTURE(text);
            const Parsed<JournalMode> parsed = parse_journal_mode(text);
            CHECK_FALSE(parsed.value.has_value());
            CHECK(parsed.refused);
            CHECK(parsed.message == "journal_mode \"" + std::string(text) +
                                        "\" is refused: without a journal on disk a crash or "
                                        "power loss during a migration can corrupt the database");
            CHECK(parsed.hint == "use \"wal\" or \"delete\"");
            CHECK(parsed.valid == Names{"delete", "truncate", "persist", "wal"});
        }
        for (std::string_view text : {"normal", "off"}) {
            CAPTURE(text);
            const Parsed<Synchronous> parsed = parse_synchronous(text);
            CHECK_FALSE(parsed.value.has_value());
            CHECK(parsed.refused);
            CHECK(parsed.message == "synchronous \"" + std::string(text) +
                                        "\" is refused: a migration reported as applied could be "
                                        "lost, or the file corrupted, by a power cut");
            CHECK(parsed.hint == "use \"full\" (the default) or \"extra\"");
            CHECK(parsed.valid == Names{"full", "extra"});
        }
    }

    TEST_CASE("an unknown value lists the values the setting knows") {
        struct Row {
            std::string message;
            bool has_value;
            bool refused;
        };
        auto row_of = [](const auto& parsed) {
            CHECK(parsed.hint.empty());
            return Row{parsed.message, parsed.value.has_value(), parsed.refused};
        };
        const std::vector<std::pair<Row, std::string>> rows{
            {row_of(parse_foreign_keys("deferrd")),
             "`foreign_keys` must be one of \"deferred\", \"immediate\", \"off\", found "
             "\"deferrd\""},
            {row_of(parse_out_of_order("")),
             "`out_of_order` must be one of \"error\", \"allow\", found \"\""},
            {row_of(parse_transaction("some")),
             "`transaction` must be one of \"each\", \"all\", found \"some\""},
            {row_of(parse_journal_mode("off; CREATE TABLE x (y)")),
             "`journal_mode` must be one of \"delete\", \"truncate\", \"persist\", \"wal\", "
             "\"off\", \"memory\", found \"off; CREATE TABLE x (y)\""},
            {row_of(parse_synchronous("FULLL")),
             "`synchronous` must be one of \"full\", \"extra\", \"normal\", \"off\", found "
             "\"FULLL\""},
        };
        for (const auto& [row, expected] : rows) {
            CHECK(row.message == expected);
            CHECK_FALSE(row.has_value);
            CHECK_FALSE(row.refused);
        }
    }

    TEST_CASE("name_of gives nothing for a value outside its enum, or for an unset journal mode") {
        CHECK(name_of(static_cast<ForeignKeyMode>(7)).empty());
        CHECK(name_of(static_cast<OutOfOrder>(-1)).empty());
        CHECK(name_of(static_cast<TransactionScope>(2)).empty());
        CHECK(name_of(static_cast<Synchronous>(2)).empty());
        CHECK(name_of(JournalMode::Unchanged).empty());
    }

    TEST_CASE("the numeric limits are the project file's") {
        CHECK_FALSE(keep_backups_problem(1).has_value());
        CHECK_FALSE(keep_backups_problem(1000).has_value());
        CHECK(keep_backups_problem(0) == "`keep_backups` must be between 1 and 1000, found 0");
        CHECK(keep_backups_problem(1001) ==
              "`keep_backups` must be between 1 and 1000, found 1001");
        CHECK_FALSE(busy_timeout_ms_problem(0).has_value());
        CHECK_FALSE(busy_timeout_ms_problem(2147483647).has_value());
        CHECK(busy_timeout_ms_problem(-1) ==
              "`busy_timeout_ms` must be between 0 and 2147483647, found -1");
        CHECK(busy_timeout_ms_problem(2147483648) ==
              "`busy_timeout_ms` must be between 0 and 2147483647, found 2147483648");
    }

    TEST_CASE("state_table takes a plain identifier that SQLite does not reserve") {
        for (const char* name : {"migrations", "strata_state", "_x", "A1", "order"}) {
            CAPTURE(name);
            CHECK_FALSE(state_table_problem(name).has_value());
        }
        for (const char* name : {"", "1table", "my-table", "my table", "a\"b", "main.t", "t;"}) {
            CAPTURE(name);
            CHECK(state_table_problem(name) ==
                  "`state_table` must be a plain name (letters, digits and \"_\", not starting "
                  "with a digit), found \"" +
                      std::string(name) + "\"");
        }
        CHECK(state_table_problem("SQLite_state") ==
              "`state_table` must not start with \"sqlite_\" (SQLite reserves those names), "
              "found \"SQLite_state\"");
        CHECK_FALSE(state_table_problem("sqlitex").has_value());
    }

    TEST_CASE("SQLite versions are read as sqlite3_libversion_number() counts them") {
        CHECK(parse_sqlite_version("3.31") == 3031000);
        CHECK(parse_sqlite_version("3.31.1") == 3031001);
        CHECK(parse_sqlite_version("3.8.11") == 3008011);
        CHECK_FALSE(parse_sqlite_version("3").has_value());
        CHECK_FALSE(parse_sqlite_version("4.1").has_value());
        CHECK_FALSE(parse_sqlite_version("3.31.").has_value());
        CHECK_FALSE(parse_sqlite_version("3.1000").has_value());
        CHECK_FALSE(parse_sqlite_version("3.31.1.2").has_value());
        CHECK_FALSE(parse_sqlite_version(" 3.31").has_value());
        CHECK(sqlite_version_name(3031000) == "3.31");
        CHECK(sqlite_version_name(3031001) == "3.31.1");
    }

    TEST_CASE("check_settings refuses what the project file could not produce, naming the key") {
        CHECK_NOTHROW(check_settings(Settings{}));
        struct Row {
            Settings settings;
            std::string message;
        };
        std::vector<Row> rows(9);
        rows[0].settings.foreign_keys = static_cast<ForeignKeyMode>(3);
        rows[0].message = "the setting `foreign_keys` holds 3, which is not one of deferred, "
                          "immediate, off";
        rows[1].settings.out_of_order = static_cast<OutOfOrder>(9);
        rows[1].message = "the setting `out_of_order` holds 9, which is not one of error, allow";
        rows[2].settings.transaction = static_cast<TransactionScope>(-4);
        rows[2].message = "the setting `transaction` holds -4, which is not one of each, all";
        rows[3].settings.journal_mode = static_cast<JournalMode>(5);
        rows[3].message = "the setting `journal_mode` holds 5, which is not one of delete, "
                          "truncate, persist, wal";
        rows[4].settings.synchronous = static_cast<Synchronous>(2);
        rows[4].message = "the setting `synchronous` holds 2, which is not one of full, extra";
        rows[5].settings.keep_backups = 0;
        rows[5].message = "`keep_backups` must be between 1 and 1000, found 0";
        rows[6].settings.state_table = "drop table x";
        rows[6].message = "`state_table` must be a plain name (letters, digits and \"_\", not "
                          "starting with a digit), found \"drop table x\"";
        rows[7].settings.minimum_sqlite = 4000000;
        rows[7].message = "`minimum_sqlite` must be a SQLite 3 version, found 4000000";
        rows[8].settings.functions = {"ok", "1bad"};
        rows[8].message = "`functions` entries must be plain function names (letters, digits "
                          "and \"_\", not starting with a digit), found \"1bad\"";
        for (const Row& row : rows) {
            CAPTURE(row.message);
            CHECK_THROWS_WITH_AS(check_settings(row.settings), row.message.c_str(), Error);
            try {
                check_settings(row.settings);
            } catch (const Error& e) {
                CHECK(e.kind() == ErrorKind::Usage);
            }
        }
    }

    TEST_CASE("configure_for_migrating refuses an enum outside its range and runs nothing") {
        Settings bad_synchronous;
        bad_synchronous.journal_mode = JournalMode::Wal; // would run first if not refused
        bad_synchronous.synchronous = static_cast<Synchronous>(7);
        Refusal refusal = configure_refusal(bad_synchronous);
        CHECK(refusal.kind == ErrorKind::Usage);
        CHECK(refusal.message.find("`synchronous`") != std::string::npos);
        CHECK(refusal.statements == 0);

        Settings bad_journal;
        bad_journal.journal_mode = static_cast<JournalMode>(-1);
        refusal = configure_refusal(bad_journal);
        CHECK(refusal.kind == ErrorKind::Usage);
        CHECK(refusal.message.find("`journal_mode`") != std::string::npos);
        CHECK(refusal.statements == 0);

        Settings bad_keep;
        bad_keep.keep_backups = -3;
        refusal = configure_refusal(bad_keep);
        CHECK(refusal.kind == ErrorKind::Usage);
        CHECK(refusal.message == "`keep_backups` must be between 1 and 1000, found -3");
        CHECK(refusal.statements == 0);
    }

    TEST_CASE("synchronous FULL and EXTRA really reach the connection") {
        for (auto [level, number] : {std::pair{Synchronous::Full, 2}, {Synchronous::Extra, 3}}) {
            CAPTURE(number);
            TempDir dir;
            Connection connection(dir / "app.db", OpenMode::Create, {});
            connection.db().exec("PRAGMA synchronous = OFF"); // so FULL is a change too
            Settings settings;
            settings.synchronous = level;
            configure_for_migrating(connection, settings);
            CHECK(sqlite::query_int64(connection.db(), "PRAGMA synchronous") == number);
        }
    }

    TEST_CASE("journal_mode wal is set; unchanged leaves the database's mode") {
        TempDir dir;
        Connection connection(dir / "app.db", OpenMode::Create, {});
        configure_for_migrating(connection, Settings{});
        CHECK(sqlite::query_text(connection.db(), "PRAGMA journal_mode") == "delete");

        for (auto [mode, name] : {std::pair{JournalMode::Truncate, "truncate"},
                                  {JournalMode::Persist, "persist"},
                                  {JournalMode::Wal, "wal"},
                                  {JournalMode::Delete, "delete"}}) {
            CAPTURE(name);
            Settings settings;
            settings.journal_mode = mode;
            configure_for_migrating(connection, settings);
            CHECK(sqlite::query_text(connection.db(), "PRAGMA journal_mode") == name);
        }
    }

    TEST_CASE("a manager refuses a Project built in code with settings strata.toml refuses") {
        TempDir dir;
        Project project = test::core_project(dir.path());
        test::add_migration(project, "0001_create_t", "CREATE TABLE t (x);\n", "DROP TABLE t;\n");

        SUBCASE("an enum outside its range") {
            project.settings.synchronous = static_cast<Synchronous>(4);
            CHECK_THROWS_WITH_AS(ForwardsMigrationManager(Context{project}).run(),
                                 doctest::Contains("`synchronous`"), Error);
        }
        SUBCASE("keep_backups below 1") {
            project.settings.keep_backups = 0;
            CHECK_THROWS_WITH_AS(ForwardsMigrationManager(Context{project}).run(),
                                 "`keep_backups` must be between 1 and 1000, found 0", Error);
        }
        SUBCASE("a state table name that is not a plain identifier") {
            project.settings.state_table = "x\"; DROP TABLE t; --";
            CHECK_THROWS_WITH_AS(ForwardsMigrationManager(Context{project}).run(),
                                 doctest::Contains("`state_table` must be a plain name"), Error);
        }
        SUBCASE("a negative busy timeout") {
            project.busy_timeout_ms = -1;
            CHECK_THROWS_WITH_AS(ForwardsMigrationManager(Context{project}).run(),
                                 "`busy_timeout_ms` must be between 0 and 2147483647, found -1",
                                 Error);
        }
        // Refused before the database is created.
        CHECK_FALSE(std::filesystem::exists(project.database));
    }
}
