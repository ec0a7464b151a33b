// SPDX-License-Identifier: MIT
#include "strata/executor/sqlite_features.hpp"

#include <algorithm>
#include <array>

namespace strata {

namespace {

constexpr std::string_view k_3_24 = "https://sqlite.org/releaselog/3_24_0.html";
constexpr std::string_view k_3_25 = "https://sqlite.org/releaselog/3_25_0.html";
constexpr std::string_view k_3_30 = "https://sqlite.org/releaselog/3_30_0.html";
constexpr std::string_view k_3_31 = "https://sqlite.org/releaselog/3_31_0.html";
constexpr std::string_view k_3_32 = "https://sqlite.org/releaselog/3_32_0.html";
constexpr std::string_view k_3_33 = "https://sqlite.org/releaselog/3_33_0.html";
constexpr std::string_view k_3_35 = "https://sqlite.org/releaselog/3_35_0.html";
constexpr std::string_view k_3_37 = "https://sqlite.org/releaselog/3_37_0.html";
constexpr std::string_view k_3_38 = "https://sqlite.org/releaselog/3_38_0.html";
constexpr std::string_view k_3_39 = "https://sqlite.org/releaselog/3_39_0.html";
constexpr std::string_view k_3_41 = "https://sqlite.org/releaselog/3_41_0.html";
constexpr std::string_view k_3_43 = "https://sqlite.org/releaselog/3_43_0.html";
constexpr std::string_view k_3_44 = "https://sqlite.org/releaselog/3_44_0.html";
constexpr std::string_view k_3_45 = "https://sqlite.org/releaselog/3_45_0.html";
constexpr std::string_view k_3_46 = "https://sqlite.org/releaselog/3_46_0.html";

// The syntax rows come first and in the order of k_syntax below; the scan refers to them by
// index. JSON functions count from 3.38, when JSON1 became part of every default build.
constexpr SqliteFeature k_features[] = {
    {"UPSERT (ON CONFLICT ... DO)", 3024000, k_3_24},
    {"window functions (OVER)", 3025000, k_3_25},
    {"RENAME COLUMN", 3025000, k_3_25},
    {"FILTER on aggregate functions", 3030000, k_3_30},
    {"NULLS FIRST / NULLS LAST", 3030000, k_3_30},
    {"generated columns", 3031000, k_3_31},
    {"UPDATE ... FROM", 3033000, k_3_33},
    {"DROP COLUMN", 3035000, k_3_35},
    {"RETURNING", 3035000, k_3_35},
    {"MATERIALIZED common table expressions", 3035000, k_3_35},
    {"STRICT tables", 3037000, k_3_37},
    {"-> and ->> operators", 3038000, k_3_38},
    {"IS [NOT] DISTINCT FROM", 3039000, k_3_39},
    {"RIGHT and FULL OUTER JOIN", 3039000, k_3_39},
    // Functions.
    {"iif()", 3032000, k_3_32, "iif"},
    {"acos()", 3035000, k_3_35, "acos"},
    {"acosh()", 3035000, k_3_35, "acosh"},
    {"asin()", 3035000, k_3_35, "asin"},
    {"asinh()", 3035000, k_3_35, "asinh"},
    {"atan()", 3035000, k_3_35, "atan"},
    {"atan2()", 3035000, k_3_35, "atan2"},
    {"atanh()", 3035000, k_3_35, "atanh"},
    {"ceil()", 3035000, k_3_35, "ceil"},
    {"ceiling()", 3035000, k_3_35, "ceiling"},
    {"cos()", 3035000, k_3_35, "cos"},
    {"cosh()", 3035000, k_3_35, "cosh"},
    {"degrees()", 3035000, k_3_35, "degrees"},
    {"exp()", 3035000, k_3_35, "exp"},
    {"floor()", 3035000, k_3_35, "floor"},
    {"ln()", 3035000, k_3_35, "ln"},
    {"log()", 3035000, k_3_35, "log"},
    {"log10()", 3035000, k_3_35, "log10"},
    {"log2()", 3035000, k_3_35, "log2"},
    {"mod()", 3035000, k_3_35, "mod"},
    {"pi()", 3035000, k_3_35, "pi"},
    {"pow()", 3035000, k_3_35, "pow"},
    {"power()", 3035000, k_3_35, "power"},
    {"radians()", 3035000, k_3_35, "radians"},
    {"sin()", 3035000, k_3_35, "sin"},
    {"sinh()", 3035000, k_3_35, "sinh"},
    {"sqrt()", 3035000, k_3_35, "sqrt"},
    {"tan()", 3035000, k_3_35, "tan"},
    {"tanh()", 3035000, k_3_35, "tanh"},
    {"trunc()", 3035000, k_3_35, "trunc"},
    {"unixepoch()", 3038000, k_3_38, "unixepoch"},
    {"format()", 3038000, k_3_38, "format"},
    {"json()", 3038000, k_3_38, "json"},
    {"json_array()", 3038000, k_3_38, "json_array"},
    {"json_array_length()", 3038000, k_3_38, "json_array_length"},
    {"json_extract()", 3038000, k_3_38, "json_extract"},
    {"json_insert()", 3038000, k_3_38, "json_insert"},
    {"json_object()", 3038000, k_3_38, "json_object"},
    {"json_patch()", 3038000, k_3_38, "json_patch"},
    {"json_remove()", 3038000, k_3_38, "json_remove"},
    {"json_replace()", 3038000, k_3_38, "json_replace"},
    {"json_set()", 3038000, k_3_38, "json_set"},
    {"json_type()", 3038000, k_3_38, "json_type"},
    {"json_valid()", 3038000, k_3_38, "json_valid"},
    {"json_quote()", 3038000, k_3_38, "json_quote"},
    {"json_group_array()", 3038000, k_3_38, "json_group_array"},
    {"json_group_object()", 3038000, k_3_38, "json_group_object"},
    {"unhex()", 3041000, k_3_41, "unhex"},
    {"octet_length()", 3043000, k_3_43, "octet_length"},
    {"timediff()", 3043000, k_3_43, "timediff"},
    {"concat()", 3044000, k_3_44, "concat"},
    {"concat_ws()", 3044000, k_3_44, "concat_ws"},
    {"string_agg()", 3044000, k_3_44, "string_agg"},
    {"jsonb()", 3045000, k_3_45, "jsonb"},
    {"jsonb_array()", 3045000, k_3_45, "jsonb_array"},
    {"jsonb_extract()", 3045000, k_3_45, "jsonb_extract"},
    {"jsonb_insert()", 3045000, k_3_45, "jsonb_insert"},
    {"jsonb_object()", 3045000, k_3_45, "jsonb_object"},
    {"jsonb_patch()", 3045000, k_3_45, "jsonb_patch"},
    {"jsonb_remove()", 3045000, k_3_45, "jsonb_remove"},
    {"jsonb_replace()", 3045000, k_3_45, "jsonb_replace"},
    {"jsonb_set()", 3045000, k_3_45, "jsonb_set"},
    {"jsonb_group_array()", 3045000, k_3_45, "jsonb_group_array"},
    {"jsonb_group_object()", 3045000, k_3_45, "jsonb_group_object"},
    {"json_pretty()", 3046000, k_3_46, "json_pretty"},
};

enum Syntax : std::size_t {
    k_upsert,
    k_window,
    k_rename_column,
    k_filter,
    k_nulls_order,
    k_generated,
    k_update_from,
    k_drop_column,
    k_returning,
    k_materialized,
    k_strict,
    k_json_arrows,
    k_distinct_from,
    k_outer_join,
};

enum class TokenKind { Word, Quoted, Punct, Other };

struct Token {
    TokenKind kind;
    std::string_view text;
    std::size_t offset;
    int depth; // parentheses open before this token
};

char upper(char c) {
    return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

bool same_word(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [](char x, char y) { return upper(x) == upper(y); });
}

bool word_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$' || static_cast<unsigned char>(c) >= 0x80;
}

// Calls `on_comment(text, offset)` for each comment, and returns the other tokens. A quote
// never closed runs to the end, as SQLite would refuse it anyway.
template <typename OnComment>
std::vector<Token> tokenize(std::string_view text, OnComment on_comment) {
    std::vector<Token> tokens;
    int depth = 0;
    std::size_t i = 0;
    const std::size_t n = text.size();
    auto quoted_end = [&](std::size_t from, char close) {
        std::size_t j = from + 1;
        while (j < n) {
            if (text[j] == close) {
                // '' inside '...' (and "" inside "...") is the quote itself, not its end.
                if (close != ']' && j + 1 < n && text[j + 1] == close) {
                    j += 2;
                    continue;
                }
                return j + 1;
            }
            ++j;
        }
        return n;
    };
    while (i < n) {
        const char c = text[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            ++i;
        } else if (c == '-' && i + 1 < n && text[i + 1] == '-') {
            std::size_t j = text.find('\n', i);
            j = j == std::string_view::npos ? n : j;
            on_comment(text.substr(i, j - i), i);
            i = j;
        } else if (c == '/' && i + 1 < n && text[i + 1] == '*') {
            std::size_t j = text.find("*/", i + 2);
            j = j == std::string_view::npos ? n : j + 2;
            on_comment(text.substr(i, j - i), i);
            i = j;
        } else if (c == '\'') {
            const std::size_t j = quoted_end(i, '\'');
            tokens.push_back({TokenKind::Other, text.substr(i, j - i), i, depth});
            i = j;
        } else if (c == '"' || c == '`' || c == '[') {
            const std::size_t j = quoted_end(i, c == '[' ? ']' : c);
            tokens.push_back({TokenKind::Quoted, text.substr(i, j - i), i, depth});
            i = j;
        } else if (word_char(c)) {
            std::size_t j = i;
            while (j < n && word_char(text[j]))
                ++j;
            const bool number = c >= '0' && c <= '9';
            tokens.push_back(
                {number ? TokenKind::Other : TokenKind::Word, text.substr(i, j - i), i, depth});
            i = j;
        } else {
            std::size_t length = 1;
            if (text.substr(i, 3) == "->>")
                length = 3;
            else if (text.substr(i, 2) == "->")
                length = 2;
            if (c == ')')
                depth = std::max(0, depth - 1);
            tokens.push_back({TokenKind::Punct, text.substr(i, length), i, depth});
            if (c == '(')
                ++depth;
            i += length;
        }
    }
    return tokens;
}

std::vector<Token> tokens_of(std::string_view text) {
    return tokenize(text, [](std::string_view, std::size_t) {});
}

// Token helpers that read past the end as nothing.
struct Tokens {
    const std::vector<Token>& list;
    bool word(std::size_t i, std::string_view w) const {
        return i < list.size() && list[i].kind == TokenKind::Word && same_word(list[i].text, w);
    }
    bool punct(std::size_t i, std::string_view p) const {
        return i < list.size() && list[i].kind == TokenKind::Punct && list[i].text == p;
    }
    bool name(std::size_t i) const {
        return i < list.size() &&
               (list[i].kind == TokenKind::Word || list[i].kind == TokenKind::Quoted);
    }
};

// Where the action of ALTER TABLE [schema.]name ACTION is, or the end.
std::size_t alter_action(const Tokens& t) {
    if (!t.word(0, "ALTER") || !t.word(1, "TABLE"))
        return t.list.size();
    return t.punct(3, ".") ? 5 : 3;
}

bool creates_table(const Tokens& t) {
    std::size_t i = 1;
    if (t.word(i, "TEMP") || t.word(i, "TEMPORARY"))
        ++i;
    return t.word(0, "CREATE") && t.word(i, "TABLE");
}

} // namespace

