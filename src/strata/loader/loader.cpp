// SPDX-License-Identifier: MIT
#include "strata/loader/loader.hpp"

#include "strata/error.hpp"
#include "util/sha256.hpp"
#include "util/slug.hpp"
#include "util/text.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>

namespace strata {

namespace {

constexpr std::string_view k_name_hint =
    "name migration files <id>_<slug>.up.sql and <id>_<slug>.down.sql, e.g. "
    "0002_add_tags.up.sql and 0002_add_tags.down.sql";

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// A file name taken apart: "<id>_<slug>.up.sql" or "<id>_<slug>.down.sql".
struct ParsedFile {
    MigrationId id;       // set by taken_apart, for building the migration
    std::string_view key; // the id's key, as a view into the file's name: sorting compares it
    std::string_view slug;
    std::string_view stem; // "<id>_<slug>", the migration's full name
    std::size_t digits = 0;
    bool up = false;
    SourceEntry* file = nullptr; // build_migration takes its name once it has read the file
};

// Parses `file.name`; returns why it is not a migration file name when it is not.
std::optional<std::string> parse_name(SourceEntry& file, ParsedFile& out) {
    std::string_view name = file.name;
    if (name.ends_with(k_up_suffix)) {
        out.up = true;
        out.stem = name.substr(0, name.size() - k_up_suffix.size());
    } else if (name.ends_with(k_down_suffix)) {
        out.up = false;
        out.stem = name.substr(0, name.size() - k_down_suffix.size());
    } else {
        return "it must end in .up.sql or .down.sql";
    }
    std::size_t digits = 0;
    while (digits < out.stem.size() && is_digit(out.stem[digits]))
        ++digits;
    if (digits == 0)
        return "it must start with the migration's numeric id";
    if (digits + 1 >= out.stem.size() || out.stem[digits] != '_')
        return "the id must be followed by '_' and a slug";
    out.digits = digits;
    out.key = MigrationId::key_of(out.stem.substr(0, digits));
    out.slug = out.stem.substr(digits + 1);
    if (!util::is_slug(out.slug))
        return "the slug may contain only ASCII letters, digits, '_' and '-'";
    out.file = &file;
    return std::nullopt;
}

// A name parse_name accepted, its id `digits` long, taken apart again without its checks.
ParsedFile taken_apart(SourceEntry& file, std::size_t digits) {
    ParsedFile out;
    const std::string_view name = file.name;
    out.up = name.ends_with(k_up_suffix);
    out.stem = name.substr(0, name.size() - (out.up ? k_up_suffix : k_down_suffix).size());
    out.id = MigrationId(out.stem.substr(0, digits));
    out.key = MigrationId::key_of(out.stem.substr(0, digits));
    out.slug = out.stem.substr(digits + 1);
    out.digits = digits;
    out.file = &file;
    return out;
}

// Checks normalised text: valid UTF-8 and no NUL byte. The position reported is 1-based, the
// column counted in characters, as editors show it (the BOM is already gone).
void check_encoding(std::string_view text, const MigrationSource& source, const SourceEntry& file) {
    const std::optional<util::TextProblem> problem = util::find_text_problem(text);
    if (!problem)
        return;
    const SourceLocation where{source.path_of(file), problem->line, problem->column};
    if (problem->kind == util::TextProblem::Kind::InvalidUtf8)
        throw Error(ErrorKind::MigrationFiles,
                    "file is not valid UTF-8 (byte " + util::hex_byte(problem->byte) + ")", where,
                    "save the file as UTF-8 text");
    throw Error(ErrorKind::MigrationFiles,
                "file contains a NUL byte; SQLite would stop reading the SQL there and silently "
                "skip the rest",
                where, "remove it; a file with NUL bytes is often UTF-16: save it as UTF-8 text");
}

// Refuses a file that still carries the marker `strata new` writes: applied unedited, a template
// is recorded as done, and the SQL written into it afterwards never runs (it reads as an edit).
void check_not_template(std::string_view text, const MigrationSource& source,
                        const SourceEntry& file) {
    int line = 1;
    for (std::size_t start = 0; start < text.size(); ++line) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos)
            end = text.size();
        if (text.substr(start, end - start).starts_with(k_template_marker))
            throw Error(ErrorKind::MigrationFiles,
                        "this file is still the template `strata new` wrote",
                        SourceLocation{source.path_of(file), line, 1},
                        "write the migration's SQL in it and delete this line (a file with no "
                        "statements is fine: it does nothing)");
        start = end + 1;
    }
}

