// SPDX-License-Identifier: MIT
#include "strata/api/embed.hpp"

#include "strata/error.hpp"
#include "strata/loader/loader.hpp"
#include "strata/loader/migration_source.hpp"
#include "util/file_writer.hpp"
#include "util/text.hpp"

#include <algorithm>
#include <map>

namespace strata {

namespace {

// Clang warns (-Woverlength-strings, part of -Wpedantic) about a string literal longer than the
// 65,536 characters C++ compilers must support, after concatenation. Longer SQL becomes a char
// array, which has no such limit.
constexpr std::size_t k_max_literal = 65'000;
// Each piece of a literal stays short: some compilers limit one literal's source length.
constexpr std::size_t k_piece_bytes = 120;

// A C++ name, or names joined by "::".
bool is_namespace_name(std::string_view name) {
    if (name.empty())
        return false;
    std::size_t start = 0;
    while (true) {
        std::size_t end = name.find("::", start);
        std::string_view part =
            name.substr(start, end == std::string_view::npos ? end : end - start);
        if (part.empty() || (part[0] >= '0' && part[0] <= '9'))
            return false;
        for (char c : part) {
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_';
            if (!ok)
                return false;
        }
        if (end == std::string_view::npos)
            return true;
        start = end + 2;
    }
}

// One byte as it appears inside a C++ literal. Everything outside printable ASCII is a
// three-digit octal escape (never a hex one: those swallow the digits after them), so the
// output is plain ASCII whatever the source encoding; '?' is escaped so that no "??x" trigraph
// can form under an older standard.
void append_escaped(std::string& out, unsigned char byte, char quote = '"') {
    switch (byte) {
    case '\n':
        out += "\\n";
        return;
    case '\t':
        out += "\\t";
        return;
    case '\\':
    case '?':
        out += '\\';
        out += static_cast<char>(byte);
        return;
    default:
        break;
    }
    if (byte == static_cast<unsigned char>(quote)) {
        out += '\\';
        out += quote;
        return;
    }
    if (byte >= 0x20 && byte < 0x7f) {
        out += static_cast<char>(byte);
        return;
    }
    out += '\\';
    out += static_cast<char>('0' + ((byte >> 6) & 7));
    out += static_cast<char>('0' + ((byte >> 3) & 7));
    out += static_cast<char>('0' + (byte & 7));
}

// `text` as adjacent literals, one per line of SQL (and per k_piece_bytes), each line indented.
std::string literal_pieces(std::string_view text, std::string_view indent) {
    if (text.empty())
        return "\"\"";
    std::string out;
    std::size_t in_piece = 0;
    out += '"';
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        append_escaped(out, byte);
        ++in_piece;
        if (i + 1 < text.size() && (byte == '\n' || in_piece == k_piece_bytes)) {
            out += "\"\n";
            out += indent;
            out += '"';
            in_piece = 0;
        }
    }
    out += '"';
    return out;
}

// A char array holding `text` (no terminating NUL), for text too long for one literal.
std::string char_array(const std::string& name, std::string_view text) {
    std::string out = "constexpr char " + name + "[" + std::to_string(text.size()) + "] = {";
    for (std::size_t i = 0; i < text.size(); ++i) {
        out += i % 16 == 0 ? "\n    " : " ";
        out += '\'';
        append_escaped(out, static_cast<unsigned char>(text[i]), '\'');
        out += "',";
    }
    out += "\n};\n";
    return out;
}

// One migration file's raw bytes, as loaded: the file `name` of `source`.
const SourceFile& file_at(const MemorySource& source, const std::vector<SourceFile>& files,
                          const std::string& name) {
    auto found = std::find_if(files.begin(), files.end(),
                              [&](const SourceFile& file) { return file.name == name; });
    if (found == files.end())
        throw Error(ErrorKind::MigrationFiles, "migration file vanished while it was read",
                    SourceLocation{source.path_prefix() + name});
    return *found;
}

struct Text {
    std::string declarations; // arrays for long texts, before the app's table
    std::string expression;   // a std::string_view of the text
};

Text text_of(std::string_view text, const std::string& array_name) {
    if (text.size() > k_max_literal)
        return {char_array(array_name, text),
                "std::string_view{" + array_name + ", sizeof " + array_name + "}"};
    return {"", "std::string_view{" + literal_pieces(text, "                      ") + ",\n" +
                    "                      " + std::to_string(text.size()) + "}"};
}

std::string cpp_literal(std::string_view text) {
    std::string out = "\"";
    for (char c : text)
        append_escaped(out, static_cast<unsigned char>(c));
    return out + "\"";
}

} // namespace

