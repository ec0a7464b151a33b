// SPDX-License-Identifier: MIT
#include "strata/api/bundle.hpp"

#include "strata/error.hpp"
#include "strata/loader/loader.hpp"
#include "strata/terms.hpp"
#include "util/file_reader.hpp"
#include "util/file_writer.hpp"

#include <algorithm>
#include <set>

namespace strata {

namespace {

// The first line of every bundle is this prefix and the format number.
constexpr std::string_view k_magic = "strata-bundle ";
// The last line: "sha256 " and the hex digest of every byte before it.
constexpr std::string_view k_hash_prefix = "sha256 ";
constexpr std::size_t k_trailer_size = 7 + 64 + 1;
// Limits beyond any real project, so that a hostile bundle's counts cannot make strata reserve
// memory: every length is also checked against the bytes actually left.
constexpr std::size_t k_max_apps = 1000;
constexpr std::size_t k_max_dependencies = 1000;
constexpr std::size_t k_max_migrations = 100'000;
constexpr std::size_t k_max_label = 1000;

[[noreturn]] void refuse(const std::filesystem::path& where, const std::string& message,
                         std::string hint = {}) {
    throw Error(ErrorKind::ProjectFile, message, SourceLocation{where.string()}, std::move(hint));
}

// A field is its length in decimal, ':', its bytes and '\n': no escaping, and any byte may
// appear in SQL.
void put(std::string& out, std::string_view field) {
    out += std::to_string(field.size());
    out += ':';
    out += field;
    out += '\n';
}

class Reader {
  public:
    Reader(std::string_view body, const std::filesystem::path& where)
        : m_rest(body), m_where(where) {}

    std::string_view field() {
        std::size_t digits = 0;
        std::size_t length = 0;
        while (digits < m_rest.size() && m_rest[digits] >= '0' && m_rest[digits] <= '9') {
            if (digits == 9)
                malformed();
            length = length * 10 + static_cast<std::size_t>(m_rest[digits] - '0');
            ++digits;
        }
        if (digits == 0 || digits >= m_rest.size() || m_rest[digits] != ':')
            malformed();
        m_rest.remove_prefix(digits + 1);
        if (length >= m_rest.size() || m_rest[length] != '\n')
            malformed();
        std::string_view value = m_rest.substr(0, length);
        m_rest.remove_prefix(length + 1);
        return value;
    }

    std::size_t count(std::size_t limit, std::string_view what) {
        std::string_view text = field();
        if (text.empty() || text.size() > 9)
            malformed();
        std::size_t value = 0;
        for (char c : text) {
            if (c < '0' || c > '9')
                malformed();
            value = value * 10 + static_cast<std::size_t>(c - '0');
        }
        // Each counted item takes at least two bytes ("0:" and more), so a count larger than
        // what is left cannot be real.
        if (value > limit || value > m_rest.size())
            refuse(m_where, "the bundle holds more " + std::string(what) +
                                " than strata accepts (" + std::to_string(limit) + ")");
        return value;
    }

    bool at_end() const { return m_rest.empty(); }

    [[noreturn]] void malformed() const {
        refuse(m_where, "the bundle's content is malformed although its SHA-256 matches",
               "it was not written by " + terms::command(terms::Command::Bundle) +
                   "; write it again");
    }

  private:
    std::string_view m_rest;
    const std::filesystem::path& m_where;
};

// One migration as the bundle holds it: views of the bundle's bytes.
struct BundledMigration {
    std::string_view name; // "<id>_<slug>"
    std::string_view up_sql;
    std::string_view down_sql;
    std::string_view checksum; // recorded when the bundle was written
};

// An app's migrations as the bundle holds them, offered as an up and a down file each (keys 2i
// and 2i+1), read as views of the bundle's bytes, which the source keeps. The loader's rules
// apply to them as to a folder's when a command loads them, and each up file must give its
// recorded checksum. Removing a file (--clean) forgets it, as MemorySource does.
class BundleSource final : public MigrationSource {
  public:
    BundleSource(std::shared_ptr<const std::string> bytes, std::string app_name,
                 std::vector<BundledMigration> migrations, std::filesystem::path where)
        : m_bytes(std::move(bytes)), m_prefix("bundle:" + app_name + "/"),
          m_migrations(std::move(migrations)), m_forgotten(2 * m_migrations.size()),
          m_where(std::move(where)) {}

    std::vector<SourceEntry> list() const override {
        std::vector<SourceEntry> entries;
        entries.reserve(2 * m_migrations.size());
        for (std::size_t key = 0; key < 2 * m_migrations.size(); ++key) {
            if (m_forgotten.contains(key))
                continue;
            entries.push_back(SourceEntry{file_name(key), key});
        }
        return entries;
    }

    std::string_view read(const SourceEntry& file, std::string& /*buffer*/) const override {
        m_forgotten.check_readable(*this, file);
        const BundledMigration& migration = m_migrations[file.key / 2];
        return file.key % 2 == 0 ? migration.up_sql : migration.down_sql;
    }

