// SPDX-License-Identifier: MIT
#include "strata/api/many_databases.hpp"

#include "strata/plan/plan.hpp"
#include "strata/terms.hpp"
#include "util/file_error.hpp"
#include "util/file_reader.hpp"
#include "util/glob.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

namespace strata {
namespace {

namespace fs = std::filesystem;

// Counts what a run did to one database; each database has its own, so no locking.
class CountingObserver : public RunObserver {
  public:
    void on_step_finished(const Step& step, std::chrono::microseconds) override {
        if (step.direction == Direction::Forwards)
            ++applied;
        else
            ++reversed;
    }
    std::size_t applied = 0;
    std::size_t reversed = 0;
};

// Nothing asks when many databases run: a question for each of them would be unanswerable.
class RefusingPrompter : public Prompter {
  public:
    bool confirm(const std::string&) override {
        throw Error(ErrorKind::Refused,
                    "this database needs confirmation, and with many databases nothing is asked",
                    {}, "pass " + terms::option(terms::Option::AutoAgree) + " to proceed");
    }
};

// Reads each app's migrations once, so that ten thousand databases do not mean ten thousand
// folder listings; the loader's checks still run for every database, on the same bytes.
std::map<std::string, std::shared_ptr<const MigrationSource>, std::less<>>
preloaded_sources(const Context& context) {
    auto sources = context.sources;
    for (const AppConfig& app : context.project.apps) {
        if (sources.contains(app.name))
            continue;
        sources[app.name] = std::make_shared<MemorySource>(FolderSource(app.migrations_dir));
    }
    return sources;
}

struct Shared {
    const Context& context;
    const ManyDatabasesOptions& options;
    std::map<std::string, std::shared_ptr<const MigrationSource>, std::less<>> sources;
    Audience audience;
};

DatabaseResult run_one(const Shared& shared, std::size_t index, const fs::path& path) {
    DatabaseResult result;
    result.index = index;
    result.database = path;
    Project project = shared.context.project;
    project.database = path;
    // One schema file for many databases would be rewritten by each: the last would win.
    project.settings.schema_file.clear();
    CountingObserver observer;
    RefusingPrompter prompter;
    Context context{project, &observer, &prompter};
    context.allow_modified = shared.context.allow_modified;
    context.cancel = shared.context.cancel;
    context.sources = shared.sources;
    context.code_migrations = shared.context.code_migrations;
    const ManyDatabasesOptions& options = shared.options;
    try {
        switch (options.command) {
        case ManyCommand::Forwards:
            result.message =
                ForwardsMigrationManager(context, {.app = options.app, .target = options.target})
                    .run()
                    .message;
            break;
        case ManyCommand::Sync:
            result.message = SyncMigrationManager(
                                 context, {.app = options.app, .auto_agree = options.auto_agree})
                                 .run()
                                 .message;
            break;
        case ManyCommand::Check:
            result.status = CheckMigrationManager(context, {.app = options.app}).status();
            result.outcome = result.status->state == DatabaseState::UpToDate
                                 ? DatabaseOutcome::UpToDate
                                 : DatabaseOutcome::Pending;
            return result;
        }
        result.applied = observer.applied;
        result.reversed = observer.reversed;
        result.outcome = observer.applied + observer.reversed > 0 ? DatabaseOutcome::Migrated
                                                                  : DatabaseOutcome::UpToDate;
    } catch (const Error& error) {
        result.outcome = DatabaseOutcome::Failed;
        result.applied = observer.applied;
        result.reversed = observer.reversed;
        result.error = error;
    }
    return result;
}

bool cancelled(const Context& context) {
    return context.cancel != nullptr && context.cancel->load();
}

bool interrupted(const DatabaseResult& result) {
    return result.error && result.error->kind() == ErrorKind::Interrupted;
}

void count(ManyDatabasesSummary& summary, const DatabaseResult& result) {
    ++summary.databases;
    switch (result.outcome) {
    case DatabaseOutcome::Migrated:
        ++summary.migrated;
        break;
    case DatabaseOutcome::UpToDate:
        ++summary.up_to_date;
        break;
    case DatabaseOutcome::Pending:
        ++summary.pending;
        break;
    case DatabaseOutcome::Failed:
        ++summary.failed;
        break;
    }
}

[[noreturn]] void throw_interrupted(const ManyDatabasesSummary& summary, std::size_t total) {
    throw Error(ErrorKind::Interrupted,
                "interrupted after " + std::to_string(summary.databases) + " of " +
                    std::to_string(total) +
                    " databases; the migration in flight was rolled back, and a new run "
                    "goes on from there");
}

// Workers take the next database from a counter and leave its result in its slot; the calling
// thread hands the slots to the callback in order, so the output does not depend on timing.
class Pool {
  public:
    Pool(const Shared& shared, const std::vector<fs::path>& paths)
        : m_shared(shared), m_paths(paths), m_slots(paths.size()) {}

