// SPDX-License-Identifier: MIT
#include "strata/api/shared_load.hpp"

#include "strata/error.hpp"

#include <algorithm>
#include <limits>
#include <string>

namespace strata::detail {

namespace {

constexpr std::size_t k_no_failure = std::numeric_limits<std::size_t>::max();

} // namespace

SharedLoad::SharedLoad(const Context& context, const std::vector<const AppConfig*>& apps,
                       const SourceWrapper& wrap)
    : m_context(context), m_apps(apps), m_wrap(wrap), m_first_failure(k_no_failure) {}

void SharedLoad::work() {
    std::call_once(m_listed, [this] { list_apps(); });
    build_until_done();
}

void SharedLoad::list_apps() {
    // Registered for an app the project does not have, a callback would silently never run.
    for (const auto& [app_name, code] : m_context.code_migrations)
        if (m_context.project.find_app(app_name) == nullptr) {
            fail_at(0, std::make_exception_ptr(
                           Error(ErrorKind::Usage,
                                 "C++ migrations are registered for app \"" + app_name +
                                     "\", which the project does not have",
                                 {}, "register them under one of the project's apps")));
            return;
        }
    m_loads.reserve(m_apps.size());
    for (const AppConfig* app : m_apps) {
        m_first_step.push_back(m_steps);
        std::span<const CodeMigration> code;
        if (auto found = m_context.code_migrations.find(app->name);
            found != m_context.code_migrations.end())
            code = found->second;
        try {
            auto found = m_context.sources.find(app->name);
            std::shared_ptr<const MigrationSource> source =
                found != m_context.sources.end() && found->second != nullptr
                    ? found->second
                    : std::make_shared<const FolderSource>(app->migrations_dir);
            if (m_wrap)
                source = m_wrap(*app, std::move(source));
            m_loads.emplace_back(app->name, std::move(source), code);
        } catch (...) {
            // Nothing after this app's listing is needed: a load in turn stops here.
            fail_at(m_steps, std::current_exception());
            return;
        }
        m_concurrent = m_concurrent && m_loads.back().reads_concurrently();
        m_steps += 1 + m_loads.back().size();
    }
}

void SharedLoad::build_until_done() {
    std::string buffer;
    for (;;) {
        // Claimed in order, so every step before a failure has been claimed by the time it
        // is seen, and its builder finishes it.
        const std::size_t step = m_next.fetch_add(1);
        if (step >= m_steps || step > m_first_failure.load())
            return;
        const auto app = static_cast<std::size_t>(
            std::upper_bound(m_first_step.begin(), m_first_step.end(), step) -
            m_first_step.begin() - 1);
        if (step == m_first_step[app])
            continue; // the app's listing, done by list_apps
        try {
            std::unique_lock<std::mutex> one_at_a_time(m_mutex, std::defer_lock);
            if (!m_concurrent)
                one_at_a_time.lock();
            m_loads[app].build(step - m_first_step[app] - 1, buffer);
        } catch (...) {
            fail_at(step, std::current_exception());
        }
    }
}

void SharedLoad::fail_at(std::size_t step, std::exception_ptr error) {
    const std::lock_guard<std::mutex> lock(m_mutex);
    m_errors.emplace_back(step, std::move(error));
    std::size_t first = m_first_failure.load();
    while (step < first && !m_first_failure.compare_exchange_weak(first, step)) {
    }
}

std::vector<MigrationSet> SharedLoad::result() {
    // The first failure of a load in turn: the earliest step that failed, unless an app before
    // it fails when its C++ migrations are added (finish), which a load in turn meets first.
    std::exception_ptr first_error;
    std::size_t first_step = k_no_failure;
    for (const auto& [step, error] : m_errors)
        if (step < first_step) {
            first_step = step;
            first_error = error;
        }
    std::vector<MigrationSet> sets;
    sets.reserve(m_loads.size());
    for (std::size_t a = 0; a < m_loads.size(); ++a) {
        const std::size_t finish_step = m_first_step[a] + m_loads[a].size();
        if (first_error && first_step <= finish_step)
            break;
        sets.push_back(m_loads[a].finish());
    }
    if (first_error)
        std::rethrow_exception(first_error);
    return sets;
}

} // namespace strata::detail
