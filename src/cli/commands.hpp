// SPDX-License-Identifier: MIT
#pragma once

#include "cli/arguments.hpp"

#include <cstddef>
#include <iosfwd>
#include <string>
#include <vector>

namespace strata::cli {

// Where a run reads and writes, and what it knows about the terminal. The process's own
// streams for the real binary; string streams in tests.
struct Io {
    std::istream& in;
    std::ostream& out; // results and progress
    std::ostream& err; // errors (and --verbose diagnostics)
    bool stdin_is_terminal = false;
    bool colour = false;          // colour on `out` under --color=auto (stdout_wants_colour)
    std::size_t width = 0;        // the terminal's width for tables; 0 = unlimited
    bool out_is_terminal = false; // `out` is a terminal: live news (elapsed time, a lock wait)
};

// Runs strata with `args` (the arguments after the program name) and returns the exit code.
// Never throws: errors are printed on io.err as "strata: error: ..." and mapped to exit codes.
int run(const std::vector<std::string>& args, const Io& io);

// Runs strata on the process's standard streams and terminal: what main() calls.
int run(int argc, char** argv);

// Carries out a parsed command line. Throws strata::Error; run() is the one place that catches.
int execute(const CommandLine& line, const Io& io);

} // namespace strata::cli