std::span<const SqliteFeature> sqlite_features() {
    return k_features;
}

const SqliteFeature* function_feature(std::string_view name) {
    for (const SqliteFeature& feature : k_features)
        if (!feature.function.empty() && same_word(feature.function, name))
            return &feature;
    return nullptr;
}

std::vector<FeatureUse> syntax_features(std::string_view statement) {
    const std::vector<Token> list = tokens_of(statement);
    const Tokens t{list};
    std::array<bool, k_outer_join + 1> seen{};
    std::vector<FeatureUse> uses;
    auto note = [&](Syntax syntax, std::size_t token) {
        if (seen[syntax])
            return;
        seen[syntax] = true;
        uses.push_back({&k_features[syntax], list[token].offset});
    };

    const bool table = creates_table(t);
    const bool update = t.word(0, "UPDATE");
    bool table_body_seen = false;
    const std::size_t action = alter_action(t);
    if (t.word(action, "RENAME") && !t.word(action + 1, "TO"))
        note(k_rename_column, action);
    if (t.word(action, "DROP"))
        note(k_drop_column, action);

    for (std::size_t i = 0; i < list.size(); ++i) {
        const Token& token = list[i];
        if (token.kind == TokenKind::Punct) {
            if (token.text == "->" || token.text == "->>")
                note(k_json_arrows, i);
            if (token.text == "(" && token.depth == 0)
                table_body_seen = true;
            continue;
        }
        if (token.kind != TokenKind::Word)
            continue;
        if (t.word(i, "ON") && t.word(i + 1, "CONFLICT") &&
            (t.punct(i + 2, "(") || t.word(i + 2, "DO")))
            note(k_upsert, i);
        else if (t.word(i, "OVER") && (t.punct(i + 1, "(") || t.name(i + 1)))
            note(k_window, i);
        else if (t.word(i, "FILTER") && t.punct(i + 1, "(") && t.word(i + 2, "WHERE"))
            note(k_filter, i);
        else if (t.word(i, "NULLS") && (t.word(i + 1, "FIRST") || t.word(i + 1, "LAST")))
            note(k_nulls_order, i);
        else if (table && token.depth == 1 &&
                 ((t.word(i, "GENERATED") && t.word(i + 1, "ALWAYS")) ||
                  (t.word(i, "AS") && t.punct(i + 1, "("))))
            note(k_generated, i);
        else if (update && token.depth == 0 && t.word(i, "FROM"))
            note(k_update_from, i);
        else if (t.word(i, "RETURNING"))
            note(k_returning, i);
        else if (t.word(i, "MATERIALIZED") && i > 0 &&
                 (t.word(i - 1, "AS") || t.word(i - 1, "NOT")))
            note(k_materialized, i);
        else if (table && table_body_seen && token.depth == 0 && t.word(i, "STRICT"))
            note(k_strict, i);
        else if (t.word(i, "IS") &&
                 (t.word(i + 1, "DISTINCT") || (t.word(i + 1, "NOT") && t.word(i + 2, "DISTINCT"))))
            note(k_distinct_from, i);
        else if ((t.word(i, "RIGHT") || t.word(i, "FULL")) &&
                 (t.word(i + 1, "JOIN") || (t.word(i + 1, "OUTER") && t.word(i + 2, "JOIN"))))
            note(k_outer_join, i);
    }
    std::sort(uses.begin(), uses.end(),
              [](const FeatureUse& a, const FeatureUse& b) { return a.offset < b.offset; });
    return uses;
}

