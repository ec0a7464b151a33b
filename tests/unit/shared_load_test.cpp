// SPDX-License-Identifier: MIT
// SharedLoad: the migrations a command loads, read by two threads at once, with the errors a
// load of the apps one after another would give.
#include "strata/api/run_support.hpp"
#include "strata/api/shared_load.hpp"
#include "strata/error.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

using strata::Error;
using strata::MemorySource;
using strata::MigrationSet;
using strata::SourceEntry;
using strata::SourceFile;
using strata::detail::SharedLoad;

namespace {

std::string stem(int i) {
    std::string id = std::to_string(i);
    return std::string(4 - std::min<std::size_t>(4, id.size()), '0') + id + "_step";
}

// `count` migrations; `broken` ones have a NUL byte in their up file.
std::vector<SourceFile> migrations(int count, std::set<int> broken = {}) {
    std::vector<SourceFile> files;
    for (int i = 1; i <= count; ++i) {
        const std::string up = broken.count(i) ? std::string("SELECT 1;\0", 10) : "SELECT 1;\n";
        files.push_back({stem(i) + ".up.sql", up});
        files.push_back({stem(i) + ".down.sql", "SELECT 2;\n"});
    }
    return files;
}

strata::Project project_of(const std::vector<std::string>& apps) {
    strata::Project project;
    for (const std::string& app : apps)
        project.apps.push_back(strata::AppConfig{app, "/nowhere/" + app, {}, {}});
    return project;
}

std::vector<const strata::AppConfig*> all_apps(const strata::Project& project) {
    std::vector<const strata::AppConfig*> apps;
    for (const strata::AppConfig& app : project.apps)
        apps.push_back(&app);
    return apps;
}

// Loads on two threads, as start_run does, and gives the result (or throws its error).
std::vector<MigrationSet> load_on_two_threads(const strata::Context& context,
                                              const std::vector<const strata::AppConfig*>& apps) {
    const strata::detail::SourceWrapper no_wrap;
    SharedLoad load(context, apps, no_wrap);
    std::thread helper([&load] { load.work(); });
    load.work();
    helper.join();
    return load.result();
}

// Holds every reader of an up file until two different threads are reading: a load that never
// reads on two threads at once times out here and says so.
class MeetingSource : public MemorySource {
  public:
    using MemorySource::MemorySource;
    std::string_view read(const SourceEntry& file, std::string& buffer) const override {
        {
            std::unique_lock<std::mutex> lock(m_mutex);
            ++m_reads[file.name];
            m_threads.insert(std::this_thread::get_id());
            if (m_threads.size() >= 2)
                m_met.notify_all();
            else if (!m_met.wait_for(lock, std::chrono::seconds(20),
                                     [this] { return m_threads.size() >= 2; }))
                m_timed_out = true;
        }
        return MemorySource::read(file, buffer);
    }
    bool reads_concurrently() const override { return true; }

    mutable std::mutex m_mutex;
    mutable std::condition_variable m_met;
    mutable std::set<std::thread::id> m_threads;
    mutable std::map<std::string, int> m_reads;
    mutable bool m_timed_out = false;
};

// Counts how many readers are inside read() at once.
class OneAtATimeSource : public MemorySource {
  public:
    using MemorySource::MemorySource;
    std::string_view read(const SourceEntry& file, std::string& buffer) const override {
        const int inside = ++m_inside;
        int seen = m_most.load();
        while (inside > seen && !m_most.compare_exchange_weak(seen, inside)) {
        }
        for (int i = 0; i < 200; ++i) // a window for another reader to come in, if it may
            std::this_thread::yield();
        --m_inside;
        return MemorySource::read(file, buffer);
    }
    bool reads_concurrently() const override { return false; }

    mutable std::atomic<int> m_inside{0};
    mutable std::atomic<int> m_most{0};
};

// Records which threads read an up file. The first read waits (half a second at most) for
// another thread to read too, so that a second loader, if there is one, is seen.
class ThreadsSeenSource : public MemorySource {
  public:
    using MemorySource::MemorySource;
    std::string_view read(const SourceEntry& file, std::string& buffer) const override {
        {
            std::unique_lock<std::mutex> lock(m_mutex);
            m_threads.insert(std::this_thread::get_id());
            if (m_threads.size() >= 2)
                m_other.notify_all();
            else if (!m_waited) {
                m_waited = true;
                m_other.wait_for(lock, std::chrono::milliseconds(500),
                                 [this] { return m_threads.size() >= 2; });
            }
        }
        return MemorySource::read(file, buffer);
    }
    bool reads_concurrently() const override { return true; }

    mutable std::mutex m_mutex;
    mutable std::condition_variable m_other;
    mutable std::set<std::thread::id> m_threads;
    mutable bool m_waited = false;
};

std::string message_of(const strata::Context& context,
                       const std::vector<const strata::AppConfig*>& apps) {
    try {
        load_on_two_threads(context, apps);
    } catch (const Error& error) {
        return error.where().path + ": " + error.message();
    }
    return "no error";
}

} // namespace

