// SPDX-License-Identifier: MIT
// Out-of-memory sweep. SQLite's allocator is wrapped (SQLITE_CONFIG_MALLOC,
// before sqlite3_initialize) so that allocation number n fails: only the n-th ("transient"), or
// the n-th and every later one ("persistent"). For every n from 1 until a run completes without
// reaching n, the program runs forwards on a 3-migration fixture and then backwards, through
// the library (ForwardsMigrationManager / BackwardsMigrationManager on a Project built in
// code), and checks after each command:
//   - the outcome is success or a strata::Error of kind Database or MigrationFailed (nothing
//     else escapes, nothing crashes);
//   - the database is CONSISTENT: integrity_check ok, foreign_key_check empty, the state table
//     holds exactly migrations 1..k with their checksums, and the schema and data equal those
//     of a fresh database to which plain SQLite applied up files 1..k (the oracle's rule);
//   - a command that succeeded reached its target (3 forwards, 0 backwards);
//   - once every connection is closed, SQLite holds no more allocations than before (a leak
//     of a statement or a connection shows here, under any build; run under LeakSanitizer too);
//   - after a fault, the next run without it reaches its target: backwards, when a transient
//     fault failed forwards; otherwise forwards once more (a fault never blocks the next run).
//
//   test_out_of_memory [--mode transient|persistent|both] [--only N] [--start N] [--stride S]
//                      [--work DIR] [--samples DIR] [--sample-every K] [--verbose]
// --only N checks one index (to reproduce a failure); --start N --stride S checks N, N+S, ...
// (two processes with --start 1 and 2, --stride 2 share a sweep);
// --samples DIR keeps the project (DIR/project) and, for the first and every K-th index swept
// and every failure, the database after backwards (DIR/<mode>-<n>/app.db, with the k found in
// expected_k), so that oracle.py can check them too.
// Ends with "N passed, N failed"; exits 1 on any failure.
#include "strata/api/managers.hpp"
#include "strata/error.hpp"
#include "strata/loader/loader.hpp"
#include "strata/project/project.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

namespace fs = std::filesystem;

namespace {

// --- the failing allocator ----------------------------------------------------------------------

enum class FaultMode { Transient, Persistent };

// Counts SQLite's allocations (xMalloc and xRealloc) and fails the chosen ones. Single-threaded:
// strata runs on the calling thread.
struct FaultAllocator {
    sqlite3_mem_methods real{};
    bool counting = false;
    long seen = 0;    // allocations counted since arm()
    long fail_at = 0; // 0: none fails
    FaultMode mode = FaultMode::Transient;
    long failed = 0;      // allocations refused since arm()
    long outstanding = 0; // live allocations, for the leak check

    void arm(long n, FaultMode how) {
        seen = 0;
        failed = 0;
        fail_at = n;
        mode = how;
        counting = true;
    }
    void pause() { counting = false; }
    void resume() { counting = true; }
    void disarm() {
        counting = false;
        fail_at = 0;
    }

