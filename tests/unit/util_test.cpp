// SPDX-License-Identifier: MIT
// util/: reading and writing files, text rules, suggestions, time formats and slugs. util
// knows nothing of strata, so these tests need none of it either.
#include "support/temp_dir.hpp"
#include "util/file_reader.hpp"
#include "util/file_writer.hpp"
#include "util/path_identity.hpp"
#include "util/platform.hpp"
#include "util/printable.hpp"
#include "util/slug.hpp"
#include "util/suggest.hpp"
#include "util/text.hpp"
#include "util/time_format.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

using namespace strata::util;
using strata::test::names_in;
using strata::test::TempDir;
using strata::test::write_file;
namespace fs = std::filesystem;

namespace {

// The FileError that `call` throws; fails the test when it throws none.
template <typename Call>
FileError file_error_from(Call call) {
    try {
        call();
    } catch (const FileError& error) {
        return error;
    }
    FAIL("no FileError was thrown");
    return FileError(FileProblem::NotFound, "");
}

std::string contents(const fs::path& path) {
    return strata::test::read_file(path);
}

std::chrono::system_clock::time_point utc(int y, unsigned m, unsigned d, int hh, int mm, int ss,
                                          int ms = 0) {
    using namespace std::chrono;
    return sys_days{year{y} / month{m} / day{d}} + hours{hh} + minutes{mm} + seconds{ss} +
           milliseconds{ms};
}

} // namespace

