// SPDX-License-Identifier: MIT
#include "report/json_reporter.hpp"

#include "report/status_table.hpp"
#include "util/text.hpp"

#include <cstdio>
#include <utility>

namespace strata::report {

std::string json_string(std::string_view text) {
    std::string out = "\"";
    for (std::size_t i = 0; i < text.size();) {
        char c = text[i];
        std::size_t length = util::utf8_sequence_length(text, i);
        if (length == 0) {
            // A JSON document must be valid UTF-8; a stray byte becomes U+FFFD.
            out += "\\ufffd";
            ++i;
            continue;
        }
        if (length > 1) {
            out.append(text.substr(i, length));
            i += length;
            continue;
        }
        ++i;
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\b':
            out += "\\b";
            break;
        case '\f':
            out += "\\f";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                char escape[8];
                std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned char>(c));
                out += escape;
            } else {
                out += c;
            }
        }
    }
    out += '"';
    return out;
}

JsonWriter& JsonWriter::begin_object() {
    before_value();
    m_out += '{';
    m_levels.push_back({});
    return *this;
}

JsonWriter& JsonWriter::end_object() {
    m_levels.pop_back();
    m_out += '}';
    return *this;
}

JsonWriter& JsonWriter::begin_array(Layout layout) {
    before_value();
    m_out += '[';
    m_levels.push_back({true, layout == Layout::LinePerElement});
    return *this;
}

JsonWriter& JsonWriter::end_array() {
    const Level level = m_levels.back();
    m_levels.pop_back();
    // An empty array stays "[]" whatever its layout.
    if (level.line_per_element && !level.first)
        m_out += '\n';
    m_out += ']';
    return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
    before_value();
    m_out += json_string(name);
    m_out += ':';
    m_after_key = true;
    return *this;
}

JsonWriter& JsonWriter::string(std::string_view text) {
    before_value();
    m_out += json_string(text);
    return *this;
}

JsonWriter& JsonWriter::string_or_null(const std::optional<std::string>& text) {
    return text ? string(*text) : null();
}

JsonWriter& JsonWriter::boolean(bool value) {
    before_value();
    m_out += value ? "true" : "false";
    return *this;
}

JsonWriter& JsonWriter::integer(long long value) {
    before_value();
    m_out += std::to_string(value);
    return *this;
}

JsonWriter& JsonWriter::null() {
    before_value();
    m_out += "null";
    return *this;
}

JsonWriter& JsonWriter::milliseconds(std::chrono::microseconds duration) {
    before_value();
    // Integer arithmetic: a locale or a float format can never turn this into invalid JSON.
    long long micros = duration.count();
    if (micros < 0) {
        m_out += '-';
        micros = -micros;
    }
    char fraction[8];
    std::snprintf(fraction, sizeof fraction, ".%03lld", micros % 1000);
    m_out += std::to_string(micros / 1000);
    m_out += fraction;
    return *this;
}

void JsonWriter::before_value() {
    // The value of a member follows its key directly.
    if (m_after_key) {
        m_after_key = false;
        return;
    }
    if (m_levels.empty())
        return;
    Level& level = m_levels.back();
    if (!level.first)
        m_out += ',';
    level.first = false;
    if (level.line_per_element)
        m_out += "\n  ";
}

namespace {

void write_statuses(JsonWriter& json, const std::vector<MigrationStatus>& statuses) {
    json.begin_array(JsonWriter::Layout::LinePerElement);
    for (const MigrationStatus& status : statuses) {
        json.begin_object();
        json.key("app_name").string(status.app_name);
        json.key("migration_id").string(status.migration_id.text());
        json.key("description").string(status.description);
        json.key("has_ran").boolean(status.has_ran);
        json.key("ran_on");
        if (status.has_ran)
            json.string(status.ran_on);
        else
            json.null();
        json.key("status").string(state_name(shown_state(status)));
        json.key("fake").boolean(status.fake);
        json.end_object();
    }
    json.end_array();
}

// Every document starts the same way, so a reader can check the version first.
void begin_document(JsonWriter& json, std::string_view command, bool ok) {
    json.begin_object();
    json.key("schema").string(k_json_schema);
    json.key("command");
    if (command.empty())
        json.null();
    else
        json.string(command);
    json.key("ok").boolean(ok);
}

std::string end_document(JsonWriter& json) {
    json.end_object();
    return json.text() + "\n";
}

void write_optional_int(JsonWriter& json, const std::optional<int>& value) {
    if (value)
        json.integer(*value);
    else
        json.null();
}

std::optional<std::string> non_empty(const std::string& text) {
    return text.empty() ? std::nullopt : std::optional<std::string>(text);
}

} // namespace

