// SPDX-License-Identifier: MIT
#include "strata/api/import_formats.hpp"

#include "strata/error.hpp"
#include "strata/executor/sql_text.hpp"
#include "strata/loader/loader.hpp"
#include "strata/migration_id.hpp"
#include "util/file_error.hpp"
#include "util/file_reader.hpp"
#include "util/slug.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <system_error>

namespace strata {

namespace {

namespace fs = std::filesystem;

struct FormatName {
    ImportFormat format;
    std::string_view name;
};

constexpr std::array<FormatName, 5> k_format_names{{
    {ImportFormat::GolangMigrate, "golang-migrate"},
    {ImportFormat::Goose, "goose"},
    {ImportFormat::Dbmate, "dbmate"},
    {ImportFormat::Sqlx, "sqlx"},
    {ImportFormat::Diesel, "diesel"},
}};

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
               return lower(x) == lower(y);
           });
}

std::string_view trimmed(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                             text.back() == '\n'))
        text.remove_suffix(1);
    return text;
}

// The lines of `text`, each with its line break (so CRLF survives into the written files).
std::vector<std::string_view> lines_of(std::string_view text) {
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        end = end == std::string_view::npos ? text.size() : end + 1;
        lines.push_back(text.substr(start, end - start));
        start = end;
    }
    return lines;
}

// Whether a line outside any section is one the tools ignore too: blank or a comment.
bool is_blank_or_comment(std::string_view line) {
    const std::string_view text = trimmed(line);
    return text.empty() || text.starts_with("--");
}

// Removes the BOM a file may start with; the marker on the first line must still be seen.
std::string_view without_bom(std::string_view text) {
    return text.starts_with("\xEF\xBB\xBF") ? text.substr(3) : text;
}

} // namespace

std::optional<ImportFormat> parse_import_format(std::string_view name) {
    for (const FormatName& row : k_format_names)
        if (row.name == name)
            return row.format;
    return std::nullopt;
}

std::string_view import_format_name(ImportFormat format) {
    for (const FormatName& row : k_format_names)
        if (row.format == format)
            return row.name;
    return {};
}

std::string import_format_names() {
    std::string names;
    for (const FormatName& row : k_format_names)
        names += (names.empty() ? "" : ", ") + std::string(row.name);
    return names;
}

SplitMigration split_goose(std::string_view text) {
    SplitMigration out;
    enum class Section { None, Up, Down } section = Section::None;
    bool seen_up = false;
    for (std::string_view line : lines_of(without_bom(text))) {
        const std::string_view content = trimmed(line);
        constexpr std::string_view k_prefix = "-- +goose";
        if (!content.starts_with(k_prefix)) {
            if (section == Section::Up)
                out.up_sql += line;
            else if (section == Section::Down)
                out.down_sql += line;
            else if (!is_blank_or_comment(line)) {
                out.problem = "SQL before the -- +goose Up annotation";
                return out;
            }
            continue;
        }
        const std::string_view annotation = trimmed(content.substr(k_prefix.size()));
        if (equals_ignoring_case(annotation, "Up")) {
            if (seen_up) {
                out.problem = "more than one -- +goose Up annotation";
                return out;
            }
            section = Section::Up;
            seen_up = true;
        } else if (equals_ignoring_case(annotation, "Down")) {
            if (!seen_up) {
                out.problem = "-- +goose Down comes before -- +goose Up";
                return out;
            }
            section = Section::Down;
            out.has_down = true;
        } else if (equals_ignoring_case(annotation, "StatementBegin") ||
                   equals_ignoring_case(annotation, "StatementEnd")) {
            // strata splits statements with SQLite's own parser, so a trigger body's semicolons
            // need no fence: the annotations go.
        } else if (equals_ignoring_case(annotation, "NO TRANSACTION")) {
            out.up_without_transaction = true;
            out.down_without_transaction = true;
        } else {
            out.problem = "the annotation -- +goose " + std::string(annotation) +
                          " has no equivalent in strata";
            return out;
        }
    }
    if (!seen_up)
        out.problem = "no -- +goose Up annotation";
    return out;
}

