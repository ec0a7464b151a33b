// SPDX-License-Identifier: MIT
#include "report/json_reporter.hpp"

#include "report/status_table.hpp"
#include "util/text.hpp"

#include <cstdio>

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

std::string render_statuses_json(const std::vector<MigrationStatus>& statuses) {
    if (statuses.empty())
        return "[]\n";
    std::string out = "[\n";
    for (std::size_t i = 0; i < statuses.size(); ++i) {
        const MigrationStatus& status = statuses[i];
        out += "  {\"app_name\":" + json_string(status.app_name);
        out += ",\"migration_id\":" + json_string(status.migration_id.text());
        out += ",\"description\":" + json_string(status.description);
        out += ",\"has_ran\":";
        out += status.has_ran ? "true" : "false";
        out += ",\"ran_on\":";
        out += status.has_ran ? json_string(status.ran_on) : "null";
        out += ",\"status\":" + json_string(state_name(shown_state(status)));
        out += ",\"fake\":";
        out += status.fake ? "true" : "false";
        out += i + 1 < statuses.size() ? "},\n" : "}\n";
    }
    out += "]\n";
    return out;
}

std::string render_lock_wait_json(std::string_view database, std::chrono::milliseconds timeout) {
    return "{\"event\":\"waiting_for_lock\",\"database\":" + json_string(database) +
           ",\"timeout_ms\":" + std::to_string(timeout.count()) + "}\n";
}

} // namespace strata::report