std::string embedded_source_text(const Project& project, const EmbedOptions& options) {
    if (!is_namespace_name(options.namespace_name))
        throw Error(ErrorKind::Usage,
                    "not a C++ namespace name: \"" + options.namespace_name + "\"", {},
                    "use letters, digits and '_' (not first a digit), parts joined by ::");
    std::vector<const AppConfig*> apps = project.select_apps(options.app_name);
    std::sort(apps.begin(), apps.end(),
              [](const AppConfig* a, const AppConfig* b) { return a->name < b->name; });

    std::string body;
    std::string table;
    for (std::size_t a = 0; a < apps.size(); ++a) {
        const AppConfig& app = *apps[a];
        // Read once, then loaded from memory: the loader checks exactly the bytes embedded,
        // and its messages still name the real files.
        const FolderSource folder(app.migrations_dir);
        std::vector<SourceFile> files = folder.list_sql_files();
        const MemorySource source(folder.path_prefix(), files);
        const MigrationSet set = load_migrations(app.name, source);

        const std::string array = "k_app_" + std::to_string(a);
        std::string declarations;
        std::string rows;
        for (std::size_t m = 0; m < set.migrations.size(); ++m) {
            const Migration& migration = set.migrations[m];
            const std::string prefix = array + "_" + std::to_string(m);
            const std::string& name = migration.name;
            Text up = text_of(file_at(source, files, name + std::string(k_up_suffix)).content,
                              prefix + "_up");
            Text down = text_of(file_at(source, files, name + std::string(k_down_suffix)).content,
                                prefix + "_down");
            declarations += up.declarations + down.declarations;
            rows += "    {std::string_view{" + cpp_literal(migration.name) + ", " +
                    std::to_string(migration.name.size()) + "},\n     " + up.expression +
                    ",\n     " + down.expression + "},\n";
        }
        body += "// App \"" + app.name +
                "\": " + util::counted(set.migrations.size(), "migration") + ".\n" + declarations +
                "constexpr std::array<strata::EmbeddedMigration, " +
                std::to_string(set.migrations.size()) + "> " + array + "{{\n" + rows + "}};\n\n";
        table += "    App{std::string_view{" + cpp_literal(app.name) + ", " +
                 std::to_string(app.name.size()) + "}, " + array + "},\n";
    }

    const std::string& ns = options.namespace_name;
    std::string out;
    out += "// Generated by `strata embed`: do not edit; regenerate it when a migration file "
           "changes.\n";
    out += "// Declarations for the application:\n";
    out += "//   namespace " + ns + " {\n";
    out += "//   std::shared_ptr<const strata::MigrationSource> migration_source(std::string_view "
           "app);\n";
    out += "//   std::vector<std::string_view> app_names();\n";
    out += "//   void add_sources(strata::Context& context);\n";
    out += "//   }\n";
    out += "#include <strata/strata.hpp>\n\n";
    out += "#include <array>\n#include <memory>\n#include <span>\n#include <string>\n"
           "#include <string_view>\n#include <vector>\n\n";
    out += "namespace " + ns + " {\n\n";
    out +=
        "std::shared_ptr<const strata::MigrationSource> migration_source(std::string_view app);\n";
    out += "std::vector<std::string_view> app_names();\n";
    out += "void add_sources(strata::Context& context);\n\n";
    out += "namespace {\n\n";
    out += "struct App {\n    std::string_view name;\n"
           "    std::span<const strata::EmbeddedMigration> migrations;\n};\n\n";
    out += body;
    out +=
        "const std::array<App, " + std::to_string(apps.size()) + "> k_apps{{\n" + table + "}};\n\n";
    out += "} // namespace\n\n";
    out += "// The migrations of `app` compiled in, or nullptr when this file has none for it.\n";
    out += "std::shared_ptr<const strata::MigrationSource> migration_source(std::string_view app) "
           "{\n";
    out += "    for (const App& entry : k_apps)\n";
    out += "        if (entry.name == app)\n";
    out += "            return std::make_shared<const "
           "strata::EmbeddedSource>(std::string(entry.name),\n";
    out += "                                                                  entry.migrations);\n";
    out += "    return nullptr;\n}\n\n";
    out += "// The apps whose migrations this file holds, by name.\n";
    out += "std::vector<std::string_view> app_names() {\n";
    out += "    std::vector<std::string_view> names;\n";
    out += "    for (const App& entry : k_apps)\n";
    out += "        names.push_back(entry.name);\n";
    out += "    return names;\n}\n\n";
    out += "// Makes every app of this file read its migrations from here instead of a folder.\n";
    out += "void add_sources(strata::Context& context) {\n";
    out += "    for (const App& entry : k_apps)\n";
    out += "        context.sources[std::string(entry.name)] = migration_source(entry.name);\n";
    out += "}\n\n";
    out += "} // namespace " + ns + "\n";
    return out;
}

void write_embedded_source(const Project& project, const EmbedOptions& options,
                           const std::filesystem::path& output) {
    const std::string text = embedded_source_text(project, options);
    try {
        util::write_file_atomically(output, text, util::WriteMode::Replace);
    } catch (const util::FileError& error) {
        throw Error(ErrorKind::Output, "cannot write the generated source: " + error.reason(),
                    SourceLocation{output.string()});
    }
}

} // namespace strata