    void start(std::size_t jobs) {
        m_running = jobs;
        for (std::size_t i = 0; i < jobs; ++i)
            m_threads.emplace_back([this] { work(); });
    }

    // The result at `index`, or nullopt when the workers stopped before reaching it.
    std::optional<DatabaseResult> take(std::size_t index) {
        std::unique_lock lock(m_mutex);
        m_ready.wait(lock, [&] { return m_slots[index] || m_running == 0; });
        std::optional<DatabaseResult> result = std::move(m_slots[index]);
        m_slots[index].reset();
        return result;
    }

    // Asks the workers to take no further database, and waits for them.
    void stop() {
        m_stop = true;
        for (std::thread& thread : m_threads)
            if (thread.joinable())
                thread.join();
    }

    ~Pool() { stop(); }
    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;

  private:
    void work() {
        const AudienceScope audience(m_shared.audience);
        for (;;) {
            const std::size_t index = m_next++;
            if (index >= m_paths.size() || m_stop || cancelled(m_shared.context))
                break;
            DatabaseResult result = run_one(m_shared, index, m_paths[index]);
            const std::lock_guard lock(m_mutex);
            m_slots[index] = std::move(result);
            m_ready.notify_all();
        }
        const std::lock_guard lock(m_mutex);
        --m_running;
        m_ready.notify_all();
    }