std::string render_statuses_json(const std::vector<MigrationStatus>& statuses) {
    JsonWriter json;
    write_statuses(json, statuses);
    return json.text() + "\n";
}

std::string render_lock_wait_json(std::string_view database, std::chrono::milliseconds timeout) {
    JsonWriter json;
    json.begin_object();
    json.key("event").string("waiting_for_lock");
    json.key("database").string(database);
    json.key("timeout_ms").integer(timeout.count());
    json.end_object();
    return json.text() + "\n";
}

std::string_view error_kind_name(ErrorKind kind) {
    switch (kind) {
    case ErrorKind::Usage:
        return "usage";
    case ErrorKind::UnknownMigration:
        return "unknown_migration";
    case ErrorKind::ProjectFile:
        return "project_file";
    case ErrorKind::MigrationFiles:
        return "migration_files";
    case ErrorKind::MigrationFailed:
        return "migration_failed";
    case ErrorKind::Busy:
        return "busy";
    case ErrorKind::Database:
        return "database";
    case ErrorKind::Refused:
        return "refused";
    case ErrorKind::Drift:
        return "drift";
    case ErrorKind::NewerDatabase:
        return "newer_database";
    case ErrorKind::Interrupted:
        return "interrupted";
    case ErrorKind::Output:
        return "output";
    }
    return "internal";
}

JsonError json_error(const Error& error, int exit_code) {
    JsonError out;
    out.kind = error_kind_name(error.kind());
    out.exit_code = exit_code;
    out.message = error.message();
    const SourceLocation& where = error.where();
    out.file = non_empty(where.path);
    if (where.line > 0)
        out.line = where.line;
    if (where.column > 0)
        out.column = where.column;
    out.hint = non_empty(error.hint());
    out.sqlite_code = error.sqlite_code();
    return out;
}

namespace {

// The "error" object of an error document, and of a database that failed among many.
void write_error(JsonWriter& json, const JsonError& error) {
    json.begin_object();
    json.key("kind").string(error.kind);
    json.key("exit_code").integer(error.exit_code);
    json.key("message").string(error.message);
    json.key("file").string_or_null(error.file);
    json.key("line");
    write_optional_int(json, error.line);
    json.key("column");
    write_optional_int(json, error.column);
    json.key("hint").string_or_null(error.hint);
    json.key("sqlite_code");
    write_optional_int(json, error.sqlite_code);
    json.end_object();
}

} // namespace

std::string render_error_json(std::string_view command, const JsonError& error) {
    JsonWriter json;
    begin_document(json, command, false);
    json.key("error");
    write_error(json, error);
    return end_document(json);
}

std::string render_many_json(std::string_view command, const std::vector<ManyJsonEntry>& entries,
                             const ManyDatabasesSummary& summary) {
    JsonWriter json;
    begin_document(json, command, summary.failed == 0);
    json.key("databases").begin_array(JsonWriter::Layout::LinePerElement);
    for (const ManyJsonEntry& entry : entries) {
        const DatabaseResult& result = entry.result;
        json.begin_object();
        json.key("database").string(entry.database);
        json.key("outcome").string(database_outcome_name(result.outcome));
        json.key("applied").integer(static_cast<long long>(result.applied));
        json.key("reversed").integer(static_cast<long long>(result.reversed));
        json.key("state");
        if (result.status)
            json.string(database_state_name(result.status->state));
        else
            json.null();
        json.key("pending");
        if (result.status)
            json.integer(static_cast<long long>(result.status->pending.size()));
        else
            json.null();
        json.key("message").string(result.message);
        json.key("error");
        if (entry.error)
            write_error(json, *entry.error);
        else
            json.null();
        json.end_object();
    }
    json.end_array();
    json.key("summary").begin_object();
    json.key("databases").integer(static_cast<long long>(summary.databases));
    json.key("migrated").integer(static_cast<long long>(summary.migrated));
    json.key("up_to_date").integer(static_cast<long long>(summary.up_to_date));
    json.key("pending").integer(static_cast<long long>(summary.pending));
    json.key("failed").integer(static_cast<long long>(summary.failed));
    json.end_object();
    return end_document(json);
}

