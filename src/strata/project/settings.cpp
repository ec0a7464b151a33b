// SPDX-License-Identifier: MIT
#include "strata/project/settings.hpp"

#include "strata/error.hpp"
#include "util/text.hpp"

#include <algorithm>
#include <limits>
#include <span>

namespace strata {

namespace {

// One name a setting knows. A name without a value is known only to be refused, so the
// message can say why instead of calling it unknown.
template <typename T>
struct Choice {
    std::string_view name;
    std::optional<T> value;
};

// Why a setting's refused names are refused, and what to write instead.
struct Refusal {
    std::string_view reason;
    std::string_view hint;
};

constexpr Choice<ForeignKeyMode> k_foreign_keys[] = {
    {"deferred", ForeignKeyMode::Deferred},
    {"immediate", ForeignKeyMode::Immediate},
    {"off", ForeignKeyMode::Off},
};

constexpr Choice<OutOfOrder> k_out_of_order[] = {
    {"error", OutOfOrder::Error},
    {"allow", OutOfOrder::Allow},
};

constexpr Choice<TransactionScope> k_transaction[] = {
    {"each", TransactionScope::Each},
    {"all", TransactionScope::All},
};

// JournalMode::Unchanged has no name: it is what leaving the key out means.
constexpr Choice<JournalMode> k_journal_mode[] = {
    {"delete", JournalMode::Delete},
    {"truncate", JournalMode::Truncate},
    {"persist", JournalMode::Persist},
    {"wal", JournalMode::Wal},
    {"off", std::nullopt},
    {"memory", std::nullopt},
};

// OFF and MEMORY keep no rollback journal on disk: a crash or power cut mid-migration could
// leave a corrupt file.
constexpr Refusal k_journal_mode_refusal{
    "without a journal on disk a crash or power loss during a migration can corrupt the database",
    "use \"wal\" or \"delete\""};

constexpr Choice<Synchronous> k_synchronous[] = {
    {"full", Synchronous::Full},
    {"extra", Synchronous::Extra},
    {"normal", std::nullopt},
    {"off", std::nullopt},
};

// A migration reported as applied must survive a power cut.
constexpr Refusal k_synchronous_refusal{
    "a migration reported as applied could be lost, or the file corrupted, by a power cut",
    "use \"full\" (the default) or \"extra\""};

std::string join(const std::vector<std::string_view>& items) {
    std::string out;
    for (std::string_view item : items) {
        if (!out.empty())
            out += ", ";
        out += item;
    }
    return out;
}

// "\"a\", \"b\"": values as they are written in strata.toml.
std::string join_quoted(const std::vector<std::string_view>& items) {
    std::string out;
    for (std::string_view item : items) {
        if (!out.empty())
            out += ", ";
        out += '"' + std::string(item) + '"';
    }
    return out;
}

template <typename T>
std::vector<std::string_view> accepted_names(std::span<const Choice<T>> choices) {
    std::vector<std::string_view> names;
    for (const Choice<T>& choice : choices)
        if (choice.value)
            names.push_back(choice.name);
    return names;
}

template <typename T>
Parsed<T> parse_choice(std::string_view key, std::span<const Choice<T>> choices,
                       std::string_view text, const Refusal& refusal = {}) {
    Parsed<T> parsed;
    parsed.valid = accepted_names(choices);
    std::vector<std::string_view> known;
    for (const Choice<T>& choice : choices) {
        known.push_back(choice.name);
        // SQLite reads its pragma values in any case, so "WAL" and "Full" mean what they say
        // there; strata's own keywords follow, so that no setting is the odd one out.
        if (!util::equals_ignoring_ascii_case(choice.name, text))
            continue;
        if (choice.value) {
            parsed.value = choice.value;
        } else {
            parsed.refused = true;
            parsed.message = std::string(key) + " \"" + std::string(choice.name) +
                             "\" is refused: " + std::string(refusal.reason);
            parsed.hint = refusal.hint;
        }
        return parsed;
    }
    parsed.message = "`" + std::string(key) + "` must be one of " + join_quoted(known) +
                     ", found \"" + std::string(text) + "\"";
    return parsed;
}

template <typename T>
std::string_view name_in(std::span<const Choice<T>> choices, T value) {
    for (const Choice<T>& choice : choices)
        if (choice.value == value)
            return choice.name;
    return {};
}

// A library caller can static_cast any integer into an enum; such a value must not reach the
// switches that turn settings into behaviour.
template <typename T>
void check_enum(std::string_view key, std::span<const Choice<T>> choices, T value) {
    if (!name_in(choices, value).empty())
        return;
    throw Error(ErrorKind::Usage, "the setting `" + std::string(key) + "` holds " +
                                      std::to_string(static_cast<int>(value)) +
                                      ", which is not one of " + join(accepted_names(choices)));
}

} // namespace

Parsed<ForeignKeyMode> parse_foreign_keys(std::string_view text) {
    return parse_choice<ForeignKeyMode>("foreign_keys", k_foreign_keys, text);
}

Parsed<OutOfOrder> parse_out_of_order(std::string_view text) {
    return parse_choice<OutOfOrder>("out_of_order", k_out_of_order, text);
}

Parsed<TransactionScope> parse_transaction(std::string_view text) {
    return parse_choice<TransactionScope>("transaction", k_transaction, text);
}

Parsed<JournalMode> parse_journal_mode(std::string_view text) {
    return parse_choice<JournalMode>("journal_mode", k_journal_mode, text, k_journal_mode_refusal);
}

Parsed<Synchronous> parse_synchronous(std::string_view text) {
    return parse_choice<Synchronous>("synchronous", k_synchronous, text, k_synchronous_refusal);
}

std::string_view name_of(ForeignKeyMode mode) {
    return name_in<ForeignKeyMode>(k_foreign_keys, mode);
}

std::string_view name_of(OutOfOrder policy) {
    return name_in<OutOfOrder>(k_out_of_order, policy);
}

std::string_view name_of(TransactionScope scope) {
    return name_in<TransactionScope>(k_transaction, scope);
}

std::string_view name_of(JournalMode mode) {
    return name_in<JournalMode>(k_journal_mode, mode);
}

std::string_view name_of(Synchronous level) {
    return name_in<Synchronous>(k_synchronous, level);
}

std::optional<std::string> keep_backups_problem(std::int64_t value) {
    if (value >= 1 && value <= 1000)
        return std::nullopt;
    return "`keep_backups` must be between 1 and 1000, found " + std::to_string(value);
}

// Negative timeouts would silently mean "never wait"; the upper bound is what SQLite takes.
std::optional<std::string> busy_timeout_ms_problem(std::int64_t value) {
    constexpr auto k_max = std::numeric_limits<int>::max();
    if (value >= 0 && value <= k_max)
        return std::nullopt;
    return "`busy_timeout_ms` must be between 0 and " + std::to_string(k_max) + ", found " +
           std::to_string(value);
}

namespace {

// Letters, digits and "_", not starting with a digit: a name that needs no quoting anywhere.
bool is_plain_identifier(std::string_view name) {
    auto letter = [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    };
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    return !name.empty() && letter(name.front()) &&
           std::all_of(name.begin(), name.end(), [&](char c) { return letter(c) || digit(c); });
}

} // namespace

// Only a plain identifier: the name goes into the SQL of the state store (quoted, but never
// holding a quote to escape), into messages and into the authorizer's comparisons. SQLite
// reserves names starting with sqlite_ for itself.
std::optional<std::string> state_table_problem(std::string_view name) {
    const bool plain = is_plain_identifier(name);
    if (!plain)
        return "`state_table` must be a plain name (letters, digits and \"_\", not starting "
               "with a digit), found \"" +
               std::string(name) + "\"";
    if (util::starts_with_ignoring_ascii_case(name, "sqlite_"))
        return "`state_table` must not start with \"sqlite_\" (SQLite reserves those names), "
               "found \"" +
               std::string(name) + "\"";
    return std::nullopt;
}

std::optional<int> parse_sqlite_version(std::string_view text) {
    // Each part is one to three digits: SQLite's version number gives each three decimal places.
    int parts[3] = {0, 0, 0};
    int count = 0;
    std::size_t at = 0;
    while (count < 3) {
        std::size_t digits = 0;
        int value = 0;
        while (at < text.size() && text[at] >= '0' && text[at] <= '9' && digits < 4) {
            value = value * 10 + (text[at] - '0');
            ++at;
            ++digits;
        }
        if (digits == 0 || digits > 3)
            return std::nullopt;
        parts[count++] = value;
        if (at == text.size())
            break;
        if (text[at] != '.')
            return std::nullopt;
        ++at;
    }
    if (at != text.size() || count < 2 || parts[0] != 3)
        return std::nullopt;
    return parts[0] * 1000000 + parts[1] * 1000 + parts[2];
}

std::string sqlite_version_name(int number) {
    std::string name =
        std::to_string(number / 1000000) + "." + std::to_string(number / 1000 % 1000);
    if (number % 1000 != 0)
        name += "." + std::to_string(number % 1000);
    return name;
}

std::optional<std::string> function_name_problem(std::string_view name) {
    const bool plain = is_plain_identifier(name);
    if (!plain)
        return "`functions` entries must be plain function names (letters, digits and \"_\", "
               "not starting with a digit), found \"" +
               std::string(name) + "\"";
    return std::nullopt;
}

void check_settings(const Settings& settings) {
    check_enum<ForeignKeyMode>("foreign_keys", k_foreign_keys, settings.foreign_keys);
    check_enum<OutOfOrder>("out_of_order", k_out_of_order, settings.out_of_order);
    check_enum<TransactionScope>("transaction", k_transaction, settings.transaction);
    if (settings.journal_mode != JournalMode::Unchanged)
        check_enum<JournalMode>("journal_mode", k_journal_mode, settings.journal_mode);
    check_enum<Synchronous>("synchronous", k_synchronous, settings.synchronous);
    if (auto problem = keep_backups_problem(settings.keep_backups))
        throw Error(ErrorKind::Usage, std::move(*problem));
    if (auto problem = state_table_problem(settings.state_table))
        throw Error(ErrorKind::Usage, std::move(*problem));
    if (settings.minimum_sqlite != 0 &&
        (settings.minimum_sqlite < 3000000 || settings.minimum_sqlite > 3999999))
        throw Error(ErrorKind::Usage, "`minimum_sqlite` must be a SQLite 3 version, found " +
                                          std::to_string(settings.minimum_sqlite));
    for (const std::string& name : settings.functions)
        if (auto problem = function_name_problem(name))
            throw Error(ErrorKind::Usage, std::move(*problem));
}

} // namespace strata
