// SPDX-License-Identifier: MIT
// The id of a migration: the digits that start its files' names ("0001", "20261121093000").
// Ids compare by numeric value, so "0001" and "1" are one migration, and they print as written.
#pragma once

#include <compare>
#include <cstddef>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace strata {

// A migration id: non-empty ASCII digits of any length. Ids are never converted to integers, so
// ids longer than 64 bits hold compare correctly.
class MigrationId {
  public:
    // The id "0", the place before the first migration; lets value types holding an id be
    // default-constructed.
    MigrationId() = default;
    // The id written `text`. Throws Error(Usage) when `text` is not non-empty ASCII digits.
    explicit MigrationId(std::string_view text);

    // The id written `text`, or nullopt when it is not non-empty ASCII digits.
    static std::optional<MigrationId> parse(std::string_view text);

    // The id as written, leading zeros kept: what files, the state table and reports show.
    const std::string& text() const noexcept { return m_text; }
    // The numeric value in canonical form: no leading zeros, "0" for all zeros. Equal ids have
    // equal keys. A view into this id.
    std::string_view key() const noexcept { return key_of(m_text); }
    // The key of the id written `digits` (ASCII digits, not empty): a view into them.
    static std::string_view key_of(std::string_view digits) noexcept;
    // How the ids with these keys compare: a longer key is a larger number; keys of one length
    // compare digit by digit.
    static std::weak_ordering compare_keys(std::string_view a, std::string_view b) noexcept;

    // Numeric: "0001" == "1", "0002" < "10".
    friend bool operator==(const MigrationId& a, const MigrationId& b) noexcept {
        return a.key() == b.key();
    }
    friend std::weak_ordering operator<=>(const MigrationId& a, const MigrationId& b) noexcept;

  private:
    std::string m_text = "0";
};

// Writes the id as written.
std::ostream& operator<<(std::ostream& out, const MigrationId& id);

// What a user may type to name a migration: its id ("0003") or its full name ("0003_add_tags").
struct MigrationRef {
    MigrationId id;
    std::optional<std::string> name; // the full name "<id>_<slug>" when one was given

    // A migration named by its id alone; implicit, so an id can be given wherever a
    // MigrationRef is expected.
    MigrationRef(MigrationId id_) : id(std::move(id_)) {} // NOLINT(google-explicit-constructor)
    MigrationRef(MigrationId id_, std::optional<std::string> name_)
        : id(std::move(id_)), name(std::move(name_)) {}

    // What the user typed: the full name when given, else the id.
    const std::string& text() const { return name ? *name : id.text(); }
};

// Splits `id_or_name` at its first '_': the part before it must be an id. Nullopt when it is
// not. The slug is not checked: callers compare the name with their migrations' names.
std::optional<MigrationRef> parse_migration_ref(std::string_view id_or_name);

} // namespace strata

// Hashes the numeric value, so "0001" and "1" fall together.
template <>
struct std::hash<strata::MigrationId> {
    std::size_t operator()(const strata::MigrationId& id) const noexcept {
        return std::hash<std::string_view>{}(id.key());
    }
};
