// SPDX-License-Identifier: MIT
#include "cli/terminal.hpp"

#include "strata/error.hpp"
#include "util/platform.hpp"
#include "util/printable.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <istream>
#include <ostream>

namespace strata::cli {

TerminalPrompter::TerminalPrompter(std::istream& in, std::ostream& out, bool in_is_terminal)
    : m_in(in), m_out(out), m_in_is_terminal(in_is_terminal) {}

bool TerminalPrompter::confirm(const std::string& question) {
    if (!m_in_is_terminal)
        throw Error(ErrorKind::Refused,
                    "standard input is not a terminal, so strata cannot ask for confirmation", {},
                    "pass --yes to proceed without asking");
    // The library may or may not spell out the choices; the user should always see them. The
    // question may list migrations read from the database (clean does): whatever it holds,
    // it cannot rewrite the terminal around the answer the user is asked for.
    std::string prompt = util::printable(question);
    while (!prompt.empty() && prompt.back() == ' ')
        prompt.pop_back();
    if (!prompt.ends_with("[y/N]"))
        prompt += " [y/N]";
    m_out << prompt << ' ' << std::flush;

    std::string answer;
    if (!std::getline(m_in, answer)) {
        m_out << '\n'; // end of input: finish the prompt's line, and take it as no
        return false;
    }
    return is_yes(answer);
}

bool is_yes(std::string_view answer) {
    auto blank = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
    while (!answer.empty() && blank(answer.front()))
        answer.remove_prefix(1);
    while (!answer.empty() && blank(answer.back()))
        answer.remove_suffix(1);
    std::string lower(answer);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return lower == "y" || lower == "yes";
}

bool stdin_is_terminal() {
    return util::is_terminal(util::StandardStream::Input);
}

bool stdout_is_terminal() {
    return util::is_terminal(util::StandardStream::Output);
}

bool auto_colour(bool is_terminal, const char* no_color, const char* term) {
    // An empty NO_COLOR counts as unset (no-color.org): `NO_COLOR= strata ...` keeps colour.
    if (no_color != nullptr && *no_color != '\0')
        return false;
    if (term != nullptr && std::string_view(term) == "dumb")
        return false;
    return is_terminal;
}

bool colour_for(ColourMode mode, bool auto_answer) {
    switch (mode) {
    case ColourMode::Always:
        return true;
    case ColourMode::Never:
        return false;
    case ColourMode::Auto:
        break;
    }
    return auto_answer;
}

bool stdout_wants_colour() {
    return auto_colour(util::is_terminal(util::StandardStream::Output), std::getenv("NO_COLOR"),
                       std::getenv("TERM"));
}

std::size_t terminal_width() {
    if (const char* columns = std::getenv("COLUMNS")) {
        std::string_view text(columns);
        std::size_t width = 0;
        auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), width);
        if (error == std::errc{} && end == text.data() + text.size() && width > 0)
            return width;
    }
    return util::terminal_columns(util::StandardStream::Output);
}

} // namespace strata::cli
