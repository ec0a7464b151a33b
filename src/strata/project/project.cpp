// SPDX-License-Identifier: MIT
#include "strata/project/project.hpp"

#include "strata/project/database_path.hpp"
#include "strata/project/toml_workaround.hpp"
#include "strata/project/written_files.hpp"

// toml++ is used header-only (this is the one file that includes it), so the binary does not
// need libtomlplusplus.so at run time.
#define TOML_HEADER_ONLY 1
// toml++ 3.3 checks some expectations of its parser with assert(), which aborts the process on
// malformed input such as "[.a]" (and is undefined behaviour under NDEBUG). Here a failed check
// throws instead, so the file is reported as malformed. This must stay in the file that includes
// toml++; its other trap, non-ASCII text, is refused before parsing (toml_workaround.hpp).
namespace strata::detail {
struct TomlCheckFailed {
    const char* expression;
};
[[noreturn]] inline void toml_check_failed(const char* expression) {
    throw TomlCheckFailed{expression};
}
} // namespace strata::detail
#pragma push_macro("NDEBUG")
#undef NDEBUG
#define TOML_ASSERT(expr)                                                                          \
    ((expr) ? static_cast<void>(0) : ::strata::detail::toml_check_failed(#expr))
#include <toml++/toml.h>
#pragma pop_macro("NDEBUG")

#include "util/file_reader.hpp"
#include "util/suggest.hpp"
#include "util/text.hpp"

#include <algorithm>
#include <limits>
#include <set>
#include <span>
#include <system_error>
#include <unordered_map>
#include <unordered_set>

namespace strata {

namespace {

std::string in_quotes(std::string_view text) {
    return '"' + std::string(text) + '"';
}

std::string join(const std::vector<std::string_view>& items, std::string_view separator) {
    std::string out;
    for (std::string_view item : items) {
        if (!out.empty())
            out += separator;
        out += item;
    }
    return out;
}

// The text rules of every file strata reads (UTF-8, no NUL byte), checked before toml++ sees
// the text so that a project file and a migration file get the same answer. A leading BOM is
// allowed (toml++ skips it) and not counted in columns.
void check_text(std::string_view text, const std::string& path) {
    const std::optional<util::TextProblem> problem =
        util::find_text_problem(util::without_bom(text));
    if (!problem)
        return;
    const SourceLocation where{path, problem->line, problem->column};
    if (problem->kind == util::TextProblem::Kind::InvalidUtf8)
        throw Error(ErrorKind::ProjectFile,
                    "file is not valid UTF-8 (byte " + util::hex_byte(problem->byte) + ")", where,
                    "save the file as UTF-8 text");
    throw Error(ErrorKind::ProjectFile, "file contains a NUL byte", where,
                "remove it; a file with NUL bytes is often UTF-16: save it as UTF-8 text");
}

// "a string", "an integer", ...: the article makes "found an integer" read naturally.
std::string_view described(toml::node_type type) {
    switch (type) {
    case toml::node_type::string:
        return "a string";
    case toml::node_type::integer:
        return "an integer";
    case toml::node_type::floating_point:
        return "a floating-point number";
    case toml::node_type::boolean:
        return "a boolean";
    case toml::node_type::date:
        return "a date";
    case toml::node_type::time:
        return "a time";
    case toml::node_type::date_time:
        return "a date-time";
    case toml::node_type::array:
        return "an array";
    case toml::node_type::table:
        return "a table";
    case toml::node_type::none:
        break;
    }
    return "nothing";
}

// What every handler needs to know about the file being parsed.
struct Context {
    std::string path;             // the project file as given, for messages
    std::filesystem::path folder; // relative paths in the file resolve against this
    const EnvLookup& env;

    SourceLocation at(const toml::source_region& region) const {
        return {path, static_cast<int>(region.begin.line), static_cast<int>(region.begin.column)};
    }
    SourceLocation at(const toml::node& node) const { return at(node.source()); }
};

// An app plus the positions that later checks (duplicates, dependencies, folders) point at.
struct ParsedApp {
    AppConfig config;
    SourceLocation name_at;
    SourceLocation migrations_at;
    std::vector<SourceLocation> depends_on_at; // one per depends_on entry
};

struct Document {
    Project project;
    std::vector<ParsedApp> apps;
    std::unordered_map<std::string, std::size_t> app_index; // name -> position in apps
    SourceLocation schema_file_at;                          // the schema_file value, if any
};

[[noreturn]] void wrong_type(std::string_view key, std::string_view expected,
                             const toml::node& value, const Context& context,
                             std::string hint = {}) {
    throw Error(ErrorKind::ProjectFile,
                "`" + std::string(key) + "` must be " + std::string(expected) + ", found " +
                    std::string(described(value.type())),
                context.at(value), std::move(hint));
}

const std::string& require_string(std::string_view key, const toml::node& value,
                                  const Context& context) {
    const auto* text = value.as_string();
    if (text == nullptr)
        wrong_type(key, "a string", value, context);
    return text->get();
}

// A shell expands "~" before a program sees it; in strata.toml nothing does, and "~/app.db"
// would quietly name a folder called "~" beside the project file.
void refuse_tilde(std::string_view key, std::string_view path, const toml::node& value,
                  const Context& context) {
    if (path != "~" && !path.starts_with("~/"))
        return;
    throw Error(ErrorKind::ProjectFile,
                "`" + std::string(key) + "` starts with \"~\", which strata does not expand",
                context.at(value),
                "write ${HOME}" + std::string(path.substr(1)) + " to mean your home folder");
}

// A path value: environment references expanded, then resolved against the project folder.
std::filesystem::path path_value(std::string_view key, const toml::node& value,
                                 const Context& context) {
    std::string expanded =
        expand_environment(require_string(key, value, context), context.env, context.at(value));
    if (expanded.empty())
        throw Error(ErrorKind::ProjectFile, "`" + std::string(key) + "` must not be empty",
                    context.at(value));
    refuse_tilde(key, expanded, value, context);
    std::filesystem::path path(expanded);
    return path.is_absolute() ? path : context.folder / path;
}

// One entry of a key table: the handler that reads the key's value, and what to say when a
// required key is absent (empty message: the key is optional). Adding a key to strata.toml
// means adding one row to the table of its section and writing its handler.
template <typename Target>
struct KeyRule {
    std::string_view key;
    void (*apply)(const toml::node& value, const Context& context, Target& target);
    std::string_view missing_message;
    std::string_view missing_hint;
};

// Whether `name` is a key of the top level of strata.toml (defined after the key table).
bool is_top_level_key(std::string_view name);

// Applies `rules` to every key of `table` in the order the keys appear in the file, so the
// first problem reported is the first one a reader meets. `section` names the table in
// messages ("" for the top level); `missing_at` is where a missing key is reported.
template <typename Target>
void apply_rules(const toml::table& table, std::span<const KeyRule<Target>> rules,
                 std::string_view section, const SourceLocation& missing_at, const Context& context,
                 Target& target) {
    std::vector<std::pair<const toml::key*, const toml::node*>> entries;
    for (auto&& [key, value] : table)
        entries.emplace_back(&key, &value);
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
        const auto& pa = a.first->source().begin;
        const auto& pb = b.first->source().begin;
        return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
    });

    std::vector<std::string_view> valid;
    for (const auto& rule : rules)
        valid.push_back(rule.key);
    const std::string in_section = section.empty() ? "" : " in " + std::string(section);

    std::set<std::string_view> seen;
    for (const auto& entry : entries) {
        const std::string_view name = entry.first->str();
        auto rule = std::find_if(rules.begin(), rules.end(),
                                 [name](const auto& r) { return r.key == name; });
        if (rule == rules.end()) {
            // TOML puts every key after an [[apps]] header into that app, so a top-level key
            // written at the end of the file lands in the last app.
            if (!section.empty() && is_top_level_key(name))
                throw Error(ErrorKind::ProjectFile,
                            in_quotes(name) + " is a top-level key, but it is written after an " +
                                std::string(section) +
                                " header, so TOML reads it as part of "
                                "that app",
                            context.at(entry.first->source()),
                            "move it above the first " + std::string(section));
            std::string suggestion = util::closest_match(name, valid);
            std::string hint = suggestion.empty()
                                   ? "valid keys" + in_section + ": " + join(valid, ", ")
                                   : "did you mean " + in_quotes(suggestion) + "?";
            throw Error(ErrorKind::ProjectFile, "unknown key " + in_quotes(name) + in_section,
                        context.at(entry.first->source()), hint);
        }
        rule->apply(*entry.second, context, target);
        seen.insert(rule->key);
    }
    for (const auto& rule : rules) {
        if (!rule.missing_message.empty() && !seen.count(rule.key))
            throw Error(ErrorKind::ProjectFile, std::string(rule.missing_message), missing_at,
                        std::string(rule.missing_hint));
    }
}

// ---- [[apps]] keys ----

bool is_valid_app_name(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-';
    });
}