TEST_SUITE("util") {
    // ---- reading ----

    TEST_CASE("read_file returns the bytes as they are, a BOM and CRLF included") {
        TempDir dir;
        static const char k_bytes[] = "\xEF\xBB\xBFline 1\r\nline 2\0end";
        const std::string bytes(k_bytes, sizeof k_bytes - 1);
        write_file(dir / "a.txt", bytes);
        CHECK(read_file(dir / "a.txt") == bytes);
    }

    TEST_CASE("read_file reads an empty file and follows a link to a file") {
        TempDir dir;
        write_file(dir / "empty", "");
        CHECK(read_file(dir / "empty").empty());
        write_file(dir / "target", "content");
        fs::create_symlink(dir / "target", dir / "link");
        CHECK(read_file(dir / "link") == "content");
    }

    TEST_CASE("read_file reports a missing file, a dangling link and a path through a file") {
        TempDir dir;
        FileError missing = file_error_from([&] { read_file(dir / "nope"); });
        CHECK(missing.problem == FileProblem::NotFound);
        CHECK(missing.error_number == ENOENT);
        CHECK(missing.path == (dir / "nope").string());
        CHECK(missing.reason() == "No such file or directory");

        fs::create_symlink(dir / "gone", dir / "dangling");
        CHECK(file_error_from([&] { read_file(dir / "dangling"); }).problem ==
              FileProblem::NotFound);

        write_file(dir / "plain", "x");
        FileError through = file_error_from([&] { read_file(dir / "plain/x"); });
        CHECK(through.problem == FileProblem::NotFound);
        CHECK(through.error_number == ENOTDIR);
    }

    TEST_CASE("read_file_if_present: nothing for a missing name, else as read_file") {
        TempDir dir;
        CHECK_FALSE(read_file_if_present(dir / "nope").has_value());
        fs::create_symlink(dir / "gone", dir / "dangling");
        CHECK_FALSE(read_file_if_present(dir / "dangling").has_value());
        write_file(dir / "plain", "x");
        CHECK_FALSE(read_file_if_present(dir / "plain/x").has_value());
        CHECK(read_file_if_present(dir / "plain") == std::optional<std::string>("x"));

        FileError folder = file_error_from([&] { read_file_if_present(dir.path()); });
        CHECK(folder.problem == FileProblem::NotRegular);
        FileError large = file_error_from([&] { read_file_if_present(dir / "plain", 0); });
        CHECK(large.problem == FileProblem::TooLarge);
    }

    TEST_CASE("read_file refuses a directory, a FIFO and a device without opening them") {
        TempDir dir;
        FileError folder = file_error_from([&] { read_file(dir.path()); });
        CHECK(folder.problem == FileProblem::NotRegular);
        CHECK(folder.kind == FileKind::Directory);

        // Opening the FIFO for reading would block this test until a writer came.
        REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
        FileError fifo = file_error_from([&] { read_file(dir / "fifo"); });
        CHECK(fifo.problem == FileProblem::NotRegular);
        CHECK(fifo.kind == FileKind::Fifo);
        CHECK(std::string(fifo.what()) ==
              (dir / "fifo").string() + ": not a regular file (it is a FIFO)");

        // A link to /dev/zero would never end if it were read.
        fs::create_symlink("/dev/zero", dir / "zero");
        FileError device = file_error_from([&] { read_file(dir / "zero"); });
        CHECK(device.problem == FileProblem::NotRegular);
        CHECK(device.kind == FileKind::CharacterDevice);
        CHECK(describe(device.kind) == "a character device");
    }

    TEST_CASE("read_file refuses a file larger than its limit, before reading it") {
        TempDir dir;
        write_file(dir / "ten", "0123456789");
        CHECK(read_file(dir / "ten", 10) == "0123456789");
        FileError large = file_error_from([&] { read_file(dir / "ten", 9); });
        CHECK(large.problem == FileProblem::TooLarge);
        CHECK(large.size == 10);
        CHECK(large.limit == 9);

        // A sparse file past the default limit costs no disk space and is never read.
        write_file(dir / "huge", "");
        REQUIRE(::truncate((dir / "huge").c_str(),
                           static_cast<off_t>(k_default_max_file_size + 1)) == 0);
        FileError huge = file_error_from([&] { read_file(dir / "huge"); });
        CHECK(huge.problem == FileProblem::TooLarge);
        CHECK(huge.size == k_default_max_file_size + 1);
        CHECK(k_default_max_file_size == 64 * 1024 * 1024);
    }

    // ---- text rules ----

    TEST_CASE("read_listed_file_in reads an entry of an open folder into reused memory") {
        TempDir dir;
        const std::string big(100'000, 'x'); // more than one read's worth
        write_file(dir / "big.sql", big);
        write_file(dir / "small.sql", "SELECT 1;\n");
        ::symlink((dir / "small.sql").c_str(), (dir / "link.sql").c_str());
        REQUIRE(::mkfifo((dir / "fifo.sql").c_str(), 0600) == 0);
        std::error_code error;
        const FileDescriptor folder = open_file(dir.path(), {.folder = true}, error);
        REQUIRE(folder.valid());

        std::string content;
        read_listed_file_in(folder, "big.sql", "shown/big.sql", 1'000'000, content);
        CHECK(content == big);
        const std::size_t capacity = content.capacity();
        read_listed_file_in(folder, "small.sql", "shown/small.sql", 1'000'000, content);
        CHECK(content == "SELECT 1;\n");
        CHECK(content.capacity() == capacity); // the memory of the first read, reused

        // A link swapped in since the listing is not followed; a FIFO is not waited on; the
        // limit holds; errors name the path given.
        FileError link = file_error_from(
            [&] { read_listed_file_in(folder, "link.sql", "shown/link.sql", 100, content); });
        CHECK(link.problem == FileProblem::Unreadable);
        CHECK(link.path == "shown/link.sql");
        read_listed_file_in(folder, "fifo.sql", "shown/fifo.sql", 100, content); // no writer
        CHECK(content.empty());
        FileError large = file_error_from(
            [&] { read_listed_file_in(folder, "big.sql", "shown/big.sql", 99'999, content); });
        CHECK(large.problem == FileProblem::TooLarge);
        FileError missing = file_error_from(
            [&] { read_listed_file_in(folder, "gone.sql", "shown/gone.sql", 100, content); });
        CHECK(missing.problem == FileProblem::NotFound);
    }

    TEST_CASE("without_bom strips one leading BOM only") {
        CHECK(without_bom("\xEF\xBB\xBFSELECT 1;") == "SELECT 1;");
        CHECK(without_bom("\xEF\xBB\xBF\xEF\xBB\xBF") == "\xEF\xBB\xBF");
        CHECK(without_bom("x\xEF\xBB\xBF") == "x\xEF\xBB\xBF");
        CHECK(without_bom("\xEF\xBB") == "\xEF\xBB");
        CHECK(without_bom("").empty());
    }

    TEST_CASE("utf8_sequence_length accepts well-formed sequences and nothing else") {
        struct Case {
            std::string text;
            std::size_t length;
        };
        for (const Case& c : std::vector<Case>{
                 {"a", 1},
                 {std::string(1, '\0'), 1},
                 {"\xC2\x80", 2},
                 {"\xDF\xBF", 2},
                 {"\xE0\xA0\x80", 3},
                 {"\xED\x9F\xBF", 3},     // U+D7FF, just below the surrogates
                 {"\xEF\xBF\xBF", 3},     // U+FFFF
                 {"\xF0\x90\x80\x80", 4}, // U+10000
                 {"\xF4\x8F\xBF\xBF", 4}, // U+10FFFF
                 {"\x80", 0},             // a lone continuation byte
                 {"\xC0\x80", 0},         // overlong NUL
                 {"\xC1\xBF", 0},         // overlong
                 {"\xE0\x9F\xBF", 0},     // overlong 3-byte form
                 {"\xED\xA0\x80", 0},     // a surrogate
                 {"\xF0\x8F\xBF\xBF", 0}, // overlong 4-byte form
                 {"\xF4\x90\x80\x80", 0}, // past U+10FFFF
                 {"\xF5\x80\x80\x80", 0}, // never a lead byte
                 {"\xFF", 0},
                 {"\xC3", 0}, // cut short by the end
                 {"\xE2\x82", 0},
                 {"\xC3(", 0}, // not followed by a continuation byte
             }) {
            CAPTURE(c.text);
            CHECK(utf8_sequence_length(c.text, 0) == c.length);
        }
    }

    TEST_CASE("comparisons ignoring case fold ASCII letters only") {
        CHECK(starts_with_ignoring_ascii_case("SQLite_x", "sqlite_"));
        CHECK(starts_with_ignoring_ascii_case("File:app.db", "file:"));
        CHECK(starts_with_ignoring_ascii_case("file:", "FILE:"));
        CHECK_FALSE(starts_with_ignoring_ascii_case("fil", "file:"));
        CHECK_FALSE(starts_with_ignoring_ascii_case("files", "file:"));
        // "@" and "`" sit next to the letters; '_' is not a letter either.
        CHECK_FALSE(starts_with_ignoring_ascii_case("@", "`"));
        CHECK_FALSE(starts_with_ignoring_ascii_case("sqlite-", "sqlite_"));
        CHECK(starts_with_ignoring_ascii_case("anything", ""));
        CHECK(equals_ignoring_ascii_case("Main", "mAIN"));
        CHECK_FALSE(equals_ignoring_ascii_case("main", "mains"));
        CHECK_FALSE(equals_ignoring_ascii_case("mains", "main"));
    }

    TEST_CASE("find_text_problem names the first bad byte with its line and column") {
        CHECK_FALSE(find_text_problem("").has_value());
        CHECK_FALSE(find_text_problem("caf\xC3\xA9\n\xF0\x9F\x98\x80 ok\n").has_value());

        auto problem = find_text_problem("ab\ncaf\xC3\xA9 \xFF x\0");
        REQUIRE(problem.has_value());
        CHECK(problem->kind == TextProblem::Kind::InvalidUtf8);
        CHECK(problem->line == 2);
        CHECK(problem->column == 6); // characters, not bytes: é counts once
        CHECK(problem->offset == 9);
        CHECK(problem->byte == 0xFF);
        CHECK(hex_byte(problem->byte) == "0xFF");

        problem = find_text_problem(std::string("SELECT 1;\nS\0E\0", 14));
        REQUIRE(problem.has_value());
        CHECK(problem->kind == TextProblem::Kind::NulByte);
        CHECK(problem->line == 2);
        CHECK(problem->column == 2);
        CHECK(hex_byte(0x0A) == "0x0A");
    }

    TEST_CASE("find_text_problem finds a NUL or a stray byte at every offset of ASCII text") {
        // Plain ASCII is scanned eight bytes at a time: each offset of a word, and the tail.
        const std::string ascii = "SELECT 1;\nSELECT 22;\n"; // 21 bytes: two words and a tail
        CHECK_FALSE(find_text_problem(ascii).has_value());
        for (std::size_t at = 0; at < ascii.size(); ++at) {
            INFO("offset " << at);
            for (const char bad : {'\0', '\x80', '\xFF'}) {
                std::string text = ascii;
                text[at] = bad;
                const auto problem = find_text_problem(text);
                REQUIRE(problem.has_value());
                CHECK(problem->offset == at);
                CHECK(problem->kind ==
                      (bad == '\0' ? TextProblem::Kind::NulByte : TextProblem::Kind::InvalidUtf8));
                CHECK(problem->line == (at < 10 ? 1 : 2));
            }
        }
    }

    // ---- writing ----

    TEST_CASE("write_file_atomically writes, replaces, and leaves no temporary behind") {
        TempDir dir;
        const fs::path file = dir / "schema.sql";
        write_file_atomically(file, "one\n", WriteMode::Replace);
        CHECK(contents(file) == "one\n");
        write_file_atomically(file, "two\n", WriteMode::Replace);
        CHECK(contents(file) == "two\n");
        write_file_atomically(dir / "new.sql", "", WriteMode::CreateNew);
        CHECK(contents(dir / "new.sql").empty());
        CHECK(names_in(dir.path()) == std::vector<std::string>{"new.sql", "schema.sql"});
    }

    TEST_CASE("CreateNew never replaces a file or a link, and removes its temporary") {
        TempDir dir;
        write_file(dir / "taken", "someone else's");
        FileError taken = file_error_from(
            [&] { write_file_atomically(dir / "taken", "mine", WriteMode::CreateNew); });
        CHECK(taken.problem == FileProblem::Exists);
        CHECK(taken.path == (dir / "taken").string());
        CHECK(contents(dir / "taken") == "someone else's");

        fs::create_symlink(dir / "elsewhere", dir / "dangling");
        CHECK(file_error_from([&] {
                  write_file_atomically(dir / "dangling", "mine", WriteMode::CreateNew);
              }).problem == FileProblem::Exists);
        CHECK_FALSE(fs::exists(dir / "elsewhere"));
        CHECK(names_in(dir.path()) == std::vector<std::string>{"dangling", "taken"});
    }

    TEST_CASE("a link planted at the temporary's name is never followed") {
        TempDir dir;
        write_file(dir / "victim", "precious");
        const fs::path target = dir / "out.sql";
        fs::create_symlink(dir / "victim", temporary_path_for(target, 0));

        write_file_atomically(target, "new content", WriteMode::Replace);
        CHECK(contents(target) == "new content");
        CHECK(contents(dir / "victim") == "precious");
        CHECK(fs::is_symlink(temporary_path_for(target, 0)));

        // The same for a temporary that someone else (SQLite, for a backup) fills.
        TemporaryFile temporary = TemporaryFile::create_beside(target);
        CHECK(temporary.path() == temporary_path_for(target, 1));
        CHECK(contents(dir / "victim") == "precious");
    }

    TEST_CASE("temporary names never end like a migration or a backup") {
        const std::string name = temporary_path_for("/m/0001_a.up.sql", 3).string();
        CHECK(name == "/m/0001_a.up.sql." + std::to_string(::getpid()) + ".3.tmp");
    }

    TEST_CASE("a failed write removes the temporary and reports the step that failed") {
        TempDir dir;
        fs::create_directory(dir / "folder.sql"); // a folder where the file should go
        FileError rename = file_error_from(
            [&] { write_file_atomically(dir / "folder.sql", "x", WriteMode::Replace); });
        CHECK(rename.problem == FileProblem::CannotRename);
        CHECK(rename.error_number != 0);
        CHECK(names_in(dir.path()) == std::vector<std::string>{"folder.sql"});
        CHECK(fs::is_empty(dir / "folder.sql"));

        FileError create = file_error_from(
            [&] { write_file_atomically(dir / "missing/out.sql", "x", WriteMode::Replace); });
        CHECK(create.problem == FileProblem::CannotCreate);
        CHECK(create.error_number == ENOENT);
    }

    TEST_CASE("TemporaryFile removes its file unless released") {
        TempDir dir;
        const fs::path target = dir / "backup.bak";
        fs::path kept;
        {
            TemporaryFile dropped = TemporaryFile::create_beside(target);
            dropped.write("half");
            CHECK(fs::exists(dropped.path()));
        }
        CHECK(fs::is_empty(dir.path()));
        {
            TemporaryFile temporary = TemporaryFile::create_beside(target, 0600);
            temporary.write("whole");
            temporary.sync_and_close();
            publish(temporary.path(), target, WriteMode::CreateNew);
            temporary.release();
            sync_folder(folder_of(target));
        }
        CHECK(names_in(dir.path()) == std::vector<std::string>{"backup.bak"});
        CHECK(contents(target) == "whole");
        struct stat info {};
        REQUIRE(::stat(target.c_str(), &info) == 0);
        CHECK((info.st_mode & 0777) == 0600);
    }

    TEST_CASE("publish and the sync helpers report what they cannot do") {
        TempDir dir;
        write_file(dir / "a", "a");
        write_file(dir / "b", "b");
        CHECK(file_error_from([&] {
                  publish(dir / "a", dir / "b", WriteMode::CreateNew);
              }).problem == FileProblem::Exists);
        CHECK(contents(dir / "b") == "b");
        publish(dir / "a", dir / "b", WriteMode::Replace);
        CHECK(contents(dir / "b") == "a");
        CHECK_FALSE(fs::exists(dir / "a"));

        CHECK(file_error_from([&] { sync_file(dir / "nope"); }).problem == FileProblem::CannotSync);
        CHECK(file_error_from([&] { sync_folder(dir / "b"); }).problem ==
              FileProblem::CannotSyncFolder);
        CHECK(folder_of("app.db") == ".");
        CHECK(folder_of("/data/app.db") == "/data");
    }

    // ---- suggestions ----

    TEST_CASE("same_file sees through '..', links and hard links") {
        TempDir dir;
        write_file(dir / "a.db", "a");
        fs::create_directory(dir / "sub");
        fs::create_symlink(dir / "a.db", dir / "link.db");
        fs::create_hard_link(dir / "a.db", dir / "sub" / "hard.db");
        fs::create_directory_symlink(dir / "sub", dir / "alias");

        CHECK(same_file(dir / "a.db", dir / "sub" / ".." / "a.db"));
        CHECK(same_file(dir / "a.db", dir / "." / "a.db"));
        CHECK(same_file(dir / "link.db", dir / "a.db"));
        CHECK(same_file(dir / "sub" / "hard.db", dir / "a.db"));
        CHECK(same_file(dir / "alias" / "hard.db", dir / "a.db"));
        // Names that do not exist yet compare by their resolved path.
        CHECK(same_file(dir / "alias" / "new.db", dir / "sub" / "new.db"));
        CHECK(same_file(dir / "sub" / ".." / "new.db", dir / "new.db"));
        CHECK_FALSE(same_file(dir / "new.db", dir / "a.db"));
        CHECK_FALSE(same_file(dir / "a.db-journal", dir / "a.db"));

        // A relative path is taken from the current folder.
        const fs::path here = fs::current_path();
        fs::current_path(dir.path());
        const bool relative_same = same_file("a.db", dir / "a.db");
        fs::current_path(here);
        CHECK(relative_same);
    }

    TEST_CASE("is_within: the folder itself and anything below it, however it is reached") {
        TempDir dir;
        fs::create_directories(dir / "migrations" / "core");
        fs::create_directory_symlink(dir / "migrations" / "core", dir / "shortcut");
        const fs::path core = dir / "migrations" / "core";

        CHECK(is_within(core, core));
        CHECK(is_within(dir / "migrations" / "core" / "", core));
        CHECK(is_within(core / "0001_a.up.sql", core));
        CHECK(is_within(core / "deeper" / "new" / "x.sql", core));
        CHECK(is_within(dir / "shortcut" / "x.sql", core));
        CHECK(is_within(dir / "migrations" / "other" / ".." / "core" / "x.sql", core));
        CHECK_FALSE(is_within(dir / "migrations" / "x.sql", core));
        CHECK_FALSE(is_within(dir / "migrations" / "core-schema.sql", core));
        CHECK_FALSE(is_within(dir / "migrations", core));
    }

    TEST_CASE("edit_distance counts insertions, deletions and substitutions") {
        CHECK(edit_distance("", "") == 0);
        CHECK(edit_distance("abc", "") == 3);
        CHECK(edit_distance("", "abc") == 3);
        CHECK(edit_distance("databse", "database") == 1);
        CHECK(edit_distance("kitten", "sitting") == 3);
        CHECK(edit_distance("flaw", "lawn") == 2);
    }

    TEST_CASE("closest_match suggests within max(2, len/3) edits") {
        const std::vector<std::string_view> keys{"database", "busy_timeout_ms", "apps"};
        CHECK(closest_match("databse", keys) == "database");
        CHECK(closest_match("Database", keys) == "database");
        CHECK(closest_match("app", keys) == "apps");
        CHECK(closest_match("busy_timeout", keys) == "busy_timeout_ms"); // 3 <= 12/3
        CHECK(closest_match("busy_time", keys) == "");                   // 6 > 3
        CHECK(closest_match("colour", keys) == "");
        CHECK(closest_match("x", {}) == "");
        // Ties go to the earlier candidate.
        CHECK(closest_match("ab", std::vector<std::string_view>{"ax", "xb"}) == "ax");
    }

    // ---- time ----

    TEST_CASE("UTC times for file names, rounded down") {
        CHECK(utc_digits(utc(2026, 11, 21, 9, 30, 0)) == "20261121093000");
        CHECK(utc_digits(utc(2026, 11, 21, 9, 30, 0, 999)) == "20261121093000");
        CHECK(utc_digits(std::chrono::system_clock::time_point{}) == "19700101000000");
        CHECK(utc_basic_millis(utc(2026, 11, 21, 9, 30, 0, 123)) == "20261121T093000.123Z");
        CHECK(utc_basic_millis(utc(2026, 11, 21, 23, 59, 59, 999)) == "20261121T235959.999Z");
        // Before 1970 a time still falls in its own second.
        CHECK(utc_basic_millis(utc(1969, 12, 31, 23, 59, 59, 500)) == "19691231T235959.500Z");
        CHECK(utc_digits(utc(1969, 12, 31, 23, 59, 59, 500)) == "19691231235959");
    }

    TEST_CASE("durations as shown after a step") {
        CHECK(format_duration(std::chrono::microseconds(0)) == "0.0 ms");
        CHECK(format_duration(std::chrono::microseconds(1250)) == "1.2 ms");
        CHECK(format_duration(std::chrono::microseconds(999'949)) == "999.9 ms");
        CHECK(format_duration(std::chrono::microseconds(1'000'000)) == "1.00 s");
        CHECK(format_duration(std::chrono::microseconds(12'345'678)) == "12.35 s");
    }

    // ---- slugs ----

    TEST_CASE("a slug is ASCII letters, digits, '_' and '-'") {
        CHECK(is_slug("create_users"));
        CHECK(is_slug("Add-Email_v2"));
        CHECK_FALSE(is_slug(""));
        CHECK_FALSE(is_slug("caf\xC3\xA9"));
        CHECK_FALSE(is_slug("two words"));
        CHECK_FALSE(is_slug("a.b"));
        for (int c = 0; c < 256; ++c) {
            const char ch = static_cast<char>(c);
            const bool expected = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                                  (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
            CAPTURE(c);
            CHECK(is_slug_char(ch) == expected);
        }
    }

    TEST_CASE("slugify makes a slug the loader accepts") {
        struct Case {
            std::string description;
            std::string slug;
        };
        for (const Case& c : std::vector<Case>{
                 {"create users", "create_users"},
                 {"Create Users Table", "create_users_table"},
                 {"  Add E-mail (v2)!  ", "add_e_mail_v2"},
                 {"already_snake_case", "already_snake_case"},
                 {"__x__", "x"},
                 {"caf\xC3\xA9 au lait", "cafe_au_lait"},
                 {"Cr\xC3\xA8me Br\xC3\xBBl\xC3\xA9"
                  "e",
                  "creme_brulee"},
                 {"Stra\xC3\x9F"
                  "e \xC3\x86sir \xC5\x81\xC3\xB3"
                  "d\xC5\xBA",
                  "strasse_aesir_lodz"},
                 {"2\xC3\x97"
                  "3",
                  "2_3"},
                 {"\xCE\xB1\xCE\xB2 x", "x"},
                 {"bad \xC3 byte", "bad_byte"},
                 {"2fa codes", "2fa_codes"},
                 {"", ""},
                 {"!!! ---", ""},
             }) {
            CAPTURE(c.description);
            CHECK(slugify(c.description) == c.slug);
            CHECK((c.slug.empty() || is_slug(slugify(c.description))));
        }
    }

    TEST_CASE("printable escapes what a terminal would obey and nothing else") {
        CHECK(printable("create users") == "create users");
        CHECK(printable("x\x1b[2K\ry") == "x\\x1b[2K\\x0dy");
        CHECK(printable(std::string_view("a\0b", 3)) == "a\\x00b");
        CHECK(printable("bell\a del\x7f") == "bell\\x07 del\\x7f");
        // C1 controls (U+0080..U+009F, UTF-8 C2 80..C2 9F), and bytes that are not UTF-8.
        CHECK(printable("csi\xc2\x9b"
                        "2J nel\xc2\x85") == "csi\\u{9b}2J nel\\u{85}");
        CHECK(printable("lone\x9b cut\xc3") == "lone\\x9b cut\\xc3");
        // Other text stays as it is, backslashes and U+00A0 and later included.
        CHECK(printable("créer\xc2\xa0les \\x tables ✓") == "créer\xc2\xa0les \\x tables ✓");
        // Line breaks and tabs: kept in multi-line text, escaped in a one-line field.
        CHECK(printable("a\n\tb\r\n") == "a\n\tb\\x0d\n");
        CHECK(printable("a\n\tb", Layout::OneLine) == "a\\x0a\\x09b");
    }

    TEST_CASE("counted says one thing in the singular and any other number in the plural") {
        CHECK(counted(0, "migration") == "0 migrations");
        CHECK(counted(1, "migration") == "1 migration");
        CHECK(counted(2, "migration") == "2 migrations");
        CHECK(counted(1, "entry", "entries") == "1 entry");
        CHECK(counted(3, "entry", "entries") == "3 entries");
    }
}
