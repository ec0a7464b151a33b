// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>

namespace strata {

// Refuses a project file that would send toml++ into undefined behaviour (non-ASCII text outside
// strings and comments, or right after a line-ending backslash in a multi-line string); call it
// before toml::parse. Throws Error(ProjectFile) at path:line:column of the first such character.
void refuse_toml_parser_traps(std::string_view text, const std::string& path);

} // namespace strata