void apply_app_name(const toml::node& value, const Context& context, ParsedApp& app) {
    const std::string& name = require_string("name", value, context);
    if (!is_valid_app_name(name))
        throw Error(ErrorKind::ProjectFile, "invalid app name " + in_quotes(name),
                    context.at(value), "use only letters, digits, \"_\" and \"-\"");
    // "all" is how the command line selects every app, so an app of that name could never be
    // selected on its own.
    if (name == "all")
        throw Error(ErrorKind::ProjectFile, "app name \"all\" is reserved", context.at(value),
                    "\"all\" selects every app on the command line; choose another name");
    app.config.name = name;
    app.name_at = context.at(value);
}

void apply_app_migrations(const toml::node& value, const Context& context, ParsedApp& app) {
    app.config.migrations_dir = path_value("migrations", value, context);
    app.migrations_at = context.at(value);
}

void apply_app_depends_on(const toml::node& value, const Context& context, ParsedApp& app) {
    const auto* list = value.as_array();
    if (list == nullptr)
        wrong_type("depends_on", "an array of strings", value, context,
                   "write depends_on = [\"other_app\"]");
    for (const toml::node& entry : *list) {
        const auto* name = entry.as_string();
        if (name == nullptr)
            throw Error(ErrorKind::ProjectFile,
                        "`depends_on` entries must be strings, found " +
                            std::string(described(entry.type())),
                        context.at(entry));
        app.config.depends_on.push_back(name->get());
        app.depends_on_at.push_back(context.at(entry));
    }
}

