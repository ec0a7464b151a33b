// SPDX-License-Identifier: MIT
#include "strata/error.hpp"
#include "strata/loader/loader.hpp"
#include "strata/loader/migration.hpp"
#include "strata/loader/migration_source.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

using strata::Error;
using strata::ErrorKind;
using strata::FolderSource;
using strata::load_migrations;
using strata::MemorySource;
using strata::MigrationId;
using strata::MigrationSet;
using strata::SourceFile;
using strata::split_after_commit;
using strata::SqlSections;
using strata::test::TempDir;
using strata::test::write_file;

namespace {

const std::string k_name_hint = "\n  hint: name migration files <id>_<slug>.up.sql and "
                                "<id>_<slug>.down.sql, e.g. 0002_add_tags.up.sql and "
                                "0002_add_tags.down.sql";

SourceFile file(const std::string& name, const std::string& content) {
    return SourceFile{name, content};
}

// The up and down files of one migration.
std::vector<SourceFile> pair(const std::string& stem, const std::string& up = "SELECT 1;\n",
                             const std::string& down = "SELECT 2;\n") {
    return {file(stem + ".up.sql", up), file(stem + ".down.sql", down)};
}

std::vector<SourceFile> join(std::vector<std::vector<SourceFile>> groups) {
    std::vector<SourceFile> all;
    for (auto& group : groups)
        all.insert(all.end(), group.begin(), group.end());
    return all;
}

MigrationSet load(const std::vector<SourceFile>& files) {
    return load_migrations("core", MemorySource("migrations/core/", files));
}

// what() of the load-time error, after checking it is a MigrationFiles error.
std::string load_failure(const std::vector<SourceFile>& files) {
    try {
        load(files);
    } catch (const Error& error) {
        CHECK(error.kind() == ErrorKind::MigrationFiles);
        return error.what();
    }
    return "(no error)";
}

std::string folder_failure(const std::filesystem::path& folder) {
    try {
        load_migrations("core", FolderSource(folder));
    } catch (const Error& error) {
        CHECK(error.kind() == ErrorKind::MigrationFiles);
        return error.what();
    }
    return "(no error)";
}

std::vector<std::string> ids_of(const MigrationSet& set) {
    std::vector<std::string> ids;
    for (const auto& migration : set.migrations)
        ids.push_back(migration.id.text());
    return ids;
}

const std::string k_utf8_hint = "\n  hint: save the file as UTF-8 text";

// A MemorySource that counts how often each file is read.
class CountingSource : public MemorySource {
  public:
    using MemorySource::MemorySource;
    std::string_view read(const strata::SourceEntry& file, std::string& buffer) const override {
        ++reads[file.name];
        return MemorySource::read(file, buffer);
    }
    bool reads_concurrently() const override { return false; } // `reads` is not guarded
    mutable std::map<std::string, int> reads;
};

} // namespace