    bool should_fail() {
        if (!counting)
            return false;
        ++seen;
        if (fail_at == 0)
            return false;
        if (seen == fail_at || (mode == FaultMode::Persistent && seen > fail_at)) {
            ++failed;
            return true;
        }
        return false;
    }
};

FaultAllocator g_allocator;

void* fault_malloc(int size) {
    if (g_allocator.should_fail())
        return nullptr;
    void* block = g_allocator.real.xMalloc(size);
    if (block != nullptr)
        ++g_allocator.outstanding;
    return block;
}

void fault_free(void* block) {
    if (block != nullptr)
        --g_allocator.outstanding;
    g_allocator.real.xFree(block);
}

// SQLite never reallocates a null pointer, so a realloc neither adds nor removes a live block.
void* fault_realloc(void* block, int size) {
    if (g_allocator.should_fail())
        return nullptr;
    return g_allocator.real.xRealloc(block, size);
}

int fault_size(void* block) {
    return g_allocator.real.xSize(block);
}
int fault_roundup(int size) {
    return g_allocator.real.xRoundup(size);
}
int fault_init(void*) {
    return g_allocator.real.xInit(g_allocator.real.pAppData);
}
void fault_shutdown(void*) {
    g_allocator.real.xShutdown(g_allocator.real.pAppData);
}

void install_allocator() {
    if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &g_allocator.real) != SQLITE_OK)
        throw std::runtime_error("SQLITE_CONFIG_GETMALLOC failed");
    sqlite3_mem_methods wrapped{fault_malloc,  fault_free, fault_realloc,  fault_size,
                                fault_roundup, fault_init, fault_shutdown, nullptr};
    if (sqlite3_config(SQLITE_CONFIG_MALLOC, &wrapped) != SQLITE_OK)
        throw std::runtime_error("SQLITE_CONFIG_MALLOC failed (SQLite already initialised?)");
    if (sqlite3_initialize() != SQLITE_OK)
        throw std::runtime_error("sqlite3_initialize failed");
}

// --- the fixture --------------------------------------------------------------------------------

struct FixtureMigration {
    const char* stem;
    const char* up;
    const char* down;
};

// Three migrations: a table with rows and an index; a table with a foreign key, a trigger and a
// backfill; a rebuild of the referenced table (with foreign keys deferred) and a view.
const FixtureMigration k_fixture[] = {
    {"0001_create_items",
     "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER NOT NULL);\n"
     "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40)\n"
     "INSERT INTO items (name, qty) SELECT 'item ' || i, i * 7 % 11 FROM n;\n"
     "CREATE INDEX items_name ON items (name);\n",
     "DROP TABLE items;\n"},
    {"0002_add_orders",
     "CREATE TABLE orders (\n"
     "    id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
     "    item_id INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,\n"
     "    amount INTEGER NOT NULL\n"
     ");\n"
     "CREATE TRIGGER orders_positive BEFORE INSERT ON orders WHEN NEW.amount < 0\n"
     "BEGIN SELECT RAISE(ABORT, 'negative amount'); END;\n"
     "INSERT INTO orders (item_id, amount) SELECT id, qty * 3 FROM items WHERE id % 3 = 0;\n",
     "DROP TABLE orders;\n"},
    {"0003_rebuild_items",
     "CREATE TABLE items_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER NOT NULL,\n"
     "    note TEXT NOT NULL DEFAULT '');\n"
     "INSERT INTO items_new (id, name, qty) SELECT id, name, qty FROM items;\n"
     "DROP TABLE items;\n"
     "ALTER TABLE items_new RENAME TO items;\n"
     "CREATE INDEX items_name ON items (name);\n"
     "CREATE VIEW item_totals AS SELECT i.name, sum(o.amount) AS total\n"
     "    FROM items AS i JOIN orders AS o ON o.item_id = i.id GROUP BY i.id;\n",
     "DROP VIEW item_totals;\n"
     "CREATE TEMP TABLE saved AS SELECT id, name, qty FROM items;\n"
     "DROP TABLE items;\n"
     "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER NOT NULL);\n"
     "INSERT INTO items (id, name, qty) SELECT id, name, qty FROM saved;\n"
     "DROP TABLE saved;\n"
     "CREATE INDEX items_name ON items (name);\n"},
};
constexpr std::size_t k_count = std::size(k_fixture);

void write_text(const fs::path& path, std::string_view text) {
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out)
        throw std::runtime_error("cannot write " + path.string());
}

// Writes strata.toml (for oracle.py and for people reproducing by hand) and the migration files.
void write_fixture(const fs::path& root) {
    write_text(root / "strata.toml", "database = \"app.db\"\n\n[[apps]]\nname = \"core\"\n"
                                     "migrations = \"migrations/core\"\n");
    for (const FixtureMigration& m : k_fixture) {
        write_text(root / "migrations" / "core" / (std::string(m.stem) + ".up.sql"), m.up);
        write_text(root / "migrations" / "core" / (std::string(m.stem) + ".down.sql"), m.down);
    }
}