TEST_SUITE("shared_load") {
    TEST_CASE("two threads read at once, and every file is read once") {
        const strata::Project project = project_of({"core"});
        strata::Context context{project};
        auto source = std::make_shared<MeetingSource>("a/", migrations(200));
        context.sources["core"] = source;
        const std::vector<MigrationSet> sets = load_on_two_threads(context, all_apps(project));
        CHECK_FALSE(source->m_timed_out);
        CHECK(source->m_threads.size() == 2);
        REQUIRE(sets.size() == 1);
        REQUIRE(sets[0].migrations.size() == 200);
        for (std::size_t i = 0; i < 200; ++i)
            CHECK(sets[0].migrations[i].name == stem(static_cast<int>(i) + 1));
        for (const auto& [name, reads] : source->m_reads)
            CHECK_MESSAGE(reads == 1, name);
        CHECK(source->m_reads.size() == 200); // the up files; down files wait until needed
    }

    TEST_CASE("a source that cannot be read concurrently is read on one thread at a time") {
        const strata::Project project = project_of({"core", "extra"});
        strata::Context context{project};
        auto core = std::make_shared<OneAtATimeSource>("a/", migrations(300));
        auto extra = std::make_shared<MemorySource>("a/", migrations(300));
        context.sources["core"] = core;
        context.sources["extra"] = extra;
        const std::vector<MigrationSet> sets = load_on_two_threads(context, all_apps(project));
        REQUIRE(sets.size() == 2);
        CHECK(sets[0].migrations.size() == 300);
        CHECK(sets[1].migrations.size() == 300);
        CHECK(core->m_most.load() == 1);
    }

    TEST_CASE("the error is the one a load of the apps in turn meets first") {
        const strata::Project project = project_of({"a", "b"});
        for (int round = 0; round < 20; ++round) {
            strata::Context context{project};
            // Two broken files in the first app, a badly named file in the second.
            context.sources["a"] = std::make_shared<MemorySource>("a/", migrations(400, {37, 250}));
            std::vector<SourceFile> b = migrations(10);
            b.push_back({"notes.up.sql", "SELECT 1;\n"});
            context.sources["b"] = std::make_shared<MemorySource>("b/", std::move(b));
            const std::string message = message_of(context, all_apps(project));
            REQUIRE_MESSAGE(message.starts_with("a/0037_step.up.sql: file contains a NUL byte"),
                            message);
        }
        // With the first app sound, the second app's listing is the first error.
        strata::Context context{project};
        context.sources["a"] = std::make_shared<MemorySource>("a/", migrations(400));
        std::vector<SourceFile> b = migrations(10, {3});
        b.push_back({"notes.up.sql", "SELECT 1;\n"});
        context.sources["b"] = std::make_shared<MemorySource>("b/", std::move(b));
        CHECK(message_of(context, all_apps(project)).starts_with("b/notes.up.sql: invalid"));
    }

    TEST_CASE("an app's C++ migrations are added before a later app's errors count") {
        const strata::Project project = project_of({"a", "b"});
        strata::Context context{project};
        context.sources["a"] = std::make_shared<MemorySource>("a/", migrations(50));
        context.sources["b"] = std::make_shared<MemorySource>("b/", migrations(50, {1}));
        // Its id is one of the files' ids: adding it to "a" fails, before "b" is looked at.
        context.code_migrations["a"] = {
            strata::CodeMigration{strata::MigrationId("0007"), "0007_code", "1", [](sqlite3*) {}}};
        CHECK(message_of(context, all_apps(project))
                  .starts_with("cpp:a/0007_code: migration id 0007 of the C++ migration"));
        // Without the clash, "a" loads with its C++ migration and "b" fails.
        context.code_migrations["a"][0] =
            strata::CodeMigration{strata::MigrationId("0070"), "0070_code", "1", [](sqlite3*) {}};
        CHECK(message_of(context, all_apps(project)).starts_with("b/0001_step.up.sql: file"));
        context.sources["b"] = std::make_shared<MemorySource>("b/", migrations(50));
        const std::vector<MigrationSet> sets = load_on_two_threads(context, all_apps(project));
        REQUIRE(sets.size() == 2);
        CHECK(sets[0].migrations.size() == 51);
        CHECK(sets[0].migrations.back().name == "0070_code");
    }

    TEST_CASE("start_run loads on the calling thread when there is no database yet, else on two") {
        const strata::test::TempDir dir;
        strata::Project project = project_of({"core"});
        project.database = dir.path() / "app.db";
        strata::Context context{project};

        auto alone = std::make_shared<ThreadsSeenSource>("a/", migrations(200));
        context.sources["core"] = alone;
        const strata::detail::RunStart fresh =
            strata::detail::start_run(context, all_apps(project), strata::OpenMode::ReadOnly);
        CHECK(fresh.connection == nullptr);
        REQUIRE(fresh.sets.size() == 1);
        CHECK(fresh.sets[0].migrations.size() == 200);
        CHECK(alone->m_threads == std::set<std::thread::id>{std::this_thread::get_id()});

        // With a database to open, the files load beside it, on two threads.
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open(project.database.c_str(), &db) == SQLITE_OK);
        REQUIRE(sqlite3_exec(db, "CREATE TABLE t (x)", nullptr, nullptr, nullptr) == SQLITE_OK);
        sqlite3_close(db);
        auto meeting = std::make_shared<MeetingSource>("a/", migrations(200));
        context.sources["core"] = meeting;
        const strata::detail::RunStart existing =
            strata::detail::start_run(context, all_apps(project), strata::OpenMode::ReadOnly);
        CHECK(existing.connection != nullptr);
        REQUIRE(existing.sets.size() == 1);
        CHECK(existing.sets[0].migrations.size() == 200);
        CHECK_FALSE(meeting->m_timed_out);
        CHECK(meeting->m_threads.size() == 2);
    }
}