constexpr KeyRule<ParsedApp> k_app_keys[] = {
    {"name", &apply_app_name, "missing required key \"name\" in [[apps]]",
     "add name = \"...\" (letters, digits, \"_\" and \"-\")"},
    {"migrations", &apply_app_migrations, "missing required key \"migrations\" in [[apps]]",
     "add migrations = \"migrations/<app>\" (a folder relative to the project file)"},
    {"depends_on", &apply_app_depends_on, {}, {}},
};

// ---- top-level keys ----

void apply_database(const toml::node& value, const Context& context, Document& document) {
    const std::string path = expand_environment(require_string("database", value, context),
                                                context.env, context.at(value));
    // An empty value gets path_value's message, which every path key shares.
    if (auto problem = path.empty() ? std::nullopt : database_path_problem(path))
        throw Error(ErrorKind::ProjectFile, "the database path " + in_quotes(path) + " " + *problem,
                    context.at(value), database_path_hint(path));
    document.project.database = path_value("database", value, context);
}

void apply_busy_timeout(const toml::node& value, const Context& context, Document& document) {
    const auto* number = value.as_integer();
    if (number == nullptr)
        wrong_type("busy_timeout_ms", "an integer", value, context);
    if (auto problem = busy_timeout_ms_problem(number->get()))
        throw Error(ErrorKind::ProjectFile, std::move(*problem), context.at(value));
    document.project.busy_timeout_ms = static_cast<int>(number->get());
}

void apply_apps(const toml::node& value, const Context& context, Document& document) {
    const auto* list = value.as_array();
    if (list == nullptr)
        wrong_type("apps", "an array of tables", value, context,
                   "write each app as its own [[apps]] section (double brackets)");
    if (list->empty())
        throw Error(ErrorKind::ProjectFile, "a project needs at least one [[apps]] entry",
                    context.at(value));
    for (const toml::node& entry : *list) {
        const auto* table = entry.as_table();
        if (table == nullptr)
            throw Error(ErrorKind::ProjectFile,
                        "`apps` entries must be tables, found " +
                            std::string(described(entry.type())),
                        context.at(entry));
        ParsedApp app;
        app.config.where = context.at(entry);
        apply_rules<ParsedApp>(*table, k_app_keys, "[[apps]]", app.config.where, context, app);
        // A map, not a scan of the earlier apps: parsing stays linear in the number of apps.
        const auto [earlier, added] =
            document.app_index.emplace(app.config.name, document.apps.size());
        if (!added)
            throw Error(ErrorKind::ProjectFile,
                        "duplicate app name " + in_quotes(app.config.name) +
                            " (first defined on line " +
                            std::to_string(document.apps[earlier->second].name_at.line) + ")",
                        app.name_at, "app names must be unique");
        document.apps.push_back(std::move(app));
    }
}

