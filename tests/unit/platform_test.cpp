// SPDX-License-Identifier: MIT
// util/platform: the operating-system calls every other file goes through. These tests pin
// what a port must keep: error codes by std::errc, links never followed where asked, locks per
// open file, and signal dispositions.
#include "support/temp_dir.hpp"
#include "util/platform.hpp"

#include <doctest/doctest.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <map>
#include <optional>
#include <string>
#include <vector>

using namespace strata::util;
using strata::test::TempDir;
using strata::test::write_file;
namespace fs = std::filesystem;

namespace {

std::string read_all(const fs::path& path) {
    std::error_code error;
    const FileDescriptor fd = open_file(path, {}, error);
    REQUIRE_FALSE(error);
    std::string content;
    char buffer[4];
    for (;;) {
        const std::size_t got = read_some(fd, buffer, sizeof buffer, error);
        REQUIRE_FALSE(error);
        if (got == 0)
            return content;
        content.append(buffer, got);
    }
}

volatile std::sig_atomic_t g_caught = 0;

void catch_signal(int signal) {
    g_caught = signal;
}

// Whether `signal`'s disposition is `handler` now (looked at without changing it).
bool disposition_is(int signal, void (*handler)(int)) {
    struct sigaction current {};
    sigaction(signal, nullptr, &current);
    return current.sa_handler == handler;
}

// Puts back the dispositions a test changes (doctest installs handlers of its own).
class SavedSignals {
  public:
    SavedSignals() {
        for (std::size_t i = 0; i < k_count; ++i)
            sigaction(k_signals[i], nullptr, &m_saved[i]);
    }
    ~SavedSignals() {
        for (std::size_t i = 0; i < k_count; ++i)
            sigaction(k_signals[i], &m_saved[i], nullptr);
    }
    SavedSignals(const SavedSignals&) = delete;
    SavedSignals& operator=(const SavedSignals&) = delete;

  private:
    static constexpr std::size_t k_count = 4;
    static constexpr int k_signals[k_count] = {SIGINT, SIGTERM, SIGPIPE, SIGXFSZ};
    struct sigaction m_saved[k_count] {};
};

} // namespace

