// SPDX-License-Identifier: MIT
#pragma once

#include "strata/error.hpp"

#include <atomic>

namespace strata::cli {

// Makes SIGINT and SIGTERM ask the running migration to stop: the library rolls it back and
// the run ends with Error(Interrupted). A second signal ends the process at once (SQLite's
// journal then rolls the migration back when the database is next opened). Also ignores
// SIGXFSZ, so that a file-size limit is an error strata reports, not a kill.
void install_interrupt_handlers();

// Set by the handlers; handed to the library as Context::cancel.
const std::atomic<bool>& interrupt_requested();

// The signal that asked to stop (SIGINT when none did).
int interrupt_signal();

// An interrupted run on its way to main: exits with 128 + signal (130 SIGINT, 143 SIGTERM).
struct InterruptedRun {
    Error error;
    int signal;
};

} // namespace strata::cli
