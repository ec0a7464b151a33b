// SPDX-License-Identifier: MIT
#include "strata/migration_id.hpp"

#include "strata/error.hpp"

#include <algorithm>
#include <ostream>

namespace strata {

namespace {

bool is_id_text(std::string_view text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

} // namespace

MigrationId::MigrationId(std::string_view text) : m_text(text) {
    if (!is_id_text(text))
        throw Error(ErrorKind::Usage, "\"" + m_text + "\" is not a migration id", {},
                    "a migration id is ASCII digits, such as 0001 or 20261121093000");
}

std::optional<MigrationId> MigrationId::parse(std::string_view text) {
    if (!is_id_text(text))
        return std::nullopt;
    return MigrationId(text);
}

std::string_view MigrationId::key_of(std::string_view digits) noexcept {
    const std::size_t first = digits.find_first_not_of('0');
    // All zeros: the last one stands for the value (the text is never empty).
    return first == std::string_view::npos ? digits.substr(digits.size() - 1)
                                           : digits.substr(first);
}

std::weak_ordering MigrationId::compare_keys(std::string_view a, std::string_view b) noexcept {
    // Without leading zeros a longer digit string is a larger number; equal lengths compare
    // digit by digit, which is lexicographic order.
    if (a.size() != b.size())
        return a.size() <=> b.size();
    return a.compare(b) <=> 0;
}

std::weak_ordering operator<=>(const MigrationId& a, const MigrationId& b) noexcept {
    return MigrationId::compare_keys(a.key(), b.key());
}

std::ostream& operator<<(std::ostream& out, const MigrationId& id) {
    return out << id.text();
}

std::optional<MigrationRef> parse_migration_ref(std::string_view id_or_name) {
    const std::size_t underscore = id_or_name.find('_');
    std::optional<MigrationId> id = MigrationId::parse(id_or_name.substr(0, underscore));
    if (!id)
        return std::nullopt;
    MigrationRef ref{std::move(*id), std::nullopt};
    if (underscore != std::string_view::npos)
        ref.name = std::string(id_or_name);
    return ref;
}

} // namespace strata
