// SPDX-License-Identifier: MIT
// The apps' migrations loaded by whichever threads call work(): a command starts one on a
// second thread, then helps with what is left once its own part (opening the database) is
// done, so that a thread that starts late costs little.
#pragma once

#include "strata/api/managers.hpp"
#include "strata/loader/loader.hpp"

#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace strata::detail {

using SourceWrapper = std::function<std::shared_ptr<const MigrationSource>(
    const AppConfig&, std::shared_ptr<const MigrationSource>)>;

class SharedLoad {
  public:
    // Nothing is read yet. `wrap`, when set, is called on each app's source (by the thread
    // that lists them) and may filter what it lists.
    SharedLoad(const Context& context, const std::vector<const AppConfig*>& apps,
               const SourceWrapper& wrap);

    // Lists every app (the first caller; another waits for it), then builds migrations until
    // none is left. Never throws: failures are kept for result().
    void work();
    // The sets, in the apps' order, once every caller's work() has returned. Throws the error
    // a load of the apps one after another would have met first.
    std::vector<MigrationSet> result();

  private:
    void list_apps();
    void build_until_done();
    void fail_at(std::size_t step, std::exception_ptr error);

    const Context& m_context;
    const std::vector<const AppConfig*>& m_apps;
    const SourceWrapper& m_wrap;

    std::once_flag m_listed;
    std::vector<MigrationLoad> m_loads;
    // Steps are numbered over all apps in order: for app a, its listing is step first[a], its
    // i-th migration first[a] + 1 + i. A failure at step s leaves steps after s unneeded.
    std::vector<std::size_t> m_first_step;
    std::size_t m_steps = 0;
    std::exception_ptr m_listing_error;
    std::size_t m_listing_error_step = 0;
    bool m_concurrent = true;

    std::atomic<std::size_t> m_next{0};
    std::atomic<std::size_t> m_first_failure;
    std::mutex m_mutex; // guards m_errors, and every build when a source is not concurrent
    std::vector<std::pair<std::size_t, std::exception_ptr>> m_errors;
};

} // namespace strata::detail
