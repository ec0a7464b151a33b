// SPDX-License-Identifier: MIT
#pragma once

#include "cli/arguments.hpp"
#include "strata/api/managers.hpp"

#include <cstddef>
#include <iosfwd>
#include <string>
#include <string_view>

namespace strata::cli {

// Asks yes/no questions on a terminal: the question on `out` (the CLI passes standard error, so
// `strata backwards app > log` still shows it; no newline), the answer from one line of `in`. Only
// "y" or "yes" (any case, surrounding blanks ignored) count as yes; end of input counts as no.
class TerminalPrompter : public Prompter {
  public:
    // `in_is_terminal`: whether `in` is a terminal; when it is not, confirm() refuses to ask.
    TerminalPrompter(std::istream& in, std::ostream& out, bool in_is_terminal);

    // Throws Error(Refused) when input is not a terminal, rather than reading a piped answer
    // or hanging on a closed one.
    bool confirm(const std::string& question) override;

  private:
    std::istream& m_in;
    std::ostream& m_out;
    bool m_in_is_terminal;
};

// True for the answers that mean yes: "y" or "yes", in any case, blanks around ignored.
bool is_yes(std::string_view answer);

// Whether file descriptor 0 (standard input) is a terminal.
bool stdin_is_terminal();

// What --color=auto decides: colour only on a terminal, and not when `no_color` (the value of
// NO_COLOR, null when unset) is non-empty (no-color.org) or `term` (TERM) is "dumb".
bool auto_colour(bool is_terminal, const char* no_color, const char* term);
// Whether to colour: --color=always and never decide alone; auto takes `auto_answer`.
bool colour_for(ColourMode mode, bool auto_answer);

// auto_colour for standard output, with this process's NO_COLOR and TERM.
bool stdout_wants_colour();
// Whether standard output is a terminal.
bool stdout_is_terminal();

// The width of the terminal for tables: $COLUMNS when it is a positive number, else the width
// of standard output when it is a terminal, else 0 (unlimited).
std::size_t terminal_width();

} // namespace strata::cli
