// SPDX-License-Identifier: MIT
#include "core/loader/migration.hpp"

#include <algorithm>

namespace strata {

namespace {

// Ids are compared as decimal numbers of any length (a timestamp id already needs 47 bits, and
// nothing stops a user from writing more digits than 64 bits hold), so they are never converted.
std::string_view without_leading_zeros(std::string_view id) {
    std::size_t first = id.find_first_not_of('0');
    return first == std::string_view::npos ? std::string_view{} : id.substr(first);
}

bool all_digits(std::string_view text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

} // namespace

int compare_ids(std::string_view a, std::string_view b) {
    std::string_view x = without_leading_zeros(a);
    std::string_view y = without_leading_zeros(b);
    if (x.size() != y.size())
        return x.size() < y.size() ? -1 : 1;
    int order = x.compare(y);
    return order < 0 ? -1 : (order > 0 ? 1 : 0);
}

bool same_id(std::string_view a, std::string_view b) {
    return compare_ids(a, b) == 0;
}

const Migration* MigrationSet::find(std::string_view id_or_name) const {
    // A full name "<id>_<slug>" carries its id, so both forms are found by a binary search on
    // the id (the set is ordered by id and ids are unique); a name must then match exactly.
    std::string_view id = id_or_name.substr(0, id_or_name.find('_'));
    bool is_name = id.size() < id_or_name.size();
    if (!all_digits(id))
        return nullptr;
    auto it = std::lower_bound(
        migrations.begin(), migrations.end(), id,
        [](const Migration& m, std::string_view wanted) { return compare_ids(m.id, wanted) < 0; });
    if (it == migrations.end() || !same_id(it->id, id))
        return nullptr;
    if (is_name && it->name != id_or_name)
        return nullptr;
    return &*it;
}

} // namespace strata
