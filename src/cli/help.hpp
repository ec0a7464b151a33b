// SPDX-License-Identifier: MIT
#pragma once

#include "cli/command_table.hpp"

#include <string>

namespace strata::cli {

// "strata <version>", the first line of --version and of the overview help.
std::string version_text();

// What --version prints: strata's version, the SQLite version linked in and the build type
// (meson's buildtype), one per line.
std::string version_report();

// The overview shown by `strata --help`, generated from the command and option tables.
std::string overview_help();

// The help of one command, shown by `strata <command> --help`, generated from the tables;
// overview_help() for None.
std::string command_help(Command command);

} // namespace strata::cli
