// SPDX-License-Identifier: MIT
// The strata binary: everything, including turning errors into exit codes, is in strata::cli.
#include "cli/commands.hpp"

int main(int argc, char** argv) {
    return strata::cli::run(argc, argv);
}