TEST_SUITE("loader") {

    TEST_CASE("sha256_hex gives lower-case hex for the standard test vectors") {
        CHECK(strata::sha256_hex("") ==
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        CHECK(strata::sha256_hex("abc") ==
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        CHECK(strata::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    }

    TEST_CASE("normalise_sql_text strips a leading BOM and turns CRLF into LF") {
        CHECK(strata::normalise_sql_text("\xEF\xBB\xBFSELECT 1;\r\nSELECT 2;\r\n") ==
              "SELECT 1;\nSELECT 2;\n");
        // A lone CR may be part of a string literal, and a BOM past the start is content.
        CHECK(strata::normalise_sql_text("a\rb\r\r\n") == "a\rb\r\n");
        CHECK(strata::normalise_sql_text("x\xEF\xBB\xBF") == "x\xEF\xBB\xBF");
        CHECK(strata::normalise_sql_text("\xEF\xBB\xBF\xEF\xBB\xBF") == "\xEF\xBB\xBF");
        CHECK(strata::normalise_sql_text("") == "");
    }

    TEST_CASE("describe_slug turns underscores into spaces") {
        CHECK(strata::describe_slug("create_users") == "create users");
        CHECK(strata::describe_slug("add-tags_v2") == "add-tags v2");
    }

    TEST_CASE("migrations are ordered by the numeric value of their ids") {
        MigrationSet set = load(join({pair("10_ten"), pair("2_two"), pair("0009_nine"),
                                      pair("1_one"), pair("100000000000000000000_huge")}));
        CHECK(set.app_name == "core");
        CHECK(ids_of(set) ==
              std::vector<std::string>{"1", "2", "0009", "10", "100000000000000000000"});
    }

    TEST_CASE("a loaded migration carries its app, names, SQL, paths and checksum") {
        MigrationSet set =
            load(pair("0001_create_users", "CREATE TABLE users(id);\n", "DROP TABLE users;\n"));
        REQUIRE(set.migrations.size() == 1);
        const auto& m = set.migrations[0];
        CHECK(m.app_name == "core");
        CHECK(m.id.text() == "0001");
        CHECK(m.name == "0001_create_users");
        CHECK(m.description == "create users");
        CHECK(m.up_sql == "CREATE TABLE users(id);\n");
        CHECK(m.down_sql.text() == "DROP TABLE users;\n");
        CHECK(m.checksum == strata::sha256_hex("CREATE TABLE users(id);\n"));
        CHECK(m.up_path() == "migrations/core/0001_create_users.up.sql");
        CHECK(m.down_path() == "migrations/core/0001_create_users.down.sql");
    }

    TEST_CASE("BOM and CRLF are normalised away, so a Windows checkout has the same checksum") {
        MigrationSet windows = load(pair("0001_a",
                                         "\xEF\xBB\xBF"
                                         "CREATE TABLE t(x);\r\nINSERT INTO t VALUES(1);\r\n",
                                         "\xEF\xBB\xBF"
                                         "DROP TABLE t;\r\n"));
        MigrationSet unix_text = load(
            pair("0001_a", "CREATE TABLE t(x);\nINSERT INTO t VALUES(1);\n", "DROP TABLE t;\n"));
        const auto& w = windows.migrations.at(0);
        const auto& u = unix_text.migrations.at(0);
        CHECK(w.up_sql == "CREATE TABLE t(x);\nINSERT INTO t VALUES(1);\n");
        CHECK(w.down_sql.text() == "DROP TABLE t;\n");
        CHECK(w.checksum == u.checksum);
        CHECK(w.checksum == strata::sha256_hex(w.up_sql));
        CHECK(w.checksum !=
              strata::sha256_hex("\xEF\xBB\xBF"
                                 "CREATE TABLE t(x);\r\nINSERT INTO t VALUES(1);\r\n"));
    }

    TEST_CASE("a down file may be empty") {
        MigrationSet set = load(pair("0001_a", "CREATE TABLE t(x);", ""));
        REQUIRE(set.migrations.size() == 1);
        CHECK(set.migrations[0].down_sql.text().empty());
    }

    TEST_CASE("files not ending in .sql and dotfiles are ignored") {
        MigrationSet set =
            load(join({pair("0001_a"),
                       {file("README.md", "notes"), file("0002_b.up.sql.orig", ""),
                        file(".0003_c.up.sql", ""), file("._0001_a.up.sql", "\xFF\xFE")}}));
        CHECK(ids_of(set) == std::vector<std::string>{"0001"});
    }

    TEST_CASE("an empty source gives an empty set") {
        MigrationSet set = load({});
        CHECK(set.app_name == "core");
        CHECK(set.migrations.empty());
    }

    TEST_CASE("find matches an id numerically or the exact full name") {
        MigrationSet set = load(join(
            {pair("0001_create_users"), pair("0002_add_tags"), pair("20261121093000_add_notes")}));
        REQUIRE(set.find("2") != nullptr);
        CHECK(set.find("2")->name == "0002_add_tags");
        CHECK(set.find("0002")->name == "0002_add_tags");
        CHECK(set.find("000002")->name == "0002_add_tags");
        CHECK(set.find("0001_create_users")->id.text() == "0001");
        CHECK(set.find("20261121093000")->id.text() == "20261121093000");
        CHECK(set.find("20261121093000_add_notes")->id.text() == "20261121093000");
        CHECK(set.find(MigrationId("000002"))->name == "0002_add_tags");
        CHECK(set.find(MigrationId("3")) == nullptr);
        CHECK(set.find("3") == nullptr);
        CHECK(set.find("1_create_users") == nullptr); // a name must match as written
        CHECK(set.find("0001_create_user") == nullptr);
        CHECK(set.find("create_users") == nullptr);
        CHECK(set.find("") == nullptr);
        CHECK(set.find("all") == nullptr);
    }

    TEST_CASE("a .sql file whose name does not match the pattern is an error") {
        CHECK(load_failure({file("create_users.up.sql", "x")}) ==
              "migrations/core/create_users.up.sql: invalid migration file name: it must start "
              "with the migration's numeric id" +
                  k_name_hint);
        CHECK(load_failure({file("schema.sql", "x")}) ==
              "migrations/core/schema.sql: invalid migration file name: it must end in .up.sql "
              "or .down.sql" +
                  k_name_hint);
        CHECK(load_failure({file("0001_a.UP.SQL", "x")}) ==
              "migrations/core/0001_a.UP.SQL: invalid migration file name: it must end in "
              ".up.sql or .down.sql" +
                  k_name_hint);
        CHECK(load_failure({file("0001.up.sql", "x")}) ==
              "migrations/core/0001.up.sql: invalid migration file name: the id must be followed "
              "by '_' and a slug" +
                  k_name_hint);
        CHECK(load_failure({file("0001_.down.sql", "x")}) ==
              "migrations/core/0001_.down.sql: invalid migration file name: the id must be "
              "followed by '_' and a slug" +
                  k_name_hint);
        CHECK(load_failure({file("0001-add_tags.up.sql", "x")}) ==
              "migrations/core/0001-add_tags.up.sql: invalid migration file name: the id must be "
              "followed by '_' and a slug" +
                  k_name_hint);
        CHECK(load_failure({file("0001_add tags.up.sql", "x")}) ==
              "migrations/core/0001_add tags.up.sql: invalid migration file name: the slug may "
              "contain only ASCII letters, digits, '_' and '-'" +
                  k_name_hint);
    }

    TEST_CASE("of several bad names the alphabetically first is reported, whatever the order") {
        std::vector<SourceFile> files = {file("b.sql", ""), file("a.sql", "")};
        std::string expected = "migrations/core/a.sql: invalid migration file name: it must end in "
                               ".up.sql or .down.sql" +
                               k_name_hint;
        CHECK(load_failure(files) == expected);
        CHECK(load_failure({files[1], files[0]}) == expected);
    }

    TEST_CASE("an up file without its down file is an error naming the expected file") {
        CHECK(load_failure(join({pair("0001_a"), {file("0002_add_tags.up.sql", "SELECT 1;")}})) ==
              "migrations/core/0002_add_tags.up.sql: migration 0002_add_tags is missing its down "
              "file\n  hint: create migrations/core/0002_add_tags.down.sql (it may be empty when "
              "there is nothing to undo)");
    }

    TEST_CASE("a down file without its up file is an error naming the expected file") {
        CHECK(
            load_failure({file("0002_add_tags.down.sql", "SELECT 1;")}) ==
            "migrations/core/0002_add_tags.down.sql: migration 0002_add_tags is missing its up "
            "file\n  hint: create migrations/core/0002_add_tags.up.sql, or delete this down file");
    }

    TEST_CASE("two migrations with numerically equal ids are an error naming both files") {
        const std::string hint = "\n  hint: ids are compared as numbers (0001 and 1 are the "
                                 "same); give one of the two migrations a new id";
        CHECK(load_failure(join({pair("1_b"), pair("0001_a")})) ==
              "migrations/core/1_b.up.sql: migration id 1 is also used by "
              "migrations/core/0001_a.up.sql" +
                  hint);
        CHECK(load_failure(join({pair("0001_b"), pair("0001_a")})) ==
              "migrations/core/0001_b.up.sql: migration id 0001 is also used by "
              "migrations/core/0001_a.up.sql" +
                  hint);
        // Only a down file left of one of them: still a duplicate, not a missing pair.
        CHECK(load_failure(join({pair("0001_b"), {file("0001_a.down.sql", "")}})) ==
              "migrations/core/0001_b.up.sql: migration id 0001 is also used by "
              "migrations/core/0001_a.down.sql" +
                  hint);
    }

    TEST_CASE("invalid UTF-8 is reported at the line and column of the first bad byte") {
        using namespace std::string_literals;
        struct Case {
            std::string text;
            std::string location;
            std::string byte;
        };
        const Case cases[] = {
            {"SELECT 1;\nSELECT '\xC0\x80';"s, "2:9", "0xC0"},     // overlong 2-byte NUL
            {"SELECT '\xC1\xBF';"s, "1:9", "0xC1"},                // overlong 2-byte
            {"SELECT '\xE0\x80\xAF';"s, "1:9", "0xE0"},            // overlong 3-byte
            {"SELECT '\xF0\x8F\xBF\xBF';"s, "1:9", "0xF0"},        // overlong 4-byte
            {"SELECT '\xED\xA0\x80';"s, "1:9", "0xED"},            // surrogate U+D800
            {"SELECT '\xED\xBF\xBF';"s, "1:9", "0xED"},            // surrogate U+DFFF
            {"SELECT '\xF4\x90\x80\x80';"s, "1:9", "0xF4"},        // U+110000
            {"SELECT '\xF5\x80\x80\x80';"s, "1:9", "0xF5"},        // no such lead byte
            {"SELECT '\xE2\x82';"s, "1:9", "0xE2"},                // truncated before a quote
            {"SELECT 1; -- \xE2\x82"s, "1:14", "0xE2"},            // truncated at end of file
            {"SELECT '\x80';"s, "1:9", "0x80"},                    // lone continuation byte
            {"\xFF\xFES\0E\0"s, "1:1", "0xFF"},                    // UTF-16 with its BOM
            {"--\n\n  x\xFF"s, "3:4", "0xFF"},                     // lines count LF
            {"-- caf\xC3\xA9 \xE2\x82\xAC \xFF"s, "1:11", "0xFF"}, // columns count characters
        };
        for (const Case& c : cases) {
            CAPTURE(c.location);
            CHECK(load_failure(pair("0001_a", c.text)) ==
                  "migrations/core/0001_a.up.sql:" + c.location +
                      ": file is not valid UTF-8 (byte " + c.byte + ")" + k_utf8_hint);
        }
    }

    TEST_CASE("positions skip a BOM and ignore CR of CRLF") {
        CHECK(load_failure(pair("0001_a", "\xEF\xBB\xBF"
                                          "SELECT 1;\r\n\xFF")) ==
              "migrations/core/0001_a.up.sql:2:1: file is not valid UTF-8 (byte 0xFF)" +
                  k_utf8_hint);
    }

    TEST_CASE("invalid UTF-8 in a down file is an error too") {
        CHECK(load_failure(pair("0001_a", "SELECT 1;", "DROP TABLE \xC3(;")) ==
              "migrations/core/0001_a.down.sql:1:12: file is not valid UTF-8 (byte 0xC3)" +
                  k_utf8_hint);
    }

    TEST_CASE("well-formed UTF-8 at the edges of the valid ranges is accepted") {
        std::string text = "SELECT '\xC2\x80 \xDF\xBF \xE0\xA0\x80 \xED\x9F\xBF \xEE\x80\x80 "
                           "\xEF\xBF\xBF \xF0\x90\x80\x80 \xF4\x8F\xBF\xBF caf\xC3\xA9 "
                           "\xF0\x9F\x98\x80';";
        MigrationSet set = load(pair("0001_a", text));
        CHECK(set.migrations.at(0).up_sql == text);
    }

    TEST_CASE("a NUL byte is an error at its line and column") {
        std::string up = std::string("CREATE TABLE t(x);\nSELECT 1;") + '\0' + "DROP TABLE t;";
        CHECK(load_failure(pair("0001_a", up)) ==
              "migrations/core/0001_a.up.sql:2:10: file contains a NUL byte; SQLite would stop "
              "reading the SQL there and silently skip the rest\n  hint: remove it; a file with "
              "NUL bytes is often UTF-16: save it as UTF-8 text");
        // UTF-16 without a BOM shows up as a NUL after the first character.
        CHECK(load_failure(pair("0001_a", "SELECT 1;", std::string("S\0E\0", 4)))
                  .starts_with("migrations/core/0001_a.down.sql:1:2: file contains a NUL byte"));
    }

    TEST_CASE("an up file without statements is a deliberate no-op and loads") {
        for (const std::string up :
             {"", " \n\t\r\n  ", "\xEF\xBB\xBF\r\n", "-- nothing to do in this release\n",
              "/* kept for numbering */\n"}) {
            CAPTURE(up);
            MigrationSet set = load(pair("0001_a", up, ""));
            REQUIRE(set.migrations.size() == 1);
            CHECK(set.migrations[0].checksum == strata::sha256_hex(set.migrations[0].up_sql));
        }
    }

    TEST_CASE("a file that still carries the template marker of strata new is refused") {
        const std::string hint =
            "\n  hint: write the migration's SQL in it and delete this line (a file with no "
            "statements is fine: it does nothing)";
        const std::string marker =
            "-- strata:template (delete this line when you write the migration)\n";
        CHECK(load_failure(pair("0001_a", marker + "-- a: write the SQL to apply here\n")) ==
              "migrations/core/0001_a.up.sql:1:1: this file is still the template `strata new` "
              "wrote" +
                  hint);
        // SQL written below the marker does not count until the marker goes.
        CHECK(load_failure(pair("0001_a", marker + "CREATE TABLE t(x);\n")) ==
              "migrations/core/0001_a.up.sql:1:1: this file is still the template `strata new` "
              "wrote" +
                  hint);
        // Anywhere in the file, at the start of a line; CRLF files too.
        CHECK(load_failure(pair("0001_a", "CREATE TABLE t(x);\r\n-- strata:template\r\n"))
                  .starts_with("migrations/core/0001_a.up.sql:2:1: this file is still the "
                               "template"));
        // The down file of the template too: reversing it would do nothing.
        CHECK(load_failure(pair("0001_a", "CREATE TABLE t(x);\n", marker))
                  .starts_with("migrations/core/0001_a.down.sql:1:1: this file is still the "
                               "template"));
        // Mentioned later on a line, it is only a comment.
        CHECK_NOTHROW(load(pair("0001_a", "SELECT 1; -- strata:template\n")));
        CHECK_NOTHROW(load(pair("0001_a", "  -- strata:template was here\n")));
    }

    TEST_CASE("FolderSource reads .sql files and skips everything else") {
        TempDir temp;
        const auto folder = temp / "migrations";
        write_file(folder / "0002_b.up.sql", "CREATE TABLE b(x);\r\n");
        write_file(folder / "0002_b.down.sql", "DROP TABLE b;\n");
        write_file(folder / "0001_a.up.sql", "CREATE TABLE a(x);\n");
        write_file(folder / "0001_a.down.sql", "");
        write_file(folder / "README.md", "not a migration");
        write_file(folder / "0003_c.up.sql~", "editor backup");
        write_file(folder / ".0003_c.up.sql.swp", "swap file");
        write_file(folder / "._0001_a.up.sql", "\xFF macOS resource fork");
        write_file(folder / "archive" / "0004_d.up.sql", "a sub-folder is not looked into");

        MigrationSet set = load_migrations("core", FolderSource(folder));
        REQUIRE(ids_of(set) == std::vector<std::string>{"0001", "0002"});
        CHECK(set.migrations[0].up_path() == (folder / "0001_a.up.sql").string());
        CHECK(set.migrations[0].down_path() == (folder / "0001_a.down.sql").string());
        CHECK(set.migrations[1].up_sql == "CREATE TABLE b(x);\n");
        CHECK(set.migrations[1].down_sql.text() == "DROP TABLE b;\n");
    }

    TEST_CASE("FolderSource names its files by its folder's path and a slash") {
        CHECK(FolderSource("").path_prefix().empty()); // the current folder: the bare name
        CHECK(FolderSource(".").path_prefix() == "./");
        CHECK(FolderSource("x/").path_prefix() == "x/");
        CHECK(FolderSource("a/b").path_prefix() == "a/b/");
        CHECK(FolderSource("a/b").path_of(strata::SourceEntry{"1_x.up.sql", 0}) ==
              "a/b/1_x.up.sql");
    }

    TEST_CASE("FolderSource reports a missing folder") {
        TempDir temp;
        const auto folder = temp / "nowhere";
        CHECK(folder_failure(folder) ==
              folder.string() +
                  ": cannot read migrations folder: No such file or directory\n  hint: create the "
                  "folder, or fix AppConfig::migrations_dir");
        write_file(temp / "plain", "");
        CHECK(folder_failure(temp / "plain") ==
              (temp / "plain").string() +
                  ": cannot read migrations folder: Not a directory\n  hint: create the folder, or "
                  "fix AppConfig::migrations_dir");
    }

    TEST_CASE("FolderSource lists and reads the folder it opened when it was made") {
        TempDir temp;
        write_file(temp / "migrations" / "0001_a.up.sql", "SELECT 1;\n");
        write_file(temp / "migrations" / "0001_a.down.sql", "SELECT 2;\n");
        const auto source = std::make_shared<const FolderSource>(temp / "migrations");
        // Moved away after the source was made: one open folder, not a path walked per file.
        std::filesystem::rename(temp / "migrations", temp / "moved");
        const MigrationSet set = load_migrations("core", source);
        REQUIRE(set.migrations.size() == 1);
        CHECK(set.migrations[0].up_sql == "SELECT 1;\n");
        CHECK(set.migrations[0].down_sql.text() == "SELECT 2;\n");
        // Messages still name the path it was given.
        CHECK(set.migrations[0].up_path() == (temp / "migrations" / "0001_a.up.sql").string());
    }

    TEST_CASE("FolderSource refuses a FIFO named .sql without opening it") {
        TempDir temp;
        const auto folder = temp / "migrations";
        write_file(folder / "0001_a.up.sql", "SELECT 1;");
        REQUIRE(::mkfifo((folder / "0001_a.down.sql").c_str(), 0600) == 0);
        // Opening the FIFO for reading would block this test forever.
        CHECK(folder_failure(folder) ==
              (folder / "0001_a.down.sql").string() +
                  ": migration file is not a regular file (it is a FIFO)\n  hint: rename or "
                  "remove it: every name ending in .sql must be a file (or a link to one)");
    }

    TEST_CASE("FolderSource refuses a file larger than SQLite runs, without reading it") {
        TempDir temp;
        const auto folder = temp / "migrations";
        write_file(folder / "0001_a.down.sql", "");
        write_file(folder / "0001_a.up.sql", "");
        // Sparse: one byte past SQLite's 1,000,000,000-byte limit costs no disk space.
        REQUIRE(::truncate((folder / "0001_a.up.sql").c_str(), 1'000'000'001) == 0);
        CHECK(folder_failure(folder) ==
              (folder / "0001_a.up.sql").string() +
                  ": migration file is too large (1000000001 bytes; SQLite runs at most "
                  "1000000000 bytes of SQL)\n  hint: split it into several migrations");
    }

    TEST_CASE("FolderSource refuses a directory named .sql") {
        TempDir temp;
        const auto folder = temp / "migrations";
        std::filesystem::create_directories(folder / "0001_a.up.sql");
        CHECK(folder_failure(folder) ==
              (folder / "0001_a.up.sql").string() +
                  ": migration file is not a regular file (it is a directory)\n  hint: rename or "
                  "remove it: every name ending in .sql must be a file (or a link to one)");
    }

    TEST_CASE("FolderSource follows a symlink to a file and reports a dangling one") {
        TempDir temp;
        const auto folder = temp / "migrations";
        write_file(temp / "shared" / "create.sql", "CREATE TABLE t(x);\n");
        write_file(folder / "0001_a.down.sql", "DROP TABLE t;\n");
        std::filesystem::create_symlink(temp / "shared" / "create.sql", folder / "0001_a.up.sql");

        MigrationSet set = load_migrations("core", FolderSource(folder));
        REQUIRE(set.migrations.size() == 1);
        CHECK(set.migrations[0].up_sql == "CREATE TABLE t(x);\n");
        CHECK(set.migrations[0].up_path() == (folder / "0001_a.up.sql").string());

        std::filesystem::remove(temp / "shared" / "create.sql");
        CHECK(folder_failure(folder) == (folder / "0001_a.up.sql").string() +
                                            ": cannot read migration file: No such file or "
                                            "directory");
    }

    TEST_CASE("FolderSource::remove deletes a file and reports what it cannot delete") {
        TempDir temp;
        const auto folder = temp / "migrations";
        write_file(folder / "0001_a.up.sql", "SELECT 1;");
        FolderSource source(folder);
        source.remove((folder / "0001_a.up.sql").string());
        CHECK_FALSE(std::filesystem::exists(folder / "0001_a.up.sql"));
        // Already gone is what --clean wanted.
        CHECK_NOTHROW(source.remove((folder / "0001_a.up.sql").string()));

        std::filesystem::create_directories(folder / "0002_b.up.sql");
        try {
            source.remove((folder / "0002_b.up.sql").string());
            FAIL("a directory was removed");
        } catch (const Error& error) {
            CHECK(error.kind() == ErrorKind::Database);
            CHECK(std::string(error.what()) ==
                  (folder / "0002_b.up.sql").string() +
                      ": cannot delete migration file: Is a directory");
        }
        CHECK(std::filesystem::is_directory(folder / "0002_b.up.sql"));
    }

    TEST_CASE("a MemorySource copied from a folder reads it now and names its files as it does") {
        TempDir temp;
        const auto folder = temp / "migrations";
        write_file(folder / "0001_a.up.sql", "SELECT 1;\n");
        write_file(folder / "0001_a.down.sql", "SELECT 2;\n");
        const MemorySource copy{FolderSource(folder)};
        std::filesystem::remove_all(folder); // read already
        CHECK(copy.path_prefix() == folder.string() + "/");
        const MigrationSet set = load_migrations("core", copy);
        REQUIRE(set.migrations.size() == 1);
        CHECK(set.migrations[0].down_sql.text() == "SELECT 2;\n");
        CHECK(set.migrations[0].up_path() == (folder / "0001_a.up.sql").string());
        CHECK(set.migrations[0].down_path() == (folder / "0001_a.down.sql").string());
    }

    TEST_CASE("MemorySource::remove forgets the file with that path") {
        MemorySource source("migrations/core/", join({pair("0001_a"), pair("0002_b")}));
        source.remove("migrations/core/0002_b.up.sql");
        source.remove("migrations/core/0002_b.down.sql");
        source.remove("migrations/core/not-there.sql");
        CHECK(source.list_sql_files().size() == 2);
        CHECK(ids_of(load_migrations("core", source)) == std::vector<std::string>{"0001"});
    }

    TEST_CASE("ForgottenFiles: a forgotten file is read no more; the others keep their keys") {
        strata::ForgottenFiles files(3);
        files.forget(1);
        CHECK_FALSE(files.contains(0));
        CHECK(files.contains(1));
        CHECK_FALSE(files.contains(2));
        CHECK(files.contains(3)); // never one of the files
        const MemorySource source("memory:core/", {});
        CHECK_NOTHROW(files.check_readable(source, strata::SourceEntry{"0001_a.up.sql", 0}));
        try {
            files.check_readable(source, strata::SourceEntry{"0001_a.down.sql", 1});
            FAIL("expected an error");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::MigrationFiles);
            CHECK(e.message() == "migration file no longer exists");
            CHECK(e.where().path == "memory:core/0001_a.down.sql");
        }
    }

    TEST_CASE("load_migrations(AppConfig) reads the app's folder under the app's name") {
        TempDir temp;
        strata::AppConfig app;
        app.name = "billing";
        app.migrations_dir = temp / "migrations" / "billing";
        write_file(app.migrations_dir / "20261121093000_add_invoices.up.sql", "CREATE TABLE i(x);");
        write_file(app.migrations_dir / "20261121093000_add_invoices.down.sql", "DROP TABLE i;");
        MigrationSet set = load_migrations(app);
        CHECK(set.app_name == "billing");
        REQUIRE(set.migrations.size() == 1);
        CHECK(set.migrations[0].app_name == "billing");
        CHECK(set.migrations[0].description == "add invoices");
    }

    TEST_CASE("an after-commit line splits a file in two") {
        const std::string sql = "CREATE TABLE t (x);\n-- strata:after-commit \r\nVACUUM;\n";
        const SqlSections sections = split_after_commit(sql);
        CHECK(sections.in_transaction == "CREATE TABLE t (x);\n");
        CHECK(sections.after_commit == "VACUUM;\n");
        CHECK(sections.after_commit_line == 3);

        const SqlSections none = split_after_commit("SELECT 1; -- strata:after-commit\n");
        CHECK(none.after_commit_line == 0);
        CHECK(none.in_transaction == "SELECT 1; -- strata:after-commit\n");
        CHECK(split_after_commit("-- strata:after-commit").after_commit_line == 2);
    }

    TEST_CASE("a lazily loaded set reads each up file once and a down file only when needed") {
        auto source = std::make_shared<CountingSource>(
            "migrations/core/",
            join({pair("0001_a", "SELECT 1;\n", "DROP TABLE a;\r\n"), pair("0002_b")}));
        const MigrationSet set = load_migrations("core", source);
        REQUIRE(set.migrations.size() == 2);
        CHECK(source->reads ==
              std::map<std::string, int>{{"0001_a.up.sql", 1}, {"0002_b.up.sql", 1}});
        CHECK_FALSE(set.migrations[0].down_sql.loaded());

        // Read once, normalised as at load time, and shared by copies.
        const strata::Migration copy = set.migrations[0];
        CHECK(copy.down_sql.text() == "DROP TABLE a;\n");
        CHECK(set.migrations[0].down_sql.text() == "DROP TABLE a;\n");
        CHECK(set.migrations[0].down_sql.loaded());
        CHECK(source->reads["0001_a.down.sql"] == 1);
        CHECK(source->reads.count("0002_b.down.sql") == 0);
    }

    TEST_CASE("a lazily loaded set still refuses an unpaired file, and reports a bad down file "
              "when its text is needed") {
        CHECK_THROWS_WITH(
            load_migrations("core", std::make_shared<MemorySource>(
                                        "migrations/core/", std::vector<SourceFile>{file(
                                                                "0001_a.up.sql", "SELECT 1;")})),
            doctest::Contains("migration 0001_a is missing its down file"));

        const MigrationSet set = load_migrations(
            "core", std::make_shared<MemorySource>(
                        "migrations/core/", pair("0001_a", "SELECT 1;\n", "SELECT 'a\xC3';")));
        REQUIRE(set.migrations.size() == 1);
        for (int attempt = 0; attempt < 2; ++attempt) {
            try {
                (void)set.migrations[0].down_sql.text();
                FAIL("an invalid down file was accepted");
            } catch (const Error& error) {
                CHECK(error.kind() == ErrorKind::MigrationFiles);
                CHECK(std::string(error.what()) ==
                      "migrations/core/0001_a.down.sql:1:10: file is not valid UTF-8 (byte 0xC3)"
                      "\n  hint: save the file as UTF-8 text");
            }
        }
    }

    TEST_CASE("a folder loaded lazily reads no down file until one is needed") {
        TempDir temp;
        const auto folder = temp / "migrations";
        write_file(folder / "0001_a.up.sql", "CREATE TABLE a(x);\n");
        // A dangling link: no one can read it, root included (who reads a chmod 000 file).
        std::filesystem::create_symlink(temp / "gone.sql", folder / "0001_a.down.sql");
        const MigrationSet set =
            load_migrations("core", std::make_shared<const FolderSource>(folder));
        REQUIRE(set.migrations.size() == 1);
        CHECK(set.migrations[0].up_sql == "CREATE TABLE a(x);\n");
        CHECK_THROWS_WITH(set.migrations[0].down_sql.text(),
                          ((folder / "0001_a.down.sql").string() +
                           ": cannot read migration file: No such file or directory")
                              .c_str());
    }

    TEST_CASE("a folder or FIFO named .sql is refused at load time, even lazily") {
        TempDir temp;
        const auto folder = temp / "migrations";
        write_file(folder / "0001_a.up.sql", "SELECT 1;");
        REQUIRE(::mkfifo((folder / "0001_a.down.sql").c_str(), 0600) == 0);
        CHECK_THROWS_WITH(load_migrations("core", std::make_shared<const FolderSource>(folder)),
                          doctest::Contains("0001_a.down.sql: migration file is not a regular "
                                            "file (it is a FIFO)"));
    }

    TEST_CASE("EmbeddedSource and MemorySource read their files without a copy") {
        const std::string up = "CREATE TABLE t(x);\n";
        const std::string down = "DROP TABLE t;\n";
        const strata::EmbeddedMigration migrations[] = {{"0001_a", up, down}};
        const strata::EmbeddedSource embedded("core", migrations);
        std::string buffer;
        const auto entries = embedded.list();
        REQUIRE(entries.size() == 2);
        CHECK(embedded.read(entries[0], buffer).data() == up.data());
        CHECK(embedded.read(entries[1], buffer).data() == down.data());
        CHECK(buffer.empty());

        const MemorySource memory("migrations/core/", pair("0001_a"));
        const auto files = memory.list();
        REQUIRE(files.size() == 2);
        CHECK(memory.read(files[1], buffer) == "SELECT 2;\n");
        CHECK(buffer.empty());
    }
}