// A string key read by that setting's one parser (strata/project/settings.hpp), which also
// words the message for an unknown or refused value.
template <typename T>
T setting_value(std::string_view key, Parsed<T> (*parse)(std::string_view), const toml::node& value,
                const Context& context) {
    if (!value.is_string()) {
        // What the setting accepts is the useful part: `foreign_keys = 1` is not a typo of a
        // string but a guess at the values.
        std::string names;
        for (std::string_view name : parse("").valid)
            names += (names.empty() ? "\"" : ", \"") + std::string(name) + "\"";
        wrong_type(key, "one of " + names, value, context);
    }
    Parsed<T> parsed = parse(require_string(key, value, context));
    if (!parsed.value)
        throw Error(ErrorKind::ProjectFile, std::move(parsed.message), context.at(value),
                    std::move(parsed.hint));
    return *parsed.value;
}

void apply_foreign_keys(const toml::node& value, const Context& context, Document& document) {
    document.project.settings.foreign_keys =
        setting_value("foreign_keys", &parse_foreign_keys, value, context);
}

void apply_out_of_order(const toml::node& value, const Context& context, Document& document) {
    document.project.settings.out_of_order =
        setting_value("out_of_order", &parse_out_of_order, value, context);
}

void apply_transaction(const toml::node& value, const Context& context, Document& document) {
    document.project.settings.transaction =
        setting_value("transaction", &parse_transaction, value, context);
}

void apply_journal_mode(const toml::node& value, const Context& context, Document& document) {
    document.project.settings.journal_mode =
        setting_value("journal_mode", &parse_journal_mode, value, context);
}

void apply_synchronous(const toml::node& value, const Context& context, Document& document) {
    document.project.settings.synchronous =
        setting_value("synchronous", &parse_synchronous, value, context);
}

void apply_backup(const toml::node& value, const Context& context, Document& document) {
    const auto* flag = value.as_boolean();
    if (flag == nullptr)
        wrong_type("backup", "a boolean (true or false)", value, context);
    document.project.settings.backup = flag->get();
}

void apply_keep_backups(const toml::node& value, const Context& context, Document& document) {
    const auto* number = value.as_integer();
    if (number == nullptr)
        wrong_type("keep_backups", "an integer", value, context);
    if (auto problem = keep_backups_problem(number->get()))
        throw Error(ErrorKind::ProjectFile, std::move(*problem), context.at(value));
    document.project.settings.keep_backups = static_cast<int>(number->get());
}

void apply_schema_file(const toml::node& value, const Context& context, Document& document) {
    document.project.settings.schema_file = path_value("schema_file", value, context);
    document.schema_file_at = context.at(value);
}

// Run once every key is read (the database may come after schema_file) and the folders are
// known to exist, so that links and ".." are resolved as the run will see them. The library
// checks again before it writes, for a Project built in code or a --database override.
void check_schema_file(const Document& document) {
    const Project& project = document.project;
    const std::filesystem::path& schema_file = project.settings.schema_file;
    if (schema_file.empty())
        return;
    if (auto problem = written_file_problem(project, schema_file))
        throw Error(ErrorKind::ProjectFile,
                    "`schema_file` " + in_quotes(schema_file.string()) + " " + *problem,
                    document.schema_file_at, written_file_hint("schema_file"));
}

void apply_state_table(const toml::node& value, const Context& context, Document& document) {
    const std::string& name = require_string("state_table", value, context);
    if (auto problem = state_table_problem(name))
        throw Error(ErrorKind::ProjectFile, std::move(*problem), context.at(value),
                    "for example state_table = \"strata_migrations\"");
    document.project.settings.state_table = name;
}

