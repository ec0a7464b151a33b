// SPDX-License-Identifier: MIT
#include "strata/loader/migration.hpp"

#include <algorithm>

namespace strata {

const Migration* MigrationSet::find(std::string_view id_or_name) const {
    // A full name "<id>_<slug>" carries its id, so both forms are found by the id; a name must
    // then match exactly.
    const std::optional<MigrationRef> ref = parse_migration_ref(id_or_name);
    if (!ref)
        return nullptr;
    const Migration* found = find(ref->id);
    if (found == nullptr || (ref->name && found->name != *ref->name))
        return nullptr;
    return found;
}

const Migration* MigrationSet::find(const MigrationId& id) const {
    // The set is ordered by id and ids are unique, so a binary search finds it.
    auto it = std::lower_bound(
        migrations.begin(), migrations.end(), id,
        [](const Migration& m, const MigrationId& wanted) { return m.id < wanted; });
    if (it == migrations.end() || it->id != id)
        return nullptr;
    return &*it;
}

} // namespace strata
