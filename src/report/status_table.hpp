// SPDX-License-Identifier: MIT
#pragma once

#include "strata/api/managers.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace strata::report {

struct StatusTableOptions {
    std::size_t width = 0; // the terminal's width; 0 = unlimited
    bool colour = false;   // bold header; green applied, yellow pending, red modified/missing
};

// Renders statuses as an aligned table with the columns APP, MIGRATION, DESCRIPTION, STATUS,
// where STATUS is "applied <ran_on>", "pending", "modified (applied <ran_on>)" or
// "missing (applied <ran_on>)". When a line would be wider than
// options.width, descriptions are cut short with "…" (never below the header's width).
// Returns the header alone when `statuses` is empty.
std::string render_status_table(const std::vector<MigrationStatus>& statuses,
                                const StatusTableOptions& options = {});

// The state a status shows: its state, except that a status whose state was left at Pending but
// which has_ran reads as Applied (statuses built before states existed).
MigrationState shown_state(const MigrationStatus& status);

// The number of characters (UTF-8 code points) in `text`, the unit of the table's columns.
std::size_t display_width(std::string_view text);

// `text` cut to at most `width` code points, ending in "…" when it was cut.
std::string truncate_to_width(std::string_view text, std::size_t width);

} // namespace strata::report