// Orders parsed files by numeric id, then full name, then up before down, so that the files
// of one migration are adjacent and numerically equal ids end up next to each other.
bool file_order(const ParsedFile& a, const ParsedFile& b) {
    if (const auto by_id = MigrationId::compare_keys(a.key, b.key); by_id != 0)
        return by_id < 0;
    if (const int by_stem = a.stem.compare(b.stem); by_stem != 0)
        return by_stem < 0;
    return a.up && !b.up;
}

[[noreturn]] void throw_duplicate(const MigrationSource& source, const ParsedFile& first,
                                  const ParsedFile& second) {
    throw Error(ErrorKind::MigrationFiles,
                "migration id " + second.id.text() + " is also used by " +
                    source.path_of(*first.file),
                SourceLocation{source.path_of(*second.file)},
                "ids are compared as numbers (0001 and 1 are the same); give one of the two "
                "migrations a new id");
}

// Reads a file and returns its normalised text, checked as every migration file is.
std::string load_text(const MigrationSource& source, const SourceEntry& file, std::string& buffer) {
    std::string text = normalise_sql_text(source.read(file, buffer));
    check_encoding(text, source, file);
    check_not_template(text, source, file);
    return text;
}

// A down file's text, read the first time it is needed (DownSql::ReadFile).
std::string read_down_text(const MigrationSource& source, const SourceEntry& file) {
    std::string buffer;
    return load_text(source, file, buffer);
}

// What every migration of a load shares (the load's own, by reference).
struct LoadShared {
    std::string_view app_name;
    const MigrationSource& source;
    const std::shared_ptr<const MigrationSource>& keep;    // set: down files are read when needed
    const std::shared_ptr<const std::string>& path_prefix; // source.path_prefix(), made once
};

// Builds one migration from the files of one id (`group`, already ordered by file_order). The
// down file is read now, or, when `shared.keep` holds the source, the first time its text is
// needed.
Migration build_migration(const LoadShared& shared, const ParsedFile* group, std::size_t size,
                          std::string& buffer) {
    const MigrationSource& source = shared.source;
    const ParsedFile& first = group[0];
    for (std::size_t k = 1; k < size; ++k)
        if (group[k].stem != first.stem || group[k].up == group[k - 1].up)
            throw_duplicate(source, group[k].stem != first.stem ? first : group[k - 1], group[k]);

    std::string stem(first.stem);
    if (size == 1 && first.up)
        throw Error(ErrorKind::MigrationFiles, "migration " + stem + " is missing its down file",
                    SourceLocation{source.path_of(*first.file)},
                    "create " + *shared.path_prefix + stem + std::string(k_down_suffix) +
                        " (it may be empty when there is nothing to undo)");
    if (size == 1)
        throw Error(ErrorKind::MigrationFiles, "migration " + stem + " is missing its up file",
                    SourceLocation{source.path_of(*first.file)},
                    "create " + *shared.path_prefix + stem + std::string(k_up_suffix) +
                        ", or delete this down file");

    SourceEntry& up = *group[0].file;
    SourceEntry& down = *group[1].file;
    Migration migration;
    migration.app_name = std::string(shared.app_name);
    migration.id = first.id;
    migration.name = std::move(stem);
    migration.description = describe_slug(first.slug);
    // An up file without statements (empty, or comments only) is a deliberate no-op, as in
    // other migration tools; only the unedited template of `strata new` is refused.
    migration.up_sql = load_text(source, up, buffer);
    if (!shared.keep)
        migration.down_sql = load_text(source, down, buffer);
    migration.checksum = sha256_hex(migration.up_sql);
    source.confirm_checksum(up, migration.checksum);
    migration.path_prefix = shared.path_prefix;
    // Nothing reads these two entries of the listing again: the up file's name is freed now,
    // so that its room serves the next migration, and the down file's moves into its reader.
    std::string().swap(up.name);
    if (shared.keep)
        migration.down_sql = DownSql(shared.keep, std::move(down), &read_down_text);
    return migration;
}

