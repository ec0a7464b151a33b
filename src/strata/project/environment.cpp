// SPDX-License-Identifier: MIT
#include "strata/project/project.hpp"

#include <algorithm>
#include <cstdlib>

namespace strata {

namespace {

bool is_name_start(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool is_name_char(char c) {
    return is_name_start(c) || (c >= '0' && c <= '9');
}

bool is_valid_name(std::string_view name) {
    return !name.empty() && is_name_start(name.front()) &&
           std::all_of(name.begin() + 1, name.end(), is_name_char);
}

std::string in_quotes(std::string_view text) {
    return '"' + std::string(text) + '"';
}

} // namespace

namespace {

constexpr std::string_view k_syntax_hint =
    "write ${NAME} or ${NAME:-default} to use an environment variable, and $$ for a literal \"$\"";

// Deeper nesting than this is not a path anyone means to write; refusing it also bounds the
// recursion on hostile input.
constexpr int k_max_nesting = 8;

// The position of the `}` that closes the reference opened by the "${" just before `from`,
// counting the references nested in its default; npos when it is never closed.
std::size_t closing_brace(std::string_view text, std::size_t from) {
    int depth = 1;
    for (std::size_t i = from; i < text.size(); ++i) {
        if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '$') {
            ++i; // "$$" is a literal "$", never the start of a reference
        } else if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
            ++depth;
            ++i;
        } else if (text[i] == '}' && --depth == 0) {
            return i;
        }
    }
    return std::string_view::npos;
}

std::string expand(std::string_view text, const EnvLookup& env, const SourceLocation& where,
                   std::string_view whole, int depth) {
    if (depth > k_max_nesting)
        throw Error(ErrorKind::ProjectFile,
                    "environment references nested more than " + std::to_string(k_max_nesting) +
                        " deep in " + in_quotes(whole),
                    where, std::string(k_syntax_hint));
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        char c = text[i];
        if (c != '$') {
            out += c;
            ++i;
            continue;
        }
        if (i + 1 < text.size() && text[i + 1] == '$') {
            out += '$';
            i += 2;
            continue;
        }
        if (i + 1 >= text.size() || text[i + 1] != '{')
            throw Error(ErrorKind::ProjectFile, "stray \"$\" in " + in_quotes(whole), where,
                        std::string(k_syntax_hint));
        const std::size_t close = closing_brace(text, i + 2);
        if (close == std::string_view::npos)
            throw Error(ErrorKind::ProjectFile, "unterminated \"${\" in " + in_quotes(whole), where,
                        std::string(k_syntax_hint));
        std::string_view inside = text.substr(i + 2, close - (i + 2));
        std::optional<std::string_view> fallback;
        if (std::size_t dash = inside.find(":-"); dash != std::string_view::npos) {
            fallback = inside.substr(dash + 2);
            inside = inside.substr(0, dash);
        }
        if (!is_valid_name(inside))
            throw Error(ErrorKind::ProjectFile,
                        "invalid environment variable name " + in_quotes(inside) + " in " +
                            in_quotes(whole),
                        where, "names are letters, digits and \"_\", not starting with a digit");
        std::optional<std::string> value = env(std::string(inside));
        if (fallback && (!value || value->empty()))
            // The default is expanded in turn, as POSIX shells do: ${A:-${HOME}/app.db}.
            out += expand(*fallback, env, where, whole, depth + 1);
        else if (value)
            out += *value;
        else
            throw Error(ErrorKind::ProjectFile,
                        "environment variable " + in_quotes(inside) + " is not set", where,
                        "set it, or give a default: ${" + std::string(inside) + ":-value}");
        i = close + 1;
    }
    return out;
}

} // namespace

// Syntax, kept deliberately small and strict so that a path never changes meaning silently:
//   ${NAME}          the variable's value; an error when it is unset
//   ${NAME:-default} the value, or `default` when the variable is unset or empty, as in POSIX
//                    shells; the default may itself hold references: ${A:-${HOME}/app.db}
//   $$               a literal `$`
// Any other `$` is an error rather than literal text, because `$HOME/app.db` almost certainly
// meant `${HOME}` and silently creating a file named `$HOME` would be worse than refusing.
// NAME is [A-Za-z_][A-Za-z0-9_]*.
std::string expand_environment(std::string_view text, const EnvLookup& env,
                               const SourceLocation& where) {
    return expand(text, env, where, text, 0);
}

EnvLookup process_environment() {
    return [](const std::string& name) -> std::optional<std::string> {
        if (const char* value = std::getenv(name.c_str()))
            return std::string(value);
        return std::nullopt;
    };
}

} // namespace strata