SplitMigration split_dbmate(std::string_view text) {
    SplitMigration out;
    enum class Section { None, Up, Down } section = Section::None;
    bool seen_up = false;
    for (std::string_view line : lines_of(without_bom(text))) {
        const std::string_view content = trimmed(line);
        const bool up = content.starts_with("-- migrate:up");
        const bool down = content.starts_with("-- migrate:down");
        if (!up && !down) {
            if (section == Section::Up)
                out.up_sql += line;
            else if (section == Section::Down)
                out.down_sql += line;
            else if (!is_blank_or_comment(line)) {
                out.problem = "SQL before the -- migrate:up line";
                return out;
            }
            continue;
        }
        // The options follow the marker, separated by spaces: "transaction:false".
        std::string_view options = content.substr(up ? 13 : 15);
        bool without_transaction = false;
        while (!(options = trimmed(options)).empty()) {
            const std::size_t space = options.find_first_of(" \t");
            const std::string_view option = options.substr(0, space);
            if (option == "transaction:false")
                without_transaction = true;
            else if (option != "transaction:true") {
                out.problem = "the option " + std::string(option) + " has no equivalent in strata";
                return out;
            }
            options = space == std::string_view::npos ? std::string_view{} : options.substr(space);
        }
        if (up) {
            if (seen_up) {
                out.problem = "more than one -- migrate:up line";
                return out;
            }
            section = Section::Up;
            seen_up = true;
            out.up_without_transaction = without_transaction;
        } else {
            if (!seen_up) {
                out.problem = "-- migrate:down comes before -- migrate:up";
                return out;
            }
            section = Section::Down;
            out.has_down = true;
            out.down_without_transaction = without_transaction;
        }
    }
    if (!seen_up)
        out.problem = "no -- migrate:up line";
    return out;
}

std::optional<std::string> as_after_commit(std::string_view sql) {
    const char* at = sql.data();
    const char* end = sql.data() + sql.size();
    bool any = false;
    while ((at = skip_blank(at, end)) != end) {
        if (!is_vacuum(at, end))
            return std::nullopt;
        any = true;
        // A VACUUM statement holds at most a schema name: its end is the next semicolon.
        const char* semicolon = std::find(at, end, ';');
        at = semicolon == end ? end : semicolon + 1;
    }
    if (!any)
        return std::nullopt;
    return std::string(k_after_commit_marker) + "\n" + std::string(sql);
}

namespace {

// The parts of a file name "<digits>_<name><suffix>"; nullopt when it is not one.
struct VersionedName {
    std::string id;
    std::string name;
};

std::optional<VersionedName> versioned_name(std::string_view file, std::string_view suffix) {
    if (!file.ends_with(suffix))
        return std::nullopt;
    file.remove_suffix(suffix.size());
    const std::size_t underscore = file.find('_');
    const std::string_view digits = file.substr(0, underscore);
    if (!MigrationId::parse(digits))
        return std::nullopt;
    return VersionedName{std::string(digits), underscore == std::string_view::npos
                                                  ? std::string()
                                                  : std::string(file.substr(underscore + 1))};
}

class FolderReader {
  public:
    FolderReader(ImportFormat format, fs::path dir) : m_format(format), m_dir(std::move(dir)) {}

    ImportReading read() {
        std::vector<fs::directory_entry> entries;
        std::error_code error;
        for (const auto& entry : fs::directory_iterator(m_dir, error))
            entries.push_back(entry);
        if (error)
            throw Error(ErrorKind::MigrationFiles, "cannot read folder: " + error.message(),
                        {m_dir.string()});
        std::sort(entries.begin(), entries.end(),
                  [](const auto& a, const auto& b) { return a.path() < b.path(); });
        for (const auto& entry : entries) {
            const std::string file = entry.path().filename().string();
            if (file.starts_with("."))
                continue;
            std::error_code kind_error;
            if (entry.is_directory(kind_error)) {
                if (m_format == ImportFormat::Diesel)
                    read_diesel(entry.path(), file);
                continue;
            }
            read_file_entry(entry.path(), file);
        }
        finish_pairs();
        for (auto& [key, migration] : m_found)
            m_out.migrations.push_back(std::move(migration));
        std::sort(
            m_out.migrations.begin(), m_out.migrations.end(),
            [](const auto& a, const auto& b) { return MigrationId(a.id) < MigrationId(b.id); });
        return std::move(m_out);
    }