// A migration written in C++, checked as strictly as a file's name and text are: the state
// table must be able to tell it from every other migration of its app.
Migration code_migration(std::string_view app_name, const CodeMigration& code) {
    const std::string where = code_source_name(app_name, code.name);
    auto refuse = [&](const std::string& message, const std::string& hint) {
        throw Error(ErrorKind::MigrationFiles, message, SourceLocation{where}, hint);
    };
    const std::string& name = code.name;
    const std::string& id = code.id.text();
    if (id.empty())
        refuse("C++ migration " + name + " has no id", "set CodeMigration::id");
    if (!name.starts_with(id + "_") || !util::is_slug(std::string_view(name).substr(id.size() + 1)))
        refuse("C++ migration name \"" + name + "\" is not \"" + id + "_<slug>\"",
               "name it after its id, e.g. " + id +
                   "_split_names (the slug may contain only ASCII letters, digits, '_' and '-')");
    if (code.version.empty())
        refuse("C++ migration " + name + " has no version",
               "set CodeMigration::version (e.g. \"1\"), and change it whenever `up` changes");
    if (util::find_text_problem(code.version) ||
        code.version.find_first_of("\r\n\t") != std::string::npos)
        refuse("C++ migration " + name + " has a version that is not one line of UTF-8 text",
               "use a short version such as \"1\" or \"2026-11-21\"");
    if (!code.up)
        refuse("C++ migration " + name + " has no up callback", "set CodeMigration::up");
    Migration migration;
    migration.app_name = std::string(app_name);
    migration.id = code.id;
    migration.name = name;
    migration.description = describe_slug(std::string_view(name).substr(id.size() + 1));
    migration.checksum = code_checksum(code.version);
    migration.code = std::make_shared<const CodeMigration>(code);
    return migration;
}

// Where a migration came from, for a message naming two of them.
std::string origin_of(const Migration& migration) {
    return migration.code ? code_source_name(migration.app_name, migration.name)
                          : migration.up_path();
}

// The migration files of a listing in file_order, and where each migration's files begin.
struct OrderedFiles {
    std::vector<SourceEntry> files;
    std::vector<std::uint32_t> digits; // the length of each file's id
    std::vector<std::size_t> group_starts;
};

// Parses and orders the listed files. Throws Error(MigrationFiles) for a badly named file.
// Only each name's id length is kept: build() takes a migration's two names apart again
// (taken_apart) rather than a long load holding every file's parse (a hundred bytes each)
// while the texts are read.
OrderedFiles parse_listing(const MigrationSource& source, std::vector<SourceEntry>& files) {
    std::vector<ParsedFile> parsed;
    parsed.reserve(files.size());
    // Of several badly named files the alphabetically first is reported, so the message does
    // not depend on the order the source lists them in.
    const SourceEntry* bad_file = nullptr;
    std::string bad_reason;
    for (SourceEntry& file : files) {
        if (!is_migration_candidate(file.name))
            continue;
        ParsedFile entry;
        if (auto problem = parse_name(file, entry)) {
            if (bad_file == nullptr || file.name < bad_file->name) {
                bad_file = &file;
                bad_reason = std::move(*problem);
            }
            continue;
        }
        parsed.push_back(entry);
    }
    if (bad_file != nullptr)
        throw Error(ErrorKind::MigrationFiles, "invalid migration file name: " + bad_reason,
                    SourceLocation{source.path_of(*bad_file)}, std::string(k_name_hint));

    // A bundle, embedded migrations and many file systems list the files in order already.
    if (!std::is_sorted(parsed.begin(), parsed.end(), file_order))
        std::sort(parsed.begin(), parsed.end(), file_order);
    OrderedFiles ordered;
    for (std::size_t i = 0; i < parsed.size(); ++i)
        if (i == 0 || parsed[i].key != parsed[i - 1].key)
            ordered.group_starts.push_back(i);
    // The views of `parsed` point into the names: they are not used once the names move.
    ordered.files.reserve(parsed.size());
    ordered.digits.reserve(parsed.size());
    for (const ParsedFile& entry : parsed) {
        ordered.files.push_back(std::move(*entry.file));
        ordered.digits.push_back(static_cast<std::uint32_t>(entry.digits));
    }
    return ordered;
}