// The project, built in code as an application embedding strata would.
strata::Project make_project(const fs::path& root) {
    strata::Project project;
    project.file = root / "strata.toml";
    project.database = root / "app.db";
    project.busy_timeout_ms = 1000;
    strata::AppConfig app;
    app.name = "core";
    app.migrations_dir = root / "migrations" / "core";
    app.where = strata::SourceLocation{project.file.string(), 3, 1};
    project.apps.push_back(app);
    return project;
}

// --- the consistency check ----------------------------------------------------------------------

// A connection for checking, closed on scope exit.
class Handle {
  public:
    Handle(const std::string& path, int flags) {
        if (sqlite3_open_v2(path.c_str(), &m_db, flags, nullptr) != SQLITE_OK) {
            const std::string message = m_db ? sqlite3_errmsg(m_db) : "out of memory";
            sqlite3_close(m_db);
            throw std::runtime_error("cannot open " + path + ": " + message);
        }
    }
    ~Handle() { sqlite3_close(m_db); }
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;

    void exec(const std::string& sql) {
        char* error = nullptr;
        if (sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
            const std::string message = error ? error : "?";
            sqlite3_free(error);
            throw std::runtime_error(message + " in: " + sql);
        }
    }
    // Every row of `sql`, each row's columns joined with '|' (NULL shown as "NULL").
    std::vector<std::string> rows(const std::string& sql) {
        sqlite3_stmt* statement = nullptr;
        if (sqlite3_prepare_v2(m_db, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK)
            throw std::runtime_error(std::string(sqlite3_errmsg(m_db)) + " in: " + sql);
        std::vector<std::string> out;
        int stepped;
        while ((stepped = sqlite3_step(statement)) == SQLITE_ROW) {
            std::string row;
            for (int c = 0; c < sqlite3_column_count(statement); ++c) {
                const unsigned char* text = sqlite3_column_text(statement, c);
                row += (c ? "|" : "") +
                       (text ? std::string(reinterpret_cast<const char*>(text)) : "NULL");
            }
            out.push_back(row);
        }
        sqlite3_finalize(statement);
        if (stepped != SQLITE_DONE)
            throw std::runtime_error(std::string(sqlite3_errmsg(m_db)) + " in: " + sql);
        return out;
    }

  private:
    sqlite3* m_db = nullptr;
};

// The schema (without strata's table) and every row of every table, sorted, as one text.
std::string fingerprint(Handle& db) {
    std::string out;
    const auto schema =
        db.rows("SELECT type, name, tbl_name, sql FROM sqlite_schema "
                "WHERE tbl_name NOT IN ('migrations', 'sqlite_sequence') ORDER BY type, name");
    for (const std::string& entry : schema)
        out += entry + "\n";
    for (const std::string& table :
         db.rows("SELECT name FROM sqlite_schema WHERE type = 'table' AND "
                 "name NOT IN ('migrations', 'sqlite_sequence') ORDER BY name")) {
        auto rows = db.rows("SELECT * FROM \"" + table + "\"");
        std::sort(rows.begin(), rows.end());
        out += "-- " + table + "\n";
        for (const std::string& row : rows)
            out += row + "\n";
    }
    return out;
}

// reference[k]: the fingerprint after plain SQLite applied up files 1..k.
std::vector<std::string> reference_fingerprints() {
    std::vector<std::string> reference;
    for (std::size_t k = 0; k <= k_count; ++k) {
        Handle db(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        for (std::size_t i = 0; i < k; ++i)
            db.exec(std::string("BEGIN; ") + k_fixture[i].up + "COMMIT;");
        reference.push_back(fingerprint(db));
    }
    return reference;
}

struct Inspection {
    bool consistent = false;
    std::size_t k = 0;
    std::string reason;
};

// The oracle's rule, in process. Opens read-write, as the next user would, so that a hot
// journal is rolled back first; a journal still there afterwards is a failure.
Inspection inspect(const fs::path& database, const std::vector<std::string>& reference) {
    Inspection result;
    if (!fs::exists(database)) {
        result.consistent = !fs::exists(database.string() + "-journal");
        result.reason = result.consistent ? "" : "a journal without its database";
        return result;
    }
    try {
        Handle db(database.string(), SQLITE_OPEN_READWRITE);
        const auto integrity = db.rows("PRAGMA integrity_check");
        if (integrity != std::vector<std::string>{"ok"}) {
            result.reason = "integrity_check: " + (integrity.empty() ? "" : integrity.front());
            return result;
        }
        if (!db.rows("PRAGMA foreign_key_check").empty()) {
            result.reason = "foreign_key_check reports violations";
            return result;
        }
        std::vector<std::string> state;
        if (!db.rows("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'migrations'")
                 .empty())
            state = db.rows("SELECT app_name, name, checksum FROM migrations ORDER BY id");
        if (state.size() > k_count) {
            result.reason = "state table holds " + std::to_string(state.size()) + " rows";
            return result;
        }
        for (std::size_t i = 0; i < state.size(); ++i) {
            const std::string stem = k_fixture[i].stem;
            const std::string expected = "core|" + stem.substr(0, stem.find('_')) + "|" +
                                         strata::sha256_hex(k_fixture[i].up);
            if (state[i] != expected) {
                result.reason = "state row " + std::to_string(i + 1) + " is " + state[i];
                return result;
            }
        }
        result.k = state.size();
        if (fingerprint(db) != reference[result.k]) {
            result.reason = "schema or data differ from plain SQLite's migrations 1.." +
                            std::to_string(result.k);
            return result;
        }
    } catch (const std::exception& error) {
        result.reason = std::string("cannot check: ") + error.what();
        return result;
    }
    if (fs::exists(database.string() + "-journal")) {
        result.reason = "a hot journal is left after recovery";
        return result;
    }
    result.consistent = true;
    return result;
}

// --- one index ----------------------------------------------------------------------------------

const char* mode_name(FaultMode mode) {
    return mode == FaultMode::Transient ? "transient" : "persistent";
}

// How one command ended.
struct Outcome {
    std::string label; // "ok", "Database", "MigrationFailed", or what went wrong
    bool acceptable = true;
    std::string detail;
};

template <typename Command>
Outcome run_command(Command&& command) {
    try {
        command();
        return {"ok", true, ""};
    } catch (const strata::Error& error) {
        const bool expected = error.kind() == strata::ErrorKind::Database ||
                              error.kind() == strata::ErrorKind::MigrationFailed;
        std::string kind;
        switch (error.kind()) {
        case strata::ErrorKind::Database:
            kind = "Database";
            break;
        case strata::ErrorKind::MigrationFailed:
            kind = "MigrationFailed";
            break;
        default:
            kind = "Error kind " + std::to_string(static_cast<int>(error.kind()));
            break;
        }
        return {kind, expected, error.what()};
    } catch (const std::exception& error) {
        return {std::string("escaped ") + typeid(error).name(), false, error.what()};
    }
}

void remove_database(const fs::path& database) {
    for (const char* suffix : {"", "-journal", "-wal", "-shm"})
        fs::remove(database.string() + suffix);
}

struct IndexResult {
    bool reached = false; // the run got as far as allocation n
    std::vector<std::string> problems;
    std::string forwards;
    std::string backwards;
};

IndexResult check_index(long n, FaultMode mode, const strata::Project& project,
                        const std::vector<std::string>& reference, long baseline,
                        const fs::path& samples, bool keep_sample) {
    IndexResult result;
    remove_database(project.database);
    strata::Context context{project};

    auto check_state = [&](const char* after, const Outcome& outcome, std::size_t target) {
        if (!outcome.acceptable)
            result.problems.push_back(std::string(after) + " ended with " + outcome.label + ": " +
                                      outcome.detail);
        const Inspection state = inspect(project.database, reference);
        if (!state.consistent)
            result.problems.push_back(std::string("INCONSISTENT after ") + after + ": " +
                                      state.reason);
        else if (outcome.label == "ok" && state.k != target)
            result.problems.push_back(std::string(after) +
                                      " succeeded but k=" + std::to_string(state.k));
        return state.k;
    };

    g_allocator.arm(n, mode);
    const Outcome forwards = run_command([&] { strata::ForwardsMigrationManager(context).run(); });
    g_allocator.pause();
    const std::size_t k_forwards = check_state("forwards", forwards, k_count);
    g_allocator.resume();
    const Outcome backwards = run_command([&] {
        strata::BackwardsMigrationManager(
            context, {.app = "core", .target = strata::All{}, .auto_agree = true})
            .run();
    });
    g_allocator.pause();
    const std::size_t k_backwards = check_state("backwards", backwards, 0);
    result.reached = g_allocator.seen >= n;
    result.forwards = forwards.label + " k=" + std::to_string(k_forwards);
    result.backwards = backwards.label + " k=" + std::to_string(k_backwards);
    g_allocator.disarm();

    if (g_allocator.outstanding != baseline)
        result.problems.push_back("leak: SQLite holds " +
                                  std::to_string(g_allocator.outstanding - baseline) +
                                  " more allocation(s) than before the run");

    if (!samples.empty() && (keep_sample || !result.problems.empty())) {
        const fs::path copy = samples / (std::string(mode_name(mode)) + "-" + std::to_string(n));
        fs::create_directories(copy);
        if (fs::exists(project.database))
            fs::copy_file(project.database, copy / "app.db", fs::copy_options::overwrite_existing);
        std::ofstream(copy / "expected_k") << k_backwards << "\n";
    }

    // After a fault, the next run without it reaches its target. In transient mode a fault
    // that failed forwards has already been followed by such a run: backwards, which must then
    // succeed. Otherwise (the last command failed) forwards runs once more without the fault.
    const bool backwards_was_clean =
        mode == FaultMode::Transient && forwards.label != "ok" && g_allocator.failed == 1;
    if (backwards_was_clean && backwards.label != "ok")
        result.problems.push_back("backwards after the fault failed: " + backwards.detail);
    if (!backwards_was_clean && (forwards.label != "ok" || backwards.label != "ok")) {
        const Outcome again = run_command([&] { strata::ForwardsMigrationManager(context).run(); });
        if (again.label != "ok")
            result.problems.push_back("forwards after the fault failed: " + again.detail);
        else if (inspect(project.database, reference).k != k_count)
            result.problems.push_back("forwards after the fault did not reach " +
                                      std::to_string(k_count));
    }
    return result;
}

// --- main ---------------------------------------------------------------------------------------

struct Options {
    std::vector<FaultMode> modes{FaultMode::Transient, FaultMode::Persistent};
    long only = 0;
    long start = 1;
    long stride = 1;
    fs::path work;
    fs::path samples;
    long sample_every = 100;
    bool verbose = false;
};

[[noreturn]] void usage(const std::string& problem) {
    std::fprintf(stderr,
                 "test_out_of_memory: %s\nusage: test_out_of_memory [--mode "
                 "transient|persistent|both] [--only N] [--start N] [--stride S] [--work DIR] "
                 "[--samples DIR] [--sample-every K] [--verbose]\n",
                 problem.c_str());
    std::exit(2);
}

Options parse_options(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                usage(arg + " needs a value");
            return argv[++i];
        };
        if (arg == "--mode") {
            const std::string mode = value();
            if (mode == "transient")
                options.modes = {FaultMode::Transient};
            else if (mode == "persistent")
                options.modes = {FaultMode::Persistent};
            else if (mode != "both")
                usage("unknown mode " + mode);
        } else if (arg == "--only") {
            options.only = std::atol(value().c_str());
            options.start = options.only;
        } else if (arg == "--start") {
            options.start = std::max(1L, std::atol(value().c_str()));
        } else if (arg == "--stride") {
            options.stride = std::max(1L, std::atol(value().c_str()));
        } else if (arg == "--work") {
            options.work = value();
        } else if (arg == "--samples") {
            options.samples = value();
        } else if (arg == "--sample-every") {
            options.sample_every = std::max(1L, std::atol(value().c_str()));
        } else if (arg == "--verbose") {
            options.verbose = true;
        } else {
            usage("unknown argument " + arg);
        }
    }
    return options;
}

