// SPDX-License-Identifier: MIT
#include "report/verify_report.hpp"

#include "util/printable.hpp"
#include "util/text.hpp"

namespace strata::report {

namespace {

std::string shown(std::string_view text) {
    return util::printable(text, util::Layout::OneLine);
}

std::string label(const VerifiedMigration& migration) {
    std::string out = shown(migration.app_name) + " " + shown(migration.migration_id.text());
    if (!migration.description.empty())
        out += " (" + shown(migration.description) + ")";
    return out;
}

// "index users_email on users", "table users".
std::string object_name(const SchemaObject& object) {
    std::string out = shown(object.type) + " " + shown(object.name);
    if (object.type != "table" && object.type != "view" && !object.table_name.empty())
        out += " on " + shown(object.table_name);
    return out;
}

void write_sql(std::string& out, std::string_view prefix, const SchemaObject& object) {
    // An automatic index has no SQL of its own: its table's constraint is what made it.
    if (!object.sql.empty())
        out += "      " + std::string(prefix) + shown(object.sql) + "\n";
}

void write_diff(std::string& out, const SnapshotDiff& diff) {
    for (const SchemaObject& object : diff.added) {
        out += "    left behind: " + object_name(object) + "\n";
        write_sql(out, "", object);
    }
    for (const SchemaObject& object : diff.removed) {
        out += "    missing: " + object_name(object) + "\n";
        write_sql(out, "", object);
    }
    for (const ChangedObject& change : diff.changed) {
        out += "    changed: " + object_name(change.after) + "\n";
        write_sql(out, "before: ", change.before);
        write_sql(out, "after:  ", change.after);
    }
    for (const ChangedRows& rows : diff.rows) {
        out += "    rows differ: table " + shown(rows.table) + " (" +
               std::to_string(rows.rows_before) + " before, " + std::to_string(rows.rows_after) +
               " after";
        if (rows.rows_before == rows.rows_after)
            out += ", other content";
        out += ")\n";
    }
}

} // namespace

std::string verify_summary(const VerifyReport& report) {
    if (const VerifiedMigration* bad = report.mismatch())
        return label(*bad) + ": its down does not restore the database.";
    if (report.migrations.empty())
        return "No migrations to verify.";
    return "Verified " + util::counted(report.migrations.size(), "migration") + ".";
}

std::string render_verify_text(const VerifyReport& report) {
    std::string out;
    for (const VerifiedMigration& migration : report.migrations) {
        if (migration.verified()) {
            out += "verified  " + label(migration) + "\n";
            continue;
        }
        out += "MISMATCH  " + label(migration) + "\n";
        out += "  after its up and down, compared with before its up:\n";
        write_diff(out, migration.diff);
    }
    return out + verify_summary(report) + "\n";
}

} // namespace strata::report
