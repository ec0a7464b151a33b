// SPDX-License-Identifier: MIT
#include "cli/signals.hpp"

#include "util/platform.hpp"

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
    util::on_interrupt_signals(&on_signal);
    // A file-size limit or a closed pipe on stdout must not kill strata mid-transaction without
    // a word: the write fails instead (EFBIG from SQLite, EPIPE from the reporter), the
    // migration in flight is rolled back and stderr says why.
    util::ignore_write_failure_signals();
}

const std::atomic<bool>& interrupt_requested() {
    return g_requested;
}

int interrupt_signal() {
    return g_signal;
}

} // namespace strata::cli