// Places the app's C++ migrations among its files by id. Throws Error(MigrationFiles) for a
// malformed one or an id used twice.
void add_code_migrations(MigrationSet& set, std::span<const CodeMigration> code) {
    for (const CodeMigration& entry : code) {
        Migration migration = code_migration(set.app_name, entry);
        if (const Migration* other = set.find(migration.id))
            throw Error(ErrorKind::MigrationFiles,
                        "migration id " + migration.id.text() + " of the C++ migration " +
                            migration.name + " is also used by " + origin_of(*other),
                        SourceLocation{origin_of(migration)},
                        "ids are compared as numbers (0001 and 1 are the same); give one of the "
                        "two migrations a new id");
        // Kept in id order, so the next one's clash check (a binary search) stays valid.
        auto at =
            std::upper_bound(set.migrations.begin(), set.migrations.end(), migration.id,
                             [](const MigrationId& id, const Migration& m) { return id < m.id; });
        set.migrations.insert(at, std::move(migration));
    }
}

} // namespace

// What a load holds between its steps. `files` holds the migration files in file_order;
// build() moves a migration's entries out of it once they are read.
struct MigrationLoad::State {
    std::string app_name;
    const MigrationSource* source = nullptr;
    std::shared_ptr<const MigrationSource> keep;    // set: down files are read when first needed
    std::shared_ptr<const std::string> path_prefix; // the source's, shared by its migrations
    std::span<const CodeMigration> code;
    std::vector<SourceEntry> files;
    std::vector<std::uint32_t> digits;     // the length of each file's id
    std::vector<std::size_t> group_starts; // where each migration's files begin in `files`
    std::deque<Migration> migrations;      // one slot per migration, filled by build()
};

MigrationLoad::MigrationLoad(std::string_view app_name, const MigrationSource& source,
                             std::shared_ptr<const MigrationSource> keep,
                             std::span<const CodeMigration> code)
    : m_state(std::make_unique<State>()) {
    State& state = *m_state;
    state.app_name = std::string(app_name);
    state.source = &source;
    state.keep = std::move(keep);
    state.code = code;
    std::vector<SourceEntry> listed = source.list();
    OrderedFiles ordered = parse_listing(source, listed);
    state.path_prefix = std::make_shared<const std::string>(source.path_prefix());
    std::vector<SourceEntry>().swap(listed); // the entries moved out: only husks are left
    state.files = std::move(ordered.files);
    state.digits = std::move(ordered.digits);
    state.group_starts = std::move(ordered.group_starts);
    state.migrations.resize(state.group_starts.size());
}

MigrationLoad::MigrationLoad(std::string_view app_name,
                             std::shared_ptr<const MigrationSource> source,
                             std::span<const CodeMigration> code)
    : MigrationLoad(app_name, *source, source, code) {}

MigrationLoad::MigrationLoad(std::string_view app_name, const MigrationSource& source,
                             std::span<const CodeMigration> code)
    : MigrationLoad(app_name, source, nullptr, code) {}

MigrationLoad::MigrationLoad(MigrationLoad&&) noexcept = default;
MigrationLoad& MigrationLoad::operator=(MigrationLoad&&) noexcept = default;
MigrationLoad::~MigrationLoad() = default;

std::size_t MigrationLoad::size() const {
    return m_state->migrations.size();
}

