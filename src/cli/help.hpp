// SPDX-License-Identifier: MIT
#pragma once

#include "cli/command_table.hpp"

#include <string>

namespace strata::cli {

// "strata 0.1.0"
std::string version_text();

// The overview shown by `strata --help`, generated from the command and option tables.
std::string overview_help();

// The help of one command, shown by `strata <command> --help`, generated from the tables;
// overview_help() for None.
std::string command_help(Command command);

} // namespace strata::cli
