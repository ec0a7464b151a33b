// SPDX-License-Identifier: MIT
#include "strata/loader/migration.hpp"

#include <algorithm>
#include <mutex>
#include <optional>
#include <utility>

namespace strata {

struct DownSql::State {
    std::mutex mutex;
    std::optional<std::string> text;
    // Until the text is read: where it comes from.
    std::shared_ptr<const MigrationSource> source;
    SourceEntry file;
    ReadFile read = nullptr;
};

DownSql::DownSql(std::string text) : m_state(std::make_shared<State>()) {
    m_state->text = std::move(text);
}

DownSql::DownSql(std::shared_ptr<const MigrationSource> source, SourceEntry file, ReadFile read)
    : m_state(std::make_shared<State>()) {
    m_state->source = std::move(source);
    m_state->file = std::move(file);
    m_state->read = read;
}

const std::string& DownSql::text() const {
    static const std::string empty;
    if (!m_state)
        return empty;
    const std::lock_guard lock(m_state->mutex);
    if (!m_state->text) {
        // A failed read leaves no text, so the next use reports the problem again (or succeeds
        // once the file is fixed).
        m_state->text = m_state->read(*m_state->source, m_state->file);
        m_state->source.reset(); // no longer needed
        m_state->file = {};
    }
    return *m_state->text;
}

bool DownSql::loaded() const {
    if (!m_state)
        return true;
    const std::lock_guard lock(m_state->mutex);
    return m_state->text.has_value();
}

std::string DownSql::take() {
    if (!m_state)
        return {};
    text();
    std::string out;
    {
        // A copy taking its text on another thread at the same time holds the lock: it then
        // counts two owners, and copies.
        const std::lock_guard lock(m_state->mutex);
        out = m_state.use_count() == 1 ? std::move(*m_state->text) : *m_state->text;
    }
    m_state.reset();
    return out;
}

std::string Migration::up_path() const {
    return path_prefix ? *path_prefix + name + std::string(k_up_suffix) : std::string();
}

std::string Migration::down_path() const {
    return path_prefix ? *path_prefix + name + std::string(k_down_suffix) : std::string();
}

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
