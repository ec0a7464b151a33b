// SPDX-License-Identifier: MIT
#include "report/json_reporter.hpp"

#include "report/status_table.hpp"

#include <cstdio>

namespace strata::report {
namespace {

// The length of the valid UTF-8 sequence starting at text[i], or 0 when it is not valid.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
    auto byte = [&](std::size_t at) { return static_cast<unsigned char>(text[at]); };
    unsigned char lead = byte(i);
    std::size_t length = 0;
    unsigned min_value = 0;
    if (lead < 0x80)
        return 1;
    if ((lead & 0xE0) == 0xC0) {
        length = 2;
        min_value = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
        length = 3;
        min_value = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
        length = 4;
        min_value = 0x10000;
    } else {
        return 0;
    }
    if (i + length > text.size())
        return 0;
    unsigned value = lead & (0x7F >> length);
    for (std::size_t k = 1; k < length; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80)
            return 0;
        value = (value << 6) | (byte(i + k) & 0x3F);
    }
    // Overlong forms, UTF-16 surrogates and values past U+10FFFF are not valid UTF-8.
    if (value < min_value || (value >= 0xD800 && value <= 0xDFFF) || value > 0x10FFFF)
        return 0;
    return length;
}

} // namespace

std::string json_string(std::string_view text) {
    std::string out = "\"";
    for (std::size_t i = 0; i < text.size();) {
        char c = text[i];
        std::size_t length = utf8_sequence_length(text, i);
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
        out += i + 1 < statuses.size() ? "},\n" : "}\n";
    }
    out += "]\n";
    return out;
}

} // namespace strata::report