TEST_SUITE("platform") {
    TEST_CASE("open_file creates a new file only, never through a link, with its permissions") {
        TempDir dir;
        const OpenOptions create{.write = true, .create_new = true, .permissions = 0600};
        std::error_code error;
        {
            const FileDescriptor fd = open_file(dir / "new", create, error);
            REQUIRE(fd.valid());
            CHECK_FALSE(error);
            CHECK_FALSE(write_all(fd, "hello, world"));
            CHECK_FALSE(sync(fd));
        }
        CHECK(read_all(dir / "new") == "hello, world");
        const auto status = file_status(dir / "new", Links::Follow, error);
        REQUIRE(status);
        CHECK(status->permissions == 0600);
        CHECK(status->size == 12);

        FileDescriptor again = open_file(dir / "new", create, error);
        CHECK_FALSE(again.valid());
        CHECK(error == std::errc::file_exists);

        // A link at the name, even one to nothing, is a taken name: nothing is created there.
        fs::create_symlink(dir / "elsewhere", dir / "planted");
        again = open_file(dir / "planted", create, error);
        CHECK(error == std::errc::file_exists);
        CHECK_FALSE(fs::exists(dir / "elsewhere"));
    }

    TEST_CASE("open_file: links refused when asked, folders only when asked, FIFOs without "
              "waiting") {
        TempDir dir;
        write_file(dir / "file", "x");
        fs::create_symlink(dir / "file", dir / "link");
        std::error_code error;
        CHECK(open_file(dir / "link", {}, error).valid());
        CHECK_FALSE(open_file(dir / "link", {.follow_links = false}, error).valid());
        CHECK(error == std::errc::too_many_symbolic_link_levels);

        CHECK(open_file(dir.path(), {.folder = true}, error).valid());
        CHECK_FALSE(open_file(dir / "file", {.folder = true}, error).valid());
        CHECK(error == std::errc::not_a_directory);

        CHECK_FALSE(open_file(dir / "missing", {}, error).valid());
        CHECK(error == std::errc::no_such_file_or_directory);

        // Without non_blocking this open would wait for a writer that never comes.
        REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
        CHECK(open_file(dir / "fifo", {.non_blocking = true}, error).valid());
        CHECK_FALSE(error);
    }

    TEST_CASE("file_status: kinds, sizes, identity through hard links, links looked at or "
              "through") {
        TempDir dir;
        write_file(dir / "file", "12345");
        fs::create_hard_link(dir / "file", dir / "hard");
        write_file(dir / "other", "12345");
        fs::create_symlink(dir / "file", dir / "link");
        std::error_code error;

        const auto file = file_status(dir / "file", Links::Follow, error);
        REQUIRE(file);
        CHECK(file->kind == FileKind::Regular);
        CHECK(file->size == 5);
        CHECK(file->owner == current_user_id());
        CHECK(file_status(dir / "hard", Links::Follow, error)->identity == file->identity);
        CHECK(file_status(dir / "link", Links::Follow, error)->identity == file->identity);
        CHECK_FALSE(file_status(dir / "other", Links::Follow, error)->identity == file->identity);
        // The link itself is another file, of no kind the reader or writer accepts.
        const auto link = file_status(dir / "link", Links::DoNotFollow, error);
        REQUIRE(link);
        CHECK(link->kind == FileKind::Other);
        CHECK_FALSE(link->identity == file->identity);

        CHECK(file_status(dir.path(), Links::Follow, error)->kind == FileKind::Directory);
        REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
        CHECK(file_status(dir / "fifo", Links::Follow, error)->kind == FileKind::Fifo);
        CHECK(file_status("/dev/null", Links::Follow, error)->kind == FileKind::CharacterDevice);

        const FileDescriptor fd = open_file(dir / "hard", {}, error);
        const auto opened = file_status(fd, error);
        REQUIRE(opened);
        CHECK(opened->identity == file->identity);

        CHECK_FALSE(file_status(dir / "missing", Links::Follow, error));
        CHECK(error == std::errc::no_such_file_or_directory);
        CHECK_FALSE(file_status(dir / "file" / "below", Links::Follow, error));
        CHECK(error == std::errc::not_a_directory);
    }

    TEST_CASE("list_folder: every entry but . and .., with the kind the listing gives") {
        TempDir dir;
        write_file(dir / "a.sql", "x");
        fs::create_directory(dir / "sub");
        REQUIRE(::mkfifo((dir / "pipe").c_str(), 0600) == 0);
        fs::create_symlink(dir / "a.sql", dir / "link");
        std::error_code error;
        const auto entries = list_folder(dir.path(), error);
        REQUIRE(entries.has_value());
        CHECK_FALSE(error);
        std::map<std::string, std::optional<FileKind>> kinds;
        for (const FolderEntry& entry : *entries)
            kinds[entry.name] = entry.kind;
        CHECK(kinds.size() == 4);
        // tmpfs and ext4 give d_type; a link is never reported as its target's kind.
        CHECK(kinds["a.sql"] == FileKind::Regular);
        CHECK(kinds["sub"] == FileKind::Directory);
        CHECK(kinds["pipe"] == FileKind::Fifo);
        CHECK_FALSE(kinds["link"].has_value());

        CHECK_FALSE(list_folder(dir / "missing", error).has_value());
        CHECK(error == std::errc::no_such_file_or_directory);
        CHECK_FALSE(list_folder(dir / "a.sql", error).has_value());
        CHECK(error == std::errc::not_a_directory);
    }

    TEST_CASE(
        "list_folder of an open folder lists it afresh each time; open_file_in opens an entry") {
        TempDir dir;
        write_file(dir / "a.sql", "A");
        write_file(dir / "b.sql", "B");
        std::error_code error;
        const FileDescriptor folder = open_file(dir.path(), {.folder = true}, error);
        REQUIRE(folder.valid());
        for (int round = 0; round < 2; ++round) { // the second listing starts at the start too
            const auto entries = list_folder(folder, error);
            REQUIRE(entries.has_value());
            std::vector<std::string> names;
            for (const FolderEntry& entry : *entries)
                names.push_back(entry.name);
            std::sort(names.begin(), names.end());
            CHECK(names == std::vector<std::string>{"a.sql", "b.sql"});
        }
        // The folder's handle names the same folder after the path leads elsewhere.
        fs::rename(dir / "a.sql", dir / "c.sql");
        const FileDescriptor c = open_file_in(folder, "c.sql", {}, error);
        REQUIRE(c.valid());
        char byte = 0;
        CHECK(read_some(c, &byte, 1, error) == 1);
        CHECK(byte == 'A');
        CHECK_FALSE(open_file_in(folder, "a.sql", {}, error).valid());
        CHECK(error == std::errc::no_such_file_or_directory);
    }

    TEST_CASE("rename_without_replacing never replaces; rename_file does") {
        TempDir dir;
        write_file(dir / "a", "A");
        write_file(dir / "b", "B");
        CHECK(rename_without_replacing(dir / "a", dir / "b") == std::errc::file_exists);
        CHECK(read_all(dir / "a") == "A");
        CHECK(read_all(dir / "b") == "B");

        fs::create_symlink(dir / "nowhere", dir / "dangling");
        CHECK(rename_without_replacing(dir / "a", dir / "dangling") == std::errc::file_exists);
        CHECK(fs::is_symlink(dir / "dangling"));

        CHECK_FALSE(rename_without_replacing(dir / "a", dir / "c"));
        CHECK_FALSE(fs::exists(dir / "a"));
        CHECK(read_all(dir / "c") == "A");

        CHECK_FALSE(rename_file(dir / "c", dir / "b"));
        CHECK(read_all(dir / "b") == "A");
        CHECK(rename_file(dir / "c", dir / "d") == std::errc::no_such_file_or_directory);
    }

    TEST_CASE("remove_file removes a name: a link and not its file, never a folder") {
        TempDir dir;
        write_file(dir / "file", "x");
        fs::create_symlink(dir / "file", dir / "link");
        CHECK_FALSE(remove_file(dir / "link"));
        CHECK_FALSE(fs::is_symlink(dir / "link"));
        CHECK(fs::exists(dir / "file"));

        fs::create_directory(dir / "folder");
        const std::error_code folder = remove_file(dir / "folder");
        CHECK(
            (folder == std::errc::is_a_directory || folder == std::errc::operation_not_permitted));
        CHECK(fs::is_directory(dir / "folder"));

        CHECK_FALSE(remove_file(dir / "file"));
        CHECK(remove_file(dir / "file") == std::errc::no_such_file_or_directory);
    }

    TEST_CASE("sync_folder_entries syncs a folder and reports one that is not there") {
        TempDir dir;
        CHECK_FALSE(sync_folder_entries(dir.path()));
        CHECK(sync_folder_entries(dir / "missing") == std::errc::no_such_file_or_directory);
    }

    TEST_CASE("try_lock: locks belong to the open file; shared ones share, exclusive ones wait "
              "for nobody") {
        TempDir dir;
        write_file(dir / "file", "x");
        std::error_code error;
        FileDescriptor first = open_file(dir / "file", {}, error);
        FileDescriptor second = open_file(dir / "file", {}, error);
        REQUIRE(first.valid());
        REQUIRE(second.valid());

        REQUIRE(try_lock(first, LockKind::Shared) == LockResult::Locked);
        CHECK(try_lock(second, LockKind::Shared) == LockResult::Locked);
        FileDescriptor third = open_file(dir / "file", {}, error);
        CHECK(try_lock(third, LockKind::Exclusive) == LockResult::HeldElsewhere);

        first.reset();
        second.reset();
        CHECK(try_lock(third, LockKind::Exclusive) == LockResult::Locked);
        FileDescriptor fourth = open_file(dir / "file", {}, error);
        CHECK(try_lock(fourth, LockKind::Shared) == LockResult::HeldElsewhere);
    }

    TEST_CASE("has_access, volume_status and the current user") {
        TempDir dir;
        write_file(dir / "file", "x");
        CHECK(has_access(dir / "file", {.read = true, .write = true}));
        CHECK(has_access(dir.path(), {.write = true, .search = true}));
        CHECK_FALSE(has_access(dir / "missing", {}));
        fs::permissions(dir / "file", fs::perms::none);
        // Root passes every permission check, so the refusal shows only for other users.
        if (current_user_id() != 0)
            CHECK_FALSE(has_access(dir / "file", {.read = true}));
        CHECK(has_access(dir / "file", {}));

        std::error_code error;
        const auto volume = volume_status(dir.path(), error);
        REQUIRE(volume);
        CHECK_FALSE(volume->read_only);
        CHECK(volume->available_bytes > 0);
        CHECK_FALSE(volume_status(dir / "missing", error));
        CHECK(error == std::errc::no_such_file_or_directory);

        CHECK(current_user_id() == static_cast<std::uint64_t>(::geteuid()));
        CHECK(user_name(0) == "root");
        CHECK(user_name(4'000'000'000) == "uid 4000000000");
        CHECK(process_id() == static_cast<std::uint64_t>(::getpid()));
    }

    TEST_CASE("file_status: permission bits and owner, as the executor describes a file it "
              "may not write") {
        TempDir dir;
        write_file(dir / "file", "x");
        fs::create_directory(dir / "folder");
        fs::permissions(dir / "file", fs::perms::owner_read | fs::perms::group_read);
        fs::permissions(dir / "folder", fs::perms::owner_read | fs::perms::owner_write);
        std::error_code error;
        const auto file = file_status(dir / "file", Links::Follow, error);
        REQUIRE(file);
        CHECK(file->permissions == 0440);
        CHECK(file->owner == current_user_id());
        CHECK(file_status(dir / "folder", Links::Follow, error)->permissions == 0600);
        // A folder without search permission: names cannot be created in it.
        if (current_user_id() != 0) {
            CHECK_FALSE(has_access(dir / "file", {.write = true}));
            CHECK(has_access(dir / "folder", {.write = true}));
            CHECK_FALSE(has_access(dir / "folder", {.write = true, .search = true}));
        }
        fs::permissions(dir / "folder", fs::perms::owner_all);
    }

    TEST_CASE("utc_calendar_time breaks a time down in UTC, before 1970 too") {
        const std::tm epoch = utc_calendar_time(0);
        CHECK(epoch.tm_year == 70);
        CHECK(epoch.tm_mon == 0);
        CHECK(epoch.tm_mday == 1);
        CHECK(epoch.tm_hour == 0);
        const std::tm before = utc_calendar_time(-1);
        CHECK(before.tm_year == 69);
        CHECK(before.tm_mon == 11);
        CHECK(before.tm_mday == 31);
        CHECK(before.tm_hour == 23);
        CHECK(before.tm_min == 59);
        CHECK(before.tm_sec == 59);
    }

    TEST_CASE("a stream that is not a terminal has no width") {
        for (StandardStream stream :
             {StandardStream::Input, StandardStream::Output, StandardStream::Error})
            if (!is_terminal(stream))
                CHECK(terminal_columns(stream) == 0);
        // /dev/null is never a terminal: point standard input at it for a moment.
        const int saved = ::dup(STDIN_FILENO);
        std::error_code error;
        FileDescriptor null = open_file("/dev/null", {}, error);
        REQUIRE(::dup2(null.get(), STDIN_FILENO) == STDIN_FILENO);
        const bool terminal = is_terminal(StandardStream::Input);
        const std::size_t columns = terminal_columns(StandardStream::Input);
        ::dup2(saved, STDIN_FILENO);
        ::close(saved);
        CHECK_FALSE(terminal);
        CHECK(columns == 0);
    }

    TEST_CASE("on_interrupt_signals calls the handler once, then restores the default") {
        SavedSignals saved;
        g_caught = 0;
        on_interrupt_signals(&catch_signal);
        CHECK(disposition_is(SIGINT, &catch_signal));
        REQUIRE(disposition_is(SIGTERM, &catch_signal));
        std::raise(SIGTERM);
        CHECK(g_caught == SIGTERM);
        CHECK(disposition_is(SIGTERM, SIG_DFL));
        CHECK(disposition_is(SIGINT, &catch_signal));
    }

    TEST_CASE("ignore_write_failure_signals: a closed pipe or a size limit is an error") {
        SavedSignals saved;
        ignore_write_failure_signals();
        CHECK(disposition_is(SIGPIPE, SIG_IGN));
        CHECK(disposition_is(SIGXFSZ, SIG_IGN));
        int ends[2];
        REQUIRE(::pipe(ends) == 0);
        FileDescriptor reader(ends[0]);
        const FileDescriptor writer(ends[1]);
        reader.reset();
        CHECK(write_all(writer, "x") == std::errc::broken_pipe);
    }

    TEST_CASE("SideThread runs its work once; join waits for it, and so does the destructor") {
        std::atomic<int> runs{0};
        {
            SideThread thread([&] { ++runs; });
            thread.join();
            CHECK(runs == 1);
            thread.join(); // a second join returns at once
        }
        {
            const SideThread thread([&] { ++runs; });
        }
        CHECK(runs == 2);
    }

    TEST_CASE("SideThread starts on another CPU than its caller's, then may use all of the "
              "caller's") {
        cpu_set_t callers{};
        REQUIRE(::sched_getaffinity(0, sizeof callers, &callers) == 0);
        cpu_set_t seen{};
        SideThread thread([&] { ::sched_getaffinity(0, sizeof seen, &seen); });
        thread.join();
        CHECK(CPU_EQUAL(&seen, &callers));
        // One CPU to choose from: a plain thread, on the caller's.
        CHECK(thread.started_elsewhere() == (CPU_COUNT(&callers) > 1));
    }
}
