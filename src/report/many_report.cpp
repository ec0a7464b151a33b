// SPDX-License-Identifier: MIT
#include "report/many_report.hpp"

#include "util/printable.hpp"
#include "util/text.hpp"

namespace strata::report {
namespace {

std::string migrations(std::size_t count) {
    return util::counted(count, "migration");
}

std::string where_it_stands(const DatabaseStatus& status) {
    switch (status.state) {
    case DatabaseState::UpToDate:
        return "up to date";
    case DatabaseState::Pending:
        return migrations(status.pending.size()) + " pending" +
               (status.database_exists ? "" : " (not created yet)");
    case DatabaseState::Modified:
        return migrations(status.modified.size()) + " modified since applied";
    case DatabaseState::NewerThanApp:
        return "newer than this application (" + migrations(status.unknown.size()) + " unknown)";
    }
    return std::string(database_state_name(status.state));
}

} // namespace

std::string render_database_line(const DatabaseResult& result, std::string_view path) {
    std::string line = std::string(path) + ": ";
    switch (result.outcome) {
    case DatabaseOutcome::Failed: {
        // The line stays one line: the hint and the caret are in --json's error object.
        std::string what = result.error ? result.error->what() : result.message;
        what = what.substr(0, what.find('\n'));
        return line + "FAILED: " + util::printable(what, util::Layout::OneLine);
    }
    case DatabaseOutcome::UpToDate:
    case DatabaseOutcome::Pending:
        if (result.status)
            return line + where_it_stands(*result.status);
        return line + "up to date";
    case DatabaseOutcome::Migrated:
        if (result.reversed > 0)
            return line + "reversed " + migrations(result.reversed) + ", applied " +
                   migrations(result.applied);
        return line + "applied " + migrations(result.applied);
    }
    return line;
}

std::string render_many_summary(ManyCommand command, const ManyDatabasesSummary& summary) {
    std::string line = util::counted(summary.databases, "database") + ": ";
    if (command == ManyCommand::Check)
        line += std::to_string(summary.up_to_date) + " up to date, " +
                std::to_string(summary.pending) + " pending";
    else
        line += std::to_string(summary.migrated) + " migrated, " +
                std::to_string(summary.up_to_date) + " up to date";
    return line + ", " + std::to_string(summary.failed) + " failed";
}

} // namespace strata::report