  private:
    ImportFormat m_format;
    fs::path m_dir;
    ImportReading m_out;
    std::map<std::string, ImportedMigration> m_found; // by id key, for pairing and duplicates
    std::map<std::string, std::string> m_lone_down;   // id key -> down file without an up file

    std::string text_of(const fs::path& path) {
        try {
            return util::read_file(path);
        } catch (const util::FileError& error) {
            throw Error(ErrorKind::MigrationFiles, "cannot read file: " + error.reason(),
                        {path.string()});
        }
    }

    void skip(const fs::path& path, std::string reason) {
        m_out.skipped.push_back({path.string(), std::move(reason)});
    }

    std::string slug_for(const std::string& name, const fs::path& source) {
        if (util::is_slug(name))
            return name;
        std::string slug = util::slugify(name);
        if (slug.empty())
            slug = "migration";
        m_out.notes.push_back(
            {source.string(), "the name \"" + name + "\" is written as the slug " + slug});
        return slug;
    }

    ImportedMigration& add(const std::string& id, const std::string& name, const fs::path& source) {
        const std::string key(MigrationId(id).key());
        auto [it, inserted] = m_found.try_emplace(key);
        if (!inserted && it->second.source != source.string())
            throw Error(ErrorKind::MigrationFiles,
                        "two migrations have the id " + id + ": this one and " + it->second.source,
                        {source.string()}, "give one of them another version");
        if (inserted) {
            it->second.id = id;
            it->second.slug = slug_for(name, source);
            it->second.source = source.string();
        }
        return it->second;
    }

    // Turns SQL that the tool ran outside a transaction into strata's nearest equivalent.
    void place_up(ImportedMigration& migration, std::string sql, bool without_transaction) {
        if (without_transaction) {
            if (std::optional<std::string> after = as_after_commit(sql)) {
                migration.up_sql = std::move(*after);
                return;
            }
            m_out.notes.push_back(
                {migration.source,
                 "ran without a transaction; strata runs it inside one (its after-commit "
                 "section allows only VACUUM-like statements that change no schema or data)"});
        }
        migration.up_sql = std::move(sql);
    }

    void place_down(ImportedMigration& migration, std::string sql, bool without_transaction) {
        if (without_transaction && !trimmed(sql).empty())
            m_out.notes.push_back({migration.source, "the down SQL ran without a transaction; "
                                                     "strata runs it inside one"});
        migration.down_sql = std::move(sql);
        migration.has_down = true;
    }

    void read_split(const fs::path& path, const VersionedName& name, const SplitMigration& split) {
        if (!split.problem.empty()) {
            skip(path, split.problem);
            return;
        }
        ImportedMigration& migration = add(name.id, name.name, path);
        place_up(migration, split.up_sql, split.up_without_transaction);
        if (split.has_down)
            place_down(migration, split.down_sql, split.down_without_transaction);
    }

    // sqlx's `-- no-transaction` first line.
    static bool sqlx_without_transaction(std::string_view text) {
        const std::vector<std::string_view> lines = lines_of(without_bom(text));
        return !lines.empty() && trimmed(lines.front()) == "-- no-transaction";
    }