bool MigrationLoad::reads_concurrently() const {
    return m_state->source->reads_concurrently();
}

void MigrationLoad::build(std::size_t i, std::string& buffer) {
    State& state = *m_state;
    const std::size_t begin = state.group_starts.at(i);
    const std::size_t end =
        i + 1 < state.group_starts.size() ? state.group_starts[i + 1] : state.files.size();
    // A migration has two files; a third of the same id is an error that the first three
    // show (build_migration reports it).
    std::array<ParsedFile, 3> group;
    const std::size_t size = std::min(end - begin, group.size());
    for (std::size_t k = 0; k < size; ++k)
        group[k] = taken_apart(state.files[begin + k], state.digits[begin + k]);
    const LoadShared shared{state.app_name, *state.source, state.keep, state.path_prefix};
    state.migrations[i] = build_migration(shared, group.data(), size, buffer);
}

MigrationSet MigrationLoad::finish() {
    State& state = *m_state;
    MigrationSet set;
    set.app_name = state.app_name;
    set.migrations = std::move(state.migrations);
    add_code_migrations(set, state.code);
    return set;
}

std::string code_checksum(std::string_view version) {
    return std::string(k_code_checksum_prefix) + std::string(version);
}

bool is_code_checksum(std::string_view checksum) {
    return checksum.starts_with(k_code_checksum_prefix);
}

std::string code_source_name(std::string_view app_name, std::string_view name) {
    return "cpp:" + std::string(app_name) + "/" + std::string(name);
}

namespace {

MigrationSet load_in_turn(MigrationLoad load) {
    std::string buffer;
    for (std::size_t i = 0; i < load.size(); ++i)
        load.build(i, buffer);
    return load.finish();
}

} // namespace

MigrationSet load_migrations(std::string_view app_name, const MigrationSource& source,
                             std::span<const CodeMigration> code) {
    return load_in_turn(MigrationLoad(app_name, source, code));
}

MigrationSet load_migrations(std::string_view app_name,
                             std::shared_ptr<const MigrationSource> source,
                             std::span<const CodeMigration> code) {
    return load_in_turn(MigrationLoad(app_name, std::move(source), code));
}

MigrationSet load_migrations(const AppConfig& app) {
    return load_migrations(app.name, std::make_shared<const FolderSource>(app.migrations_dir));
}

std::string normalise_sql_text(std::string_view raw) {
    raw = util::without_bom(raw);
    // Only CR directly before LF goes: a lone CR is kept, since it may sit inside a string.
    std::size_t from = raw.find("\r\n");
    if (from == std::string_view::npos)
        return std::string(raw);
    std::string text;
    text.reserve(raw.size());
    while (from != std::string_view::npos) {
        text.append(raw.substr(0, from));
        raw.remove_prefix(from + 1); // keeps the LF
        from = raw.find("\r\n");
    }
    text.append(raw);
    return text;
}

std::string sha256_hex(std::string_view data) {
    return util::sha256_hex(data);
}

std::string describe_slug(std::string_view slug) {
    std::string description(slug);
    std::replace(description.begin(), description.end(), '_', ' ');
    return description;
}

SqlSections split_after_commit(std::string_view sql) {
    SqlSections sections{sql, {}, 0};
    std::size_t line_start = 0;
    int line = 1;
    while (line_start <= sql.size()) {
        std::size_t line_end = sql.find('\n', line_start);
        if (line_end == std::string_view::npos)
            line_end = sql.size();
        std::string_view text = sql.substr(line_start, line_end - line_start);
        // Trailing white space is forgiven; anything else on the line means it is not the marker.
        while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
            text.remove_suffix(1);
        if (text == k_after_commit_marker) {
            sections.in_transaction = sql.substr(0, line_start);
            const std::size_t after = std::min(line_end + 1, sql.size());
            sections.after_commit = sql.substr(after);
            sections.after_commit_line = line + 1;
            return sections;
        }
        if (line_end == sql.size())
            break;
        line_start = line_end + 1;
        ++line;
    }
    return sections;
}

} // namespace strata