    const Shared& m_shared;
    const std::vector<fs::path>& m_paths;
    std::vector<std::optional<DatabaseResult>> m_slots;
    std::vector<std::thread> m_threads;
    std::mutex m_mutex;
    std::condition_variable m_ready;
    std::atomic<std::size_t> m_next{0};
    std::atomic<bool> m_stop{false};
    std::size_t m_running = 0; // workers not yet finished
};

} // namespace

std::string_view database_outcome_name(DatabaseOutcome outcome) {
    switch (outcome) {
    case DatabaseOutcome::Migrated:
        return "migrated";
    case DatabaseOutcome::UpToDate:
        return "up to date";
    case DatabaseOutcome::Pending:
        return "pending";
    case DatabaseOutcome::Failed:
        return "failed";
    }
    return "failed";
}

ManyDatabasesSummary
run_for_databases(const Context& context, const std::vector<fs::path>& paths,
                  const ManyDatabasesOptions& options,
                  const std::function<void(const DatabaseResult&)>& on_result) {
    if (context.connection != nullptr)
        throw Error(ErrorKind::Usage, "many databases cannot run on the application's connection",
                    {}, "leave Context::connection unset; each database gets its own");
    if (paths.empty())
        throw Error(ErrorKind::Usage, "no database to work on");
    const Shared shared{context, options, preloaded_sources(context), current_audience()};
    const std::size_t jobs = std::clamp<std::size_t>(options.jobs, 1, paths.size());
    ManyDatabasesSummary summary;

    if (jobs == 1) {
        for (std::size_t i = 0; i < paths.size(); ++i) {
            if (cancelled(context))
                throw_interrupted(summary, paths.size());
            DatabaseResult result = run_one(shared, i, paths[i]);
            if (interrupted(result))
                throw_interrupted(summary, paths.size());
            count(summary, result);
            on_result(result);
        }
        return summary;
    }

    Pool pool(shared, paths);
    pool.start(jobs);
    for (std::size_t i = 0; i < paths.size(); ++i) {
        std::optional<DatabaseResult> result = pool.take(i);
        if (!result || interrupted(*result)) {
            pool.stop();
            throw_interrupted(summary, paths.size());
        }
        count(summary, *result);
        on_result(*result); // when it throws, ~Pool stops the workers before the error leaves
    }
    return summary;
}

std::vector<fs::path> expand_database_glob(std::string_view pattern, const fs::path& base) {
    const fs::path whole(pattern);
    std::vector<fs::path> found;
    // Each stage holds the folders (then files) matched so far, spelled as the user spelled them.
    std::vector<fs::path> stage{whole.is_absolute() ? whole.root_path() : fs::path()};
    std::vector<std::string> components;
    for (const fs::path& part : whole.relative_path())
        components.push_back(part.string());
    for (std::size_t c = 0; c < components.size(); ++c) {
        const bool last = c + 1 == components.size();
        const std::string& component = components[c];
        std::vector<fs::path> next;
        for (const fs::path& prefix : stage) {
            const fs::path folder = prefix.is_absolute() ? prefix : base / prefix;
            std::error_code error;
            if (!util::has_glob_characters(component)) {
                const fs::path candidate = folder / component;
                const bool wanted = last ? fs::is_regular_file(candidate, error)
                                         : fs::is_directory(candidate, error);
                if (wanted)
                    next.push_back(prefix / component);
                continue;
            }
            for (fs::directory_iterator it(folder.empty() ? fs::path(".") : folder, error);
                 !error && it != fs::directory_iterator(); it.increment(error)) {
                const std::string name = it->path().filename().string();
                if (!util::glob_matches(component, name))
                    continue;
                std::error_code kind_error;
                const bool wanted =
                    last ? it->is_regular_file(kind_error) : it->is_directory(kind_error);
                if (wanted)
                    next.push_back(prefix / name);
            }
        }
        std::sort(next.begin(), next.end());
        stage = std::move(next);
    }
    for (const fs::path& path : stage)
        found.push_back(path.is_absolute() ? path : base / path);
    if (found.empty())
        throw Error(ErrorKind::Usage, "no database file matches \"" + std::string(pattern) + "\"",
                    {}, "quote the pattern so that strata expands it, not the shell");
    return found;
}

std::vector<fs::path> read_database_list(const fs::path& file) {
    std::string text;
    try {
        text = util::read_file(file);
    } catch (const util::FileError& error) {
        throw Error(ErrorKind::Usage,
                    std::string("cannot read the list of databases: ") + error.what());
    }
    const SourceLocation where{file.string()};
    // Absolute, so that a path reads the same whatever folder shows it.
    std::error_code error;
    const fs::path folder = fs::absolute(file, error).parent_path();
    std::vector<fs::path> paths;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos)
            end = text.size();
        std::string line = text.substr(start, end - start);
        start = end + 1;
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        const std::size_t first = line.find_first_not_of(" \t");
        if (first == std::string::npos || line[first] == '#')
            continue;
        const std::size_t last = line.find_last_not_of(" \t");
        const fs::path path(line.substr(first, last - first + 1));
        paths.push_back((path.is_absolute() ? path : folder / path).lexically_normal());
    }
    if (paths.empty())
        throw Error(ErrorKind::Usage, "the list of databases names no database", where,
                    "write one database path per line");
    return paths;
}

} // namespace strata