void apply_minimum_sqlite(const toml::node& value, const Context& context, Document& document) {
    const std::string& text = require_string("minimum_sqlite", value, context);
    const std::optional<int> number = parse_sqlite_version(text);
    if (!number)
        throw Error(ErrorKind::ProjectFile,
                    "`minimum_sqlite` must be a SQLite 3 version such as \"3.31\" or \"3.31.1\", "
                    "found \"" +
                        text + "\"",
                    context.at(value), "for example minimum_sqlite = \"3.31\"");
    document.project.settings.minimum_sqlite = *number;
}

void apply_functions(const toml::node& value, const Context& context, Document& document) {
    const auto* list = value.as_array();
    if (list == nullptr)
        wrong_type("functions", "an array of strings", value, context,
                   "write functions = [\"my_function\"]");
    std::vector<std::string>& functions = document.project.settings.functions;
    for (const toml::node& entry : *list) {
        const auto* name = entry.as_string();
        if (name == nullptr)
            throw Error(ErrorKind::ProjectFile,
                        "`functions` entries must be strings, found " +
                            std::string(described(entry.type())),
                        context.at(entry));
        if (auto problem = function_name_problem(name->get()))
            throw Error(ErrorKind::ProjectFile, std::move(*problem), context.at(entry));
        functions.push_back(name->get());
    }
}

constexpr KeyRule<Document> k_top_level_keys[] = {
    {"database", &apply_database, "missing required key \"database\"",
     "add database = \"app.db\" (a path relative to the project file)"},
    {"busy_timeout_ms", &apply_busy_timeout, {}, {}},
    {"foreign_keys", &apply_foreign_keys, {}, {}},
    {"out_of_order", &apply_out_of_order, {}, {}},
    {"transaction", &apply_transaction, {}, {}},
    {"journal_mode", &apply_journal_mode, {}, {}},
    {"synchronous", &apply_synchronous, {}, {}},
    {"backup", &apply_backup, {}, {}},
    {"keep_backups", &apply_keep_backups, {}, {}},
    {"schema_file", &apply_schema_file, {}, {}},
    {"state_table", &apply_state_table, {}, {}},
    {"minimum_sqlite", &apply_minimum_sqlite, {}, {}},
    {"functions", &apply_functions, {}, {}},
    {"apps", &apply_apps, "a project needs at least one [[apps]] entry",
     "add an [[apps]] section with name = \"main\" and migrations = \"migrations/main\""},
};

bool is_top_level_key(std::string_view name) {
    return std::any_of(std::begin(k_top_level_keys), std::end(k_top_level_keys),
                       [name](const KeyRule<Document>& rule) { return rule.key == name; });
}

// ---- checks across apps ----

void check_dependencies_exist(const std::vector<ParsedApp>& apps) {
    std::unordered_set<std::string_view> names;
    for (const ParsedApp& app : apps)
        names.insert(app.config.name);
    for (const ParsedApp& app : apps) {
        const std::string& self = app.config.name;
        const auto& deps = app.config.depends_on;
        for (std::size_t i = 0; i < deps.size(); ++i) {
            const SourceLocation& at = app.depends_on_at[i];
            if (deps[i] == self)
                throw Error(ErrorKind::ProjectFile, "app " + in_quotes(self) + " depends on itself",
                            at, "remove " + in_quotes(self) + " from its depends_on");
            if (std::find(deps.begin(), deps.begin() + static_cast<std::ptrdiff_t>(i), deps[i]) !=
                deps.begin() + static_cast<std::ptrdiff_t>(i))
                throw Error(ErrorKind::ProjectFile,
                            "app " + in_quotes(self) + " lists " + in_quotes(deps[i]) +
                                " twice in depends_on",
                            at);
            if (!names.count(deps[i])) {
                std::vector<std::string_view> others;
                for (const ParsedApp& other : apps) {
                    if (other.config.name != self)
                        others.push_back(other.config.name);
                }
                std::string suggestion = util::closest_match(deps[i], others);
                std::string hint = !suggestion.empty()
                                       ? "did you mean " + in_quotes(suggestion) + "?"
                                   : others.empty() ? "this project defines no other apps"
                                                    : "known apps: " + join(others, ", ");
                throw Error(ErrorKind::ProjectFile,
                            "app " + in_quotes(self) + " depends on unknown app " +
                                in_quotes(deps[i]),
                            at, hint);
            }
        }
    }
}

