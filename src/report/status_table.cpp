// SPDX-License-Identifier: MIT
#include "report/status_table.hpp"

#include "util/printable.hpp"

#include <algorithm>
#include <array>

namespace strata::report {
namespace {

constexpr std::string_view k_ellipsis = "…";
constexpr std::string_view k_separator = "  ";

bool is_continuation_byte(char c) {
    return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

std::string state_text(const MigrationStatus& status) {
    switch (shown_state(status)) {
    case MigrationState::Pending:
        return "pending";
    case MigrationState::Applied:
        return "applied " + status.ran_on;
    case MigrationState::Modified:
        return "modified (applied " + status.ran_on + ")";
    case MigrationState::Missing:
        return "missing (applied " + status.ran_on + ")";
    case MigrationState::NotRunnable:
        return "not runnable from the command line (C++, applied " + status.ran_on + ")";
    case MigrationState::Unpaired:
        return status.has_ran ? "unpaired (applied " + status.ran_on + ")" : "unpaired";
    }
    return "pending";
}

// A faked row says so wherever it shows when it was applied: its SQL never ran.
std::string status_text(const MigrationStatus& status) {
    std::string text = state_text(status);
    if (status.fake && status.has_ran)
        text += " (fake)";
    return text;
}

// Green when all is well, yellow for work to do, red for drift that stops forwards.
std::string_view colour_of(const MigrationStatus& status) {
    switch (shown_state(status)) {
    case MigrationState::Applied:
        return "32";
    case MigrationState::Pending:
        return "33";
    default:
        return "31";
    }
}

void pad(std::string& line, std::string_view cell, std::size_t width) {
    line += cell;
    line.append(width - std::min(width, display_width(cell)), ' ');
}

} // namespace

MigrationState shown_state(const MigrationStatus& status) {
    // A status built with has_ran alone (state left at its default) reads as applied.
    if (status.state == MigrationState::Pending && status.has_ran)
        return MigrationState::Applied;
    return status.state;
}

std::size_t display_width(std::string_view text) {
    return static_cast<std::size_t>(
        std::count_if(text.begin(), text.end(), [](char c) { return !is_continuation_byte(c); }));
}

std::string truncate_to_width(std::string_view text, std::size_t width) {
    if (display_width(text) <= width)
        return std::string(text);
    if (width == 0)
        return {};
    // Keep width - 1 code points, then the ellipsis.
    std::size_t kept = 0;
    std::size_t end = 0;
    while (end < text.size()) {
        if (!is_continuation_byte(text[end])) {
            if (kept == width - 1)
                break;
            ++kept;
        }
        ++end;
    }
    return std::string(text.substr(0, end)) + std::string(k_ellipsis);
}

std::string render_status_table(const std::vector<MigrationStatus>& statuses,
                                const StatusTableOptions& options) {
    constexpr std::array<std::string_view, 4> headers{"APP", "MIGRATION", "DESCRIPTION", "STATUS"};
    // Every cell may come from the database: control characters are escaped before anything is
    // measured, so the columns line up and no cell can rewrite the terminal.
    auto cell = [](std::string_view text) { return util::printable(text, util::Layout::OneLine); };
    std::vector<std::array<std::string, 4>> cells;
    cells.reserve(statuses.size());
    for (const MigrationStatus& status : statuses)
        cells.push_back({cell(status.app_name), cell(status.migration_id.text()),
                         cell(status.description), cell(status_text(status))});
    std::array<std::size_t, 4> widths{};
    for (std::size_t i = 0; i < headers.size(); ++i)
        widths[i] = display_width(headers[i]);
    for (const auto& row : cells)
        for (std::size_t i = 0; i < row.size(); ++i)
            widths[i] = std::max(widths[i], display_width(row[i]));

    // Only DESCRIPTION gives way: the other columns are short and identify the migration.
    std::size_t total = widths[0] + widths[1] + widths[2] + widths[3] + 3 * k_separator.size();
    if (options.width > 0 && total > options.width) {
        std::size_t minimum = display_width(headers[2]);
        std::size_t excess = total - options.width;
        widths[2] = std::max(minimum, widths[2] > excess ? widths[2] - excess : 0);
    }

    auto paint = [&](std::string_view text, std::string_view code) {
        if (!options.colour)
            return std::string(text);
        return "\033[" + std::string(code) + "m" + std::string(text) + "\033[0m";
    };

    std::string out;
    std::string header;
    pad(header, headers[0], widths[0]);
    header += k_separator;
    pad(header, headers[1], widths[1]);
    header += k_separator;
    pad(header, headers[2], widths[2]);
    header += k_separator;
    header += headers[3];
    out += paint(header, "1");
    out += '\n';

    for (std::size_t row = 0; row < statuses.size(); ++row) {
        const auto& [app, id, description, state] = cells[row];
        std::string line;
        pad(line, app, widths[0]);
        line += k_separator;
        pad(line, id, widths[1]);
        line += k_separator;
        pad(line, truncate_to_width(description, widths[2]), widths[2]);
        line += k_separator;
        // The last column is not padded, so lines carry no trailing blanks.
        line += paint(state, colour_of(statuses[row]));
        out += line;
        out += '\n';
    }
    return out;
}

} // namespace strata::report