std::optional<DestructiveUse> destructive_statement(std::string_view statement) {
    const std::vector<Token> list = tokens_of(statement);
    const Tokens t{list};
    if (t.word(0, "DROP") && t.word(1, "TABLE"))
        return DestructiveUse{"DROP TABLE", list[0].offset};
    const std::size_t action = alter_action(t);
    if (t.word(action, "DROP"))
        return DestructiveUse{"DROP COLUMN", list[action].offset};
    // A WITH clause may come first; its tables' bodies are in parentheses, so the statement's
    // own verb is the first one outside them.
    std::size_t verb = 0;
    if (t.word(0, "WITH"))
        while (verb < list.size() &&
               !(list[verb].depth == 0 &&
                 (t.word(verb, "DELETE") || t.word(verb, "SELECT") || t.word(verb, "INSERT") ||
                  t.word(verb, "UPDATE") || t.word(verb, "REPLACE"))))
            ++verb;
    if (!t.word(verb, "DELETE"))
        return std::nullopt;
    for (std::size_t i = verb + 1; i < list.size(); ++i)
        if (list[i].depth == 0 && t.word(i, "WHERE"))
            return std::nullopt;
    return DestructiveUse{"DELETE without WHERE", list[verb].offset};
}

std::optional<std::size_t> function_call_offset(std::string_view statement, std::string_view name) {
    const std::vector<Token> list = tokens_of(statement);
    const Tokens t{list};
    for (std::size_t i = 0; i < list.size(); ++i)
        if (list[i].kind == TokenKind::Word && same_word(list[i].text, name) && t.punct(i + 1, "("))
            return list[i].offset;
    return std::nullopt;
}

std::vector<NolintComment> nolint_comments(std::string_view text) {
    constexpr std::string_view k_marker = "strata:nolint";
    std::vector<NolintComment> found;
    tokenize(text, [&](std::string_view comment, std::size_t offset) {
        if (!comment.starts_with("--"))
            return;
        std::string_view rest = comment.substr(2);
        rest.remove_prefix(std::min(rest.find_first_not_of(" \t"), rest.size()));
        if (!rest.starts_with(k_marker))
            return;
        rest.remove_prefix(k_marker.size());
        if (!rest.empty() && rest.front() != ' ' && rest.front() != '\t')
            return;
        NolintComment nolint{
            1 + static_cast<int>(std::count(
                    text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n')),
            {}};
        std::string id;
        for (char c : std::string(rest) + " ") {
            if (c == ' ' || c == '\t' || c == ',' || c == '\r') {
                if (!id.empty())
                    nolint.ids.push_back(id);
                id.clear();
            } else {
                id += c;
            }
        }
        found.push_back(std::move(nolint));
    });
    return found;
}

} // namespace strata