// Depth-first search in listed order; meeting an app that is still on the path closes a
// cycle, reported at the depends_on entry that closes it.
class CycleFinder {
  public:
    explicit CycleFinder(const std::vector<ParsedApp>& apps) : m_apps(apps) {
        for (std::size_t i = 0; i < apps.size(); ++i)
            m_index.emplace(apps[i].config.name, i);
        m_state.assign(apps.size(), State::Unvisited);
    }

    void check() {
        for (std::size_t i = 0; i < m_apps.size(); ++i) {
            if (m_state[i] == State::Unvisited)
                visit(i);
        }
    }

  private:
    enum class State { Unvisited, OnPath, Done };

    // Iterative, with the path as the explicit stack: a project file is input, and a chain of
    // depends_on entries as long as the file allows must not overflow the call stack.
    void visit(std::size_t start) {
        struct Frame {
            std::size_t app;
            std::size_t next_dependency = 0;
        };
        std::vector<Frame> stack{{start}};
        m_state[start] = State::OnPath;
        m_path.push_back(start);
        while (!stack.empty()) {
            Frame& frame = stack.back();
            const ParsedApp& app = m_apps[frame.app];
            if (frame.next_dependency == app.config.depends_on.size()) {
                m_path.pop_back();
                m_state[frame.app] = State::Done;
                stack.pop_back();
                continue;
            }
            const std::size_t d = frame.next_dependency++;
            const std::size_t j = m_index.at(app.config.depends_on[d]);
            if (m_state[j] == State::OnPath)
                report(j, app.depends_on_at[d]);
            if (m_state[j] == State::Unvisited) {
                m_state[j] = State::OnPath;
                m_path.push_back(j);
                stack.push_back({j});
            }
        }
    }

    [[noreturn]] void report(std::size_t start, const SourceLocation& at) const {
        std::string cycle;
        auto first = std::find(m_path.begin(), m_path.end(), start);
        for (auto it = first; it != m_path.end(); ++it)
            cycle += m_apps[*it].config.name + " -> ";
        cycle += m_apps[start].config.name;
        throw Error(ErrorKind::ProjectFile, "dependency cycle: " + cycle, at,
                    "remove one of the depends_on entries in this cycle");
    }

    const std::vector<ParsedApp>& m_apps;
    std::unordered_map<std::string, std::size_t> m_index;
    std::vector<State> m_state;
    std::vector<std::size_t> m_path;
};

Document parse_document(std::string_view text, const std::filesystem::path& file,
                        const EnvLookup& env) {
    check_text(text, file.string());
    Context context{file.string(), file.parent_path(), env};
    toml::table root;
    refuse_toml_parser_traps(text, context.path);
    try {
        root = toml::parse(text, std::string_view(context.path));
    } catch (const toml::parse_error& error) {
        throw Error(ErrorKind::ProjectFile, std::string(error.description()),
                    context.at(error.source()));
    } catch (const detail::TomlCheckFailed& failed) {
        throw Error(ErrorKind::ProjectFile,
                    std::string("malformed TOML (the parser's check failed: ") + failed.expression +
                        ")",
                    SourceLocation{context.path});
    }

    Document document;
    document.project.file = file;
    // A missing top-level key has no position of its own, so it is reported against the file.
    apply_rules<Document>(root, k_top_level_keys, "", SourceLocation{context.path}, context,
                          document);
    check_dependencies_exist(document.apps);
    CycleFinder(document.apps).check();
    for (const ParsedApp& app : document.apps)
        document.project.apps.push_back(app.config);
    return document;
}

std::string read_project_file(const std::filesystem::path& file) {
    const SourceLocation where{file.string()};
    try {
        return util::read_file(file);
    } catch (const util::FileError& error) {
        switch (error.problem) {
        case util::FileProblem::NotFound:
            throw Error(ErrorKind::ProjectFile, "project file not found", where,
                        "run `strata init` to create one, or pass -p FILE to use another");
        case util::FileProblem::NotRegular:
            throw Error(ErrorKind::ProjectFile,
                        error.kind == util::FileKind::Directory
                            ? std::string("project file is a directory")
                            : "project file is not a regular file (it is " +
                                  std::string(util::describe(error.kind)) + ")",
                        where, "pass -p FILE with the path of a strata.toml file");
        case util::FileProblem::TooLarge:
            throw Error(ErrorKind::ProjectFile,
                        "project file is too large (" + std::to_string(error.size) +
                            " bytes; the limit is " + std::to_string(error.limit) + ")",
                        where, "pass -p FILE with the path of a strata.toml file");
        default:
            throw Error(ErrorKind::ProjectFile, "cannot read project file: " + error.reason(),
                        where);
        }
    }
}

} // namespace