    void read_file_entry(const fs::path& path, const std::string& file) {
        if (m_format == ImportFormat::Goose && file.ends_with(".go")) {
            skip(path, "a goose migration written in Go: its code cannot be converted to SQL");
            return;
        }
        if (!file.ends_with(".sql"))
            return;
        switch (m_format) {
        case ImportFormat::Goose:
        case ImportFormat::Dbmate:
            if (auto name = versioned_name(file, ".sql")) {
                const std::string text = text_of(path);
                read_split(path, *name,
                           m_format == ImportFormat::Goose ? split_goose(text)
                                                           : split_dbmate(text));
                return;
            }
            break;
        case ImportFormat::GolangMigrate:
        case ImportFormat::Sqlx:
            if (auto name = versioned_name(file, ".up.sql")) {
                const std::string text = text_of(path);
                ImportedMigration& migration = add(name->id, name->name, path);
                place_up(migration, text,
                         m_format == ImportFormat::Sqlx && sqlx_without_transaction(text));
                return;
            }
            if (auto name = versioned_name(file, ".down.sql")) {
                m_lone_down[std::string(MigrationId(name->id).key())] = path.string();
                return;
            }
            if (m_format == ImportFormat::Sqlx)
                if (auto name = versioned_name(file, ".sql")) {
                    const std::string text = text_of(path);
                    ImportedMigration& migration = add(name->id, name->name, path);
                    place_up(migration, text, sqlx_without_transaction(text));
                    return;
                }
            break;
        case ImportFormat::Diesel:
            break;
        }
        skip(path, "not a " + std::string(import_format_name(m_format)) + " migration file name (" +
                       expected_name() + ")");
    }

    std::string expected_name() const {
        switch (m_format) {
        case ImportFormat::GolangMigrate:
            return "{version}_{title}.up.sql and .down.sql";
        case ImportFormat::Goose:
        case ImportFormat::Dbmate:
            return "{version}_{name}.sql";
        case ImportFormat::Sqlx:
            return "{version}_{description}.sql, or .up.sql and .down.sql";
        case ImportFormat::Diesel:
            return "a folder YYYY-MM-DD-HHMMSS_{name} with up.sql and down.sql";
        }
        return {};
    }

    // Down files are paired once every up file is known.
    void finish_pairs() {
        for (const auto& [key, down_path] : m_lone_down) {
            auto found = m_found.find(key);
            if (found == m_found.end()) {
                skip(down_path, "a down file without its up file");
                continue;
            }
            const std::string text = text_of(down_path);
            place_down(found->second, text,
                       m_format == ImportFormat::Sqlx && sqlx_without_transaction(text));
        }
    }

    void read_diesel(const fs::path& folder, const std::string& name) {
        const std::size_t underscore = name.find('_');
        std::string digits;
        for (char c : name.substr(0, underscore))
            if (c != '-')
                digits += c;
        if (underscore == std::string::npos || !MigrationId::parse(digits)) {
            skip(folder, "not a diesel migration folder (" + expected_name() + ")");
            return;
        }
        std::error_code error;
        if (!fs::exists(folder / "up.sql", error)) {
            skip(folder, "no up.sql");
            return;
        }
        // diesel's metadata.toml may turn the transaction off: run_in_transaction = false.
        bool without_transaction = false;
        if (fs::exists(folder / "metadata.toml", error)) {
            const std::string metadata = text_of(folder / "metadata.toml");
            for (std::string_view line : lines_of(metadata)) {
                std::string compact;
                for (char c : line)
                    if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
                        compact += c;
                if (compact == "run_in_transaction=false")
                    without_transaction = true;
            }
        }
        ImportedMigration& migration = add(digits, name.substr(underscore + 1), folder);
        place_up(migration, text_of(folder / "up.sql"), without_transaction);
        if (fs::exists(folder / "down.sql", error))
            place_down(migration, text_of(folder / "down.sql"), without_transaction);
    }
};

} // namespace

ImportReading read_import_folder(ImportFormat format, const std::filesystem::path& dir) {
    std::error_code error;
    if (!fs::is_directory(dir, error))
        throw Error(ErrorKind::Usage, "not a folder", {dir.string()},
                    "name the folder that holds the other tool's migrations");
    ImportReading reading = FolderReader(format, dir).read();
    for (const ImportedMigration& migration : reading.migrations)
        if (!migration.has_down)
            reading.notes.push_back({migration.source, "no down SQL: strata writes an empty down "
                                                       "file, so reversing it changes nothing"});
    return reading;
}

} // namespace strata
