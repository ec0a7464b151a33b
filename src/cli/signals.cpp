// SPDX-License-Identifier: MIT
#include "cli/signals.hpp"

#include <csignal>

namespace strata::cli {

namespace {

std::atomic<bool> g_requested{false};
volatile std::sig_atomic_t g_signal = SIGINT;

static_assert(std::atomic<bool>::is_always_lock_free, "the handler may only touch lock-free state");

void on_signal(int signal) {
    g_signal = signal;
    g_requested.store(true);
}

} // namespace

void install_interrupt_handlers() {
    struct sigaction action {};
    action.sa_handler = &on_signal;
    sigemptyset(&action.sa_mask);
    // No SA_RESTART: a prompt waiting on the terminal returns instead of waiting on.
    action.sa_flags = static_cast<int>(SA_RESETHAND);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    // Past a file-size limit (ulimit -f) the write then fails with EFBIG, which SQLite reports
    // and strata rolls back with a message, instead of the kernel killing strata mid-write.
    std::signal(SIGXFSZ, SIG_IGN);
    // A closed pipe on stdout (`strata forwards | logger` after the logger died) must not kill
    // strata mid-transaction without a word: the write fails with EPIPE instead, the reporter
    // turns that into an error, the migration in flight is rolled back and stderr says why.
    std::signal(SIGPIPE, SIG_IGN);
}

const std::atomic<bool>& interrupt_requested() {
    return g_requested;
}

int interrupt_signal() {
    return g_signal;
}

} // namespace strata::cli