const AppConfig* Project::find_app(std::string_view name) const {
    auto it = std::find_if(apps.begin(), apps.end(),
                           [&](const AppConfig& app) { return app.name == name; });
    return it == apps.end() ? nullptr : &*it;
}

// Repeatedly takes the earliest-listed app whose dependencies are all placed, so apps keep
// their listed order unless a dependency forces one later.
std::vector<const AppConfig*> Project::apps_in_dependency_order() const {
    std::unordered_map<std::string_view, std::size_t> index;
    for (std::size_t i = 0; i < apps.size(); ++i)
        index.emplace(apps[i].name, i);
    std::vector<std::size_t> unplaced_deps(apps.size(), 0);
    std::vector<std::vector<std::size_t>> dependents(apps.size());
    for (std::size_t i = 0; i < apps.size(); ++i) {
        for (const std::string& dep : apps[i].depends_on) {
            auto it = index.find(dep);
            if (it == index.end() || it->second == i)
                continue;
            ++unplaced_deps[i];
            dependents[it->second].push_back(i);
        }
    }
    std::set<std::size_t> ready;
    for (std::size_t i = 0; i < apps.size(); ++i) {
        if (unplaced_deps[i] == 0)
            ready.insert(i);
    }
    std::vector<const AppConfig*> order;
    std::vector<bool> placed(apps.size(), false);
    while (!ready.empty()) {
        std::size_t i = *ready.begin();
        ready.erase(ready.begin());
        order.push_back(&apps[i]);
        placed[i] = true;
        for (std::size_t dependent : dependents[i]) {
            if (--unplaced_deps[dependent] == 0)
                ready.insert(dependent);
        }
    }
    // parse_project rejects cycles, but a Project built in code might hold one: keep those
    // apps (in listed order) rather than silently dropping them.
    for (std::size_t i = 0; i < apps.size(); ++i) {
        if (!placed[i])
            order.push_back(&apps[i]);
    }
    return order;
}

std::vector<const AppConfig*> Project::select_apps(std::string_view selector) const {
    if (selector == "all")
        return apps_in_dependency_order();
    if (const AppConfig* app = find_app(selector))
        return {app};
    std::vector<std::string_view> names;
    for (const AppConfig& app : apps)
        names.push_back(app.name);
    std::string suggestion = util::closest_match(selector, names);
    std::string hint = suggestion.empty() ? "" : "did you mean " + in_quotes(suggestion) + "? ";
    hint += "valid apps: " + join(names, ", ") + " (or \"all\")";
    throw Error(ErrorKind::Usage, "unknown app " + in_quotes(selector), {}, hint);
}

Project parse_project(std::string_view text, const std::filesystem::path& file,
                      const EnvLookup& env) {
    return parse_document(text, file, env).project;
}

Project load_project(const std::filesystem::path& file, const EnvLookup& env) {
    Document document = parse_document(read_project_file(file), file, env);
    for (const ParsedApp& app : document.apps) {
        const std::filesystem::path& dir = app.config.migrations_dir;
        const std::string subject = "migrations folder " + in_quotes(dir.string()) + " of app " +
                                    in_quotes(app.config.name);
        std::error_code ec;
        auto status = std::filesystem::status(dir, ec);
        if (status.type() == std::filesystem::file_type::not_found)
            throw Error(ErrorKind::ProjectFile, subject + " does not exist", app.migrations_at,
                        "create the folder, or correct the path (it is relative to the "
                        "project file's folder)");
        if (ec)
            throw Error(ErrorKind::ProjectFile, subject + " cannot be read: " + ec.message(),
                        app.migrations_at);
        if (status.type() != std::filesystem::file_type::directory)
            throw Error(ErrorKind::ProjectFile, subject + " is not a directory", app.migrations_at,
                        "`migrations` must name a folder of .up.sql/.down.sql files");
    }
    check_schema_file(document);
    return document.project;
}

} // namespace strata