// A fresh folder on the RAM disk when there is one: fsync does not matter here.
fs::path make_work_folder() {
    const char* tmp = std::getenv("TMPDIR");
    const fs::path base =
        fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::path(tmp ? tmp : "/tmp");
    std::string pattern = (base / "strata-oom.XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
        throw std::runtime_error("cannot create a folder under " + base.string());
    return pattern;
}

int run(const Options& options) {
    install_allocator();
    const bool own_work = options.work.empty();
    const fs::path root = own_work ? make_work_folder() : options.work;
    write_fixture(root);
    if (!options.samples.empty())
        write_fixture(options.samples / "project");
    const strata::Project project = make_project(root);
    const std::vector<std::string> reference = reference_fingerprints();

    // One clean run first: SQLite sets up what it keeps for the whole process (and the fixture
    // is proved to work) before the baseline of live allocations is taken.
    {
        strata::Context context{project};
        remove_database(project.database);
        g_allocator.arm(0, FaultMode::Transient);
        strata::ForwardsMigrationManager(context).run();
        const long forwards = g_allocator.seen;
        strata::BackwardsMigrationManager(
            context, {.app = "core", .target = strata::All{}, .auto_agree = true})
            .run();
        const long backwards = g_allocator.seen - forwards;
        g_allocator.disarm();
        std::printf("a clean run makes %ld SQLite allocations forwards and %ld backwards\n",
                    forwards, backwards);
    }
    const long baseline = g_allocator.outstanding;

    int passed = 0;
    int failed = 0;
    for (const FaultMode mode : options.modes) {
        const auto started = std::chrono::steady_clock::now();
        std::map<std::string, int> outcomes;
        long swept = 0;
        long last = 0;
        for (long n = options.start;; n += options.stride) {
            const IndexResult result =
                check_index(n, mode, project, reference, baseline, options.samples,
                            swept % options.sample_every == 0);
            ++swept;
            last = n;
            ++outcomes["forwards " + result.forwards.substr(0, result.forwards.find(' '))];
            ++outcomes["backwards " + result.backwards.substr(0, result.backwards.find(' '))];
            if (result.problems.empty()) {
                ++passed;
            } else {
                ++failed;
                std::printf("FAIL %s n=%ld (forwards %s, backwards %s)\n", mode_name(mode), n,
                            result.forwards.c_str(), result.backwards.c_str());
                for (const std::string& problem : result.problems)
                    std::printf("    %s\n", problem.c_str());
                std::printf("    reproduce: test_out_of_memory --mode %s --only %ld\n",
                            mode_name(mode), n);
            }
            if (options.verbose)
                std::printf("%s n=%ld: forwards %s, backwards %s\n", mode_name(mode), n,
                            result.forwards.c_str(), result.backwards.c_str());
            if (options.only || !result.reached)
                break;
        }
        const auto seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        std::printf("%s: %ld allocation indices swept (n = %ld..%ld, stride %ld) in %.1f s\n",
                    mode_name(mode), swept, options.start, last, options.stride, seconds);
        for (const auto& [what, count] : outcomes)
            std::printf("    %-28s %d\n", what.c_str(), count);
        std::fflush(stdout);
    }
    if (own_work)
        fs::remove_all(root);
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
    try {
        return run(parse_options(argc, argv));
    } catch (const std::exception& error) {
        std::fprintf(stderr, "test_out_of_memory: %s\n", error.what());
        std::printf("0 passed, 1 failed\n");
        return 1;
    }
}