std::string render_check_json(std::string_view database,
                              const std::vector<MigrationStatus>& statuses) {
    JsonWriter json;
    begin_document(json, "check", true);
    json.key("database").string(database);
    json.key("migrations");
    write_statuses(json, statuses);
    return end_document(json);
}

std::string render_lint_json(const LintReport& report, const std::filesystem::path& base) {
    JsonWriter json;
    begin_document(json, "lint", report.unsilenced() == 0);
    json.key("minimum_sqlite")
        .string_or_null(report.minimum_sqlite == 0 ? std::nullopt
                                                   : std::optional<std::string>(sqlite_version_name(
                                                         report.minimum_sqlite)));
    json.key("migrations_checked").integer(static_cast<long long>(report.migrations_checked));
    json.key("findings").begin_array(JsonWriter::Layout::LinePerElement);
    for (const LintFinding& finding : report.findings) {
        json.begin_object();
        json.key("id").string(lint_check_id(finding.check));
        json.key("app_name").string(finding.app_name);
        json.key("migration").string(finding.migration);
        json.key("path").string(json_path(finding.where.path, base));
        json.key("line").integer(finding.where.line);
        json.key("column").integer(finding.where.column);
        json.key("message").string(finding.message);
        json.key("silenced").boolean(finding.silenced);
        json.end_object();
    }
    json.end_array();
    return end_document(json);
}

std::string render_files_json(std::string_view command, const std::vector<std::string>& files) {
    JsonWriter json;
    begin_document(json, command, true);
    json.key("files").begin_array();
    for (const std::string& file : files)
        json.string(file);
    json.end_array();
    return end_document(json);
}

namespace {

void write_object(JsonWriter& json, const SchemaObject& object) {
    json.begin_object();
    json.key("type").string(object.type);
    json.key("name").string(object.name);
    json.key("table").string(object.table_name);
    json.key("sql").string(object.sql);
    json.end_object();
}

} // namespace

std::string render_verify_json(std::string_view database, const VerifyReport& report) {
    JsonWriter json;
    begin_document(json, "verify", report.ok());
    json.key("database").string(database);
    json.key("start").string(report.start == VerifyStart::Copy ? "copy" : "empty");
    json.key("migrations").begin_array(JsonWriter::Layout::LinePerElement);
    for (const VerifiedMigration& migration : report.migrations) {
        const SnapshotDiff& diff = migration.diff;
        json.begin_object();
        json.key("app_name").string(migration.app_name);
        json.key("migration_id").string(migration.migration_id.text());
        json.key("description").string(migration.description);
        json.key("status").string(migration.verified() ? "verified" : "mismatch");
        json.key("added").begin_array();
        for (const SchemaObject& object : diff.added)
            write_object(json, object);
        json.end_array();
        json.key("removed").begin_array();
        for (const SchemaObject& object : diff.removed)
            write_object(json, object);
        json.end_array();
        json.key("changed").begin_array();
        for (const ChangedObject& change : diff.changed) {
            json.begin_object();
            json.key("type").string(change.after.type);
            json.key("name").string(change.after.name);
            json.key("before").string(change.before.sql);
            json.key("after").string(change.after.sql);
            json.end_object();
        }
        json.end_array();
        json.key("rows").begin_array();
        for (const ChangedRows& rows : diff.rows) {
            json.begin_object();
            json.key("table").string(rows.table);
            json.key("rows_before").integer(rows.rows_before);
            json.key("rows_after").integer(rows.rows_after);
            json.end_object();
        }
        json.end_array();
        json.end_object();
    }
    json.end_array();
    return end_document(json);
}