    void remove(const std::string& path) const override {
        for (std::size_t key = 0; key < 2 * m_migrations.size(); ++key)
            if (path == m_prefix + file_name(key))
                m_forgotten.forget(key);
    }

    std::string path_prefix() const override { return m_prefix; }

    void confirm_checksum(const SourceEntry& up, std::string_view checksum) const override {
        const std::size_t migration = up.key / 2;
        if (up.key % 2 != 0 || migration >= m_migrations.size() ||
            m_migrations[migration].checksum != checksum) {
            std::string name = up.name;
            if (name.ends_with(k_up_suffix))
                name.resize(name.size() - k_up_suffix.size());
            refuse(m_where, "the bundle's checksum of " + name + " does not match its SQL",
                   "write the bundle again with " + terms::command(terms::Command::Bundle));
        }
    }

    bool reads_concurrently() const override { return true; } // while nothing is removed

  private:
    // The file of `key`: 2i is migration i's up file, 2i + 1 its down file.
    std::string file_name(std::size_t key) const {
        return std::string(m_migrations[key / 2].name) +
               std::string(key % 2 == 0 ? k_up_suffix : k_down_suffix);
    }

    std::shared_ptr<const std::string> m_bytes; // what the views point into
    std::string m_prefix;                       // "bundle:<app>/", how messages name a file
    std::vector<BundledMigration> m_migrations;
    mutable ForgottenFiles m_forgotten; // remove() edits it; removal is not a logical change
    std::filesystem::path m_where;
};

Bundle parse_shared(std::shared_ptr<const std::string> shared, const std::filesystem::path& where);

template <typename T>
T setting(Reader& reader, Parsed<T> parsed) {
    if (!parsed.value)
        reader.malformed();
    return *parsed.value;
}

} // namespace

std::string bundle_bytes(const Project& project, const BundleOptions& options) {
    if (options.label.size() > k_max_label)
        throw Error(ErrorKind::Usage,
                    "the bundle label is longer than " + std::to_string(k_max_label) + " bytes");
    std::vector<const AppConfig*> apps;
    for (const AppConfig& app : project.apps)
        apps.push_back(&app);
    std::sort(apps.begin(), apps.end(),
              [](const AppConfig* a, const AppConfig* b) { return a->name < b->name; });

    const Settings& settings = project.settings;
    std::string out = std::string(k_magic) + std::to_string(k_bundle_format) + "\n";
    put(out, options.label);
    put(out, name_of(settings.foreign_keys));
    put(out, name_of(settings.transaction));
    put(out, name_of(settings.journal_mode));
    put(out, name_of(settings.synchronous));
    put(out, name_of(settings.out_of_order));
    put(out, settings.state_table);
    put(out, std::to_string(project.busy_timeout_ms));
    put(out, std::to_string(apps.size()));
    for (const AppConfig* app : apps) {
        put(out, app->name);
        put(out, std::to_string(app->depends_on.size()));
        for (const std::string& dependency : app->depends_on)
            put(out, dependency);
        // Read once and loaded from memory: the bundle holds exactly what the loader checked.
        const MigrationSet set =
            load_migrations(app->name, MemorySource(FolderSource(app->migrations_dir)));
        put(out, std::to_string(set.migrations.size()));
        for (const Migration& migration : set.migrations) {
            put(out, migration.name);
            put(out, migration.up_sql);
            put(out, migration.down_sql.text());
            put(out, migration.checksum);
        }
    }
    out += std::string(k_hash_prefix) + sha256_hex(out) + "\n";
    return out;
}

void write_bundle(const Project& project, const BundleOptions& options,
                  const std::filesystem::path& output) {
    const std::string bytes = bundle_bytes(project, options);
    try {
        util::write_file_atomically(output, bytes, util::WriteMode::Replace);
    } catch (const util::FileError& error) {
        throw Error(ErrorKind::Output, "cannot write the bundle: " + error.reason(),
                    SourceLocation{output.string()});
    }
}

Bundle parse_bundle(std::string_view bytes, const std::filesystem::path& where) {
    return parse_shared(std::make_shared<const std::string>(bytes), where);
}

namespace {

// parse_bundle on bytes the sources keep and read as views.
Bundle parse_shared(std::shared_ptr<const std::string> shared, const std::filesystem::path& where) {
    const std::string_view bytes = *shared;
    // Checked in this order so that each damage gets its own message: not a bundle at all, a
    // format this strata does not know, then a file cut short or changed.
    const std::string_view truncated = "the bundle is truncated";
    const std::string hint =
        "copy the bundle again, or write it again with " + terms::command(terms::Command::Bundle);
    if (bytes.size() < k_magic.size()) {
        if (k_magic.substr(0, bytes.size()) == bytes)
            refuse(where, std::string(truncated), std::string(hint));
        refuse(where, "not a strata bundle (it does not begin with \"strata-bundle\")");
    }
    if (bytes.substr(0, k_magic.size()) != k_magic)
        refuse(where, "not a strata bundle (it does not begin with \"strata-bundle\")");
    const std::size_t line_end = bytes.find('\n');
    if (line_end == std::string_view::npos) {
        if (bytes.size() - k_magic.size() > 9)
            refuse(where, "not a strata bundle (its first line is not \"strata-bundle N\")");
        refuse(where, std::string(truncated), std::string(hint));
    }
    const std::string_view version = bytes.substr(k_magic.size(), line_end - k_magic.size());
    if (version.empty() || version.size() > 9 ||
        !std::all_of(version.begin(), version.end(), [](char c) { return c >= '0' && c <= '9'; }))
        refuse(where, "not a strata bundle (its first line is not \"strata-bundle N\")");
    const long format = std::stol(std::string(version));
    if (format > k_bundle_format)
        refuse(where,
               "the bundle is of format " + std::to_string(format) +
                   ", newer than this strata reads (format " + std::to_string(k_bundle_format) +
                   ")",
               "update strata, or write the bundle with this version's " +
                   terms::command(terms::Command::Bundle));
    if (format < 1)
        refuse(where,
               "the bundle is of format " + std::to_string(format) + ", which never existed");

    const std::size_t body_start = line_end + 1;
    if (bytes.size() < body_start + k_trailer_size ||
        bytes.substr(bytes.size() - k_trailer_size, k_hash_prefix.size()) != k_hash_prefix ||
        bytes.back() != '\n')
        refuse(where, std::string(truncated) + " (it does not end with its SHA-256)",
               std::string(hint));
    const std::string_view content = bytes.substr(0, bytes.size() - k_trailer_size);
    const std::string_view stored =
        bytes.substr(bytes.size() - k_trailer_size + k_hash_prefix.size(), 64);
    if (sha256_hex(content) != stored)
        refuse(where, "the bundle is corrupted: its SHA-256 does not match its content",
               std::string(hint));

    Reader reader(content.substr(body_start), where);
    Bundle bundle;
    bundle.label = std::string(reader.field());
    Project& project = bundle.project;
    project.file = where;
    Settings& settings = project.settings;
    settings.foreign_keys = setting(reader, parse_foreign_keys(reader.field()));
    settings.transaction = setting(reader, parse_transaction(reader.field()));
    const std::string_view journal = reader.field();
    settings.journal_mode =
        journal.empty() ? JournalMode::Unchanged : setting(reader, parse_journal_mode(journal));
    settings.synchronous = setting(reader, parse_synchronous(reader.field()));
    settings.out_of_order = setting(reader, parse_out_of_order(reader.field()));
    settings.state_table = std::string(reader.field());
    if (auto problem = state_table_problem(settings.state_table))
        refuse(where, "the bundle's state table: " + *problem);
    const std::string_view timeout = reader.field();
    if (timeout.empty() || timeout.size() > 9 ||
        !std::all_of(timeout.begin(), timeout.end(), [](char c) { return c >= '0' && c <= '9'; }))
        reader.malformed();
    project.busy_timeout_ms = std::stoi(std::string(timeout));
    if (auto problem = busy_timeout_ms_problem(project.busy_timeout_ms))
        refuse(where, "the bundle's " + *problem);

    const std::size_t app_count = reader.count(k_max_apps, "apps");
    std::set<std::string, std::less<>> names;
    for (std::size_t a = 0; a < app_count; ++a) {
        AppConfig app;
        app.name = std::string(reader.field());
        app.where = SourceLocation{where.string()};
        if (app.name.empty() || !names.insert(app.name).second)
            reader.malformed();
        const std::size_t dependencies = reader.count(k_max_dependencies, "dependencies");
        for (std::size_t d = 0; d < dependencies; ++d)
            app.depends_on.emplace_back(reader.field());

        const std::size_t count = reader.count(k_max_migrations, "migrations in one app");
        std::vector<BundledMigration> migrations(count);
        for (BundledMigration& migration : migrations) {
            migration.name = reader.field();
            migration.up_sql = reader.field();
            migration.down_sql = reader.field();
            migration.checksum = reader.field();
        }
        // Checked by the loader when a command loads them (on the thread that reads
        // migrations while the database opens), not twice.
        bundle.sources.emplace(app.name, std::make_shared<const BundleSource>(
                                             shared, app.name, std::move(migrations), where));
        project.apps.push_back(std::move(app));
    }
    if (!reader.at_end())
        reader.malformed();
    for (const AppConfig& app : project.apps)
        for (const std::string& dependency : app.depends_on)
            if (!names.count(dependency))
                refuse(where, "the bundle's app \"" + app.name + "\" depends on \"" + dependency +
                                  "\", which it does not hold");
    return bundle;
}

} // namespace

Bundle load_bundle(const std::filesystem::path& path) {
    std::shared_ptr<const std::string> bytes;
    try {
        bytes = std::make_shared<const std::string>(util::read_file(path, k_max_bundle_bytes));
    } catch (const util::FileError& error) {
        throw Error(ErrorKind::ProjectFile, "cannot read the bundle: " + error.reason(),
                    SourceLocation{path.string()});
    }
    return parse_shared(std::move(bytes), path);
}

} // namespace strata
