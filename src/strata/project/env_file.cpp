// SPDX-License-Identifier: MIT
#include "strata/project/project.hpp"
#include "util/file_reader.hpp"
#include "util/text.hpp"

#include <map>
#include <memory>
#include <optional>
#include <utility>

namespace strata {

namespace {

constexpr std::string_view k_syntax_hint =
    "write KEY=value, KEY=\"value\" or KEY='value' (optionally after `export `), one per line";

bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

bool is_name_start(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool is_name_char(char c) {
    return is_name_start(c) || (c >= '0' && c <= '9');
}

// Reads the file line by line; a double-quoted value may take more than one.
class EnvParser {
  public:
    EnvParser(std::string_view text, const std::string& path) : m_text(text), m_path(path) {}

    std::vector<EnvFileEntry> parse() {
        std::vector<EnvFileEntry> entries;
        while (m_at < m_text.size()) {
            skip_blanks();
            if (at_line_end() || peek() == '#') {
                skip_to_next_line();
                continue;
            }
            entries.push_back(assignment());
        }
        return entries;
    }

  private:
    char peek() const { return m_at < m_text.size() ? m_text[m_at] : '\n'; }
    bool at_line_end() const {
        return m_at >= m_text.size() || m_text[m_at] == '\n' ||
               (m_text[m_at] == '\r' && m_at + 1 < m_text.size() && m_text[m_at + 1] == '\n') ||
               (m_text[m_at] == '\r' && m_at + 1 == m_text.size());
    }
    void skip_blanks() {
        while (m_at < m_text.size() && is_blank(m_text[m_at]))
            ++m_at;
    }
    void skip_to_next_line() {
        while (m_at < m_text.size() && m_text[m_at] != '\n')
            ++m_at;
        if (m_at < m_text.size()) {
            ++m_at;
            ++m_line;
        }
    }
    [[noreturn]] void fail(const std::string& message, int line) const {
        throw Error(ErrorKind::ProjectFile, message, SourceLocation{m_path, line},
                    std::string(k_syntax_hint));
    }

    std::string name() {
        const std::size_t start = m_at;
        while (m_at < m_text.size() && is_name_char(m_text[m_at]))
            ++m_at;
        return std::string(m_text.substr(start, m_at - start));
    }

    EnvFileEntry assignment() {
        const int line = m_line;
        std::string key = name();
        if (key == "export" && m_at < m_text.size() && is_blank(m_text[m_at])) {
            skip_blanks();
            key = name();
        }
        if (key.empty() || !is_name_start(key.front()))
            fail("expected a variable name (letters, digits and \"_\", not starting with a digit)",
                 line);
        skip_blanks();
        if (peek() != '=')
            fail("expected \"=\" after \"" + key + "\"", line);
        ++m_at;
        skip_blanks();
        std::string value;
        if (peek() == '\'' || peek() == '"') {
            value = peek() == '"' ? double_quoted() : single_quoted();
            skip_blanks();
            if (!at_line_end() && peek() != '#')
                fail("unexpected text after the closing quote of " + key, m_line);
        } else {
            value = unquoted();
        }
        skip_to_next_line();
        return {std::move(key), std::move(value), SourceLocation{m_path, line}};
    }

    // Up to the end of the line or a " #" comment, without surrounding blanks.
    std::string unquoted() {
        const std::size_t start = m_at;
        std::size_t end = start;
        while (m_at < m_text.size() && m_text[m_at] != '\n') {
            if (m_text[m_at] == '#' && m_at > start && is_blank(m_text[m_at - 1]))
                break;
            ++m_at;
            end = m_at;
        }
        while (end > start && (is_blank(m_text[end - 1]) || m_text[end - 1] == '\r'))
            --end;
        return std::string(m_text.substr(start, end - start));
    }

    std::string single_quoted() {
        const int line = m_line;
        const std::size_t start = ++m_at;
        while (m_at < m_text.size() && m_text[m_at] != '\'') {
            if (m_text[m_at] == '\n')
                ++m_line;
            ++m_at;
        }
        if (m_at >= m_text.size())
            fail("a value opened with ' is never closed", line);
        std::string value(m_text.substr(start, m_at - start));
        ++m_at;
        return value;
    }

    std::string double_quoted() {
        const int line = m_line;
        ++m_at;
        std::string value;
        while (m_at < m_text.size() && m_text[m_at] != '"') {
            char c = m_text[m_at++];
            if (c == '\n')
                ++m_line;
            if (c == '\\' && m_at < m_text.size()) {
                const char escaped = m_text[m_at++];
                switch (escaped) {
                case 'n':
                    c = '\n';
                    break;
                case 't':
                    c = '\t';
                    break;
                case '"':
                case '\\':
                case '$':
                    c = escaped;
                    break;
                default:
                    // Not an escape: kept as written, as shells do inside double quotes.
                    value += '\\';
                    c = escaped;
                    if (c == '\n')
                        ++m_line;
                }
            }
            value += c;
        }
        if (m_at >= m_text.size())
            fail("a value opened with \" is never closed", line);
        ++m_at;
        return value;
    }

    std::string_view m_text;
    const std::string& m_path;
    std::size_t m_at = 0;
    int m_line = 1;
};

} // namespace

std::vector<EnvFileEntry> parse_env_file(std::string_view text, const std::string& path) {
    text = util::without_bom(text);
    if (const std::optional<util::TextProblem> problem = util::find_text_problem(text))
        throw Error(ErrorKind::ProjectFile,
                    problem->kind == util::TextProblem::Kind::InvalidUtf8
                        ? "file is not valid UTF-8 (byte " + util::hex_byte(problem->byte) + ")"
                        : std::string("file contains a NUL byte"),
                    SourceLocation{path, problem->line, problem->column},
                    "save the file as UTF-8 text");
    return EnvParser(text, path).parse();
}

std::vector<EnvFileEntry> load_env_file(const std::filesystem::path& file, MissingEnvFile missing) {
    const SourceLocation where{file.string()};
    std::optional<std::string> text;
    try {
        // Not read_file: the optional .env is looked for on every run, and a missing one is no
        // exception there.
        text = util::read_file_if_present(file);
    } catch (const util::FileError& error) {
        throw Error(ErrorKind::ProjectFile, "cannot read env file: " + error.reason(), where);
    }
    if (!text && missing == MissingEnvFile::Skip)
        return {};
    if (!text)
        throw Error(ErrorKind::ProjectFile, "env file not found", where,
                    "check the path given to --env-file");
    return parse_env_file(*text, file.string());
}

EnvLookup with_env_file(EnvLookup first, std::vector<EnvFileEntry> entries) {
    auto values = std::make_shared<std::map<std::string, std::string>>();
    for (EnvFileEntry& entry : entries)
        (*values)[entry.name] = std::move(entry.value);
    return [first = std::move(first), values](const std::string& name) {
        if (std::optional<std::string> value = first(name))
            return value;
        const auto found = values->find(name);
        return found == values->end() ? std::nullopt : std::optional<std::string>(found->second);
    };
}

} // namespace strata