std::string render_import_json(const ImportResult& result, const std::filesystem::path& base) {
    JsonWriter json;
    begin_document(json, "import", result.skipped.empty());
    json.key("app_name").string(result.app_name);
    json.key("files").begin_array();
    for (const std::filesystem::path& file : result.written)
        json.string(json_path(file, base));
    json.end_array();
    auto write_notes = [&](std::string_view key, const std::vector<ImportNote>& notes) {
        json.key(key).begin_array();
        for (const ImportNote& note : notes) {
            json.begin_object();
            json.key("source").string(json_path(note.source, base));
            json.key("reason").string(note.reason);
            json.end_object();
        }
        json.end_array();
    };
    write_notes("skipped", result.skipped);
    write_notes("notes", result.notes);
    json.key("adopted").begin_array();
    for (const std::string& id : result.adopted)
        json.string(id);
    json.end_array();
    return end_document(json);
}

std::string json_path(const std::filesystem::path& path, const std::filesystem::path& base) {
    return (path.is_absolute() ? path : base / path).lexically_normal().string();
}

JsonReporter::JsonReporter(std::string command, bool fake, std::filesystem::path base)
    : m_command(std::move(command)), m_fake(fake), m_base(std::move(base)),
      m_started(std::chrono::steady_clock::now()) {}

void JsonReporter::record(const Step& step, std::string status) {
    StepRecord record;
    record.direction = step.direction;
    record.app_name = step.app_name;
    record.migration_id = step.migration_id.text();
    record.description = step.description;
    record.status = std::move(status);
    m_steps.push_back(std::move(record));
}

void JsonReporter::on_preview(const Step& step) {
    record(step, "previewed");
    m_steps.back().sql = step.sql;
}

void JsonReporter::on_step_finished(const Step& step, std::chrono::microseconds elapsed) {
    if (step.direction == Direction::Backwards)
        record(step, "reversed");
    else
        record(step, m_fake ? "faked" : "applied");
    m_steps.back().elapsed = elapsed;
}

void JsonReporter::on_step_skipped(const Step& step, std::string_view reason) {
    record(step, "skipped");
    m_steps.back().reason = std::string(reason);
}

void JsonReporter::on_file_removed(std::string_view path) {
    m_removed_files.push_back(json_path(path, m_base));
}

void JsonReporter::on_backup_created(std::string_view, std::string_view backup) {
    m_backup = json_path(backup, m_base);
}

void JsonReporter::on_schema_written(std::string_view path) {
    m_schema_file = json_path(path, m_base);
}

void JsonReporter::on_warning(std::string_view text) {
    m_warnings.emplace_back(text);
}

std::string JsonReporter::render(const MigrationResult& result, std::string_view database) const {
    JsonWriter json;
    begin_document(json, m_command, result.success);
    json.key("database").string(database);
    json.key("message").string(result.message);
    json.key("steps").begin_array(JsonWriter::Layout::LinePerElement);
    for (const StepRecord& step : m_steps) {
        json.begin_object();
        json.key("app_name").string(step.app_name);
        json.key("migration_id").string(step.migration_id);
        json.key("description").string(step.description);
        json.key("direction")
            .string(step.direction == Direction::Forwards ? "forwards" : "backwards");
        json.key("status").string(step.status);
        json.key("elapsed_ms");
        if (step.elapsed)
            json.milliseconds(*step.elapsed);
        else
            json.null();
        json.key("sql").string_or_null(step.sql);
        json.key("reason").string_or_null(step.reason);
        json.end_object();
    }
    json.end_array();
    json.key("warnings").begin_array();
    for (const std::string& warning : m_warnings)
        json.string(warning);
    json.end_array();
    json.key("backup").string_or_null(m_backup);
    json.key("schema_file").string_or_null(m_schema_file);
    json.key("removed_files").begin_array();
    for (const std::string& file : m_removed_files)
        json.string(file);
    json.end_array();
    json.key("elapsed_ms")
        .milliseconds(std::chrono::duration_cast<std::chrono::microseconds>(
            std::chrono::steady_clock::now() - m_started));
    return end_document(json);
}

} // namespace strata::report
