// SPDX-License-Identifier: MIT
#include "strata/error.hpp"

#include <utility>

namespace strata {

std::string SourceLocation::to_string() const {
    std::string out = path;
    if (line > 0) {
        out += ':' + std::to_string(line);
        if (column > 0)
            out += ':' + std::to_string(column);
    }
    return out;
}

namespace {
std::string format(const std::string& message, const SourceLocation& where,
                   const std::string& hint) {
    std::string out = where.path.empty() ? message : where.to_string() + ": " + message;
    if (!hint.empty())
        out += "\n  hint: " + hint;
    return out;
}
} // namespace

Error::Error(ErrorKind kind, std::string message, SourceLocation where, std::string hint)
    : std::runtime_error(format(message, where, hint)), m_kind(kind), m_message(std::move(message)),
      m_where(std::move(where)), m_hint(std::move(hint)) {}

Error& Error::with_sqlite_code(int code) {
    m_sqlite_code = code;
    return *this;
}

Error& Error::with_source_line(std::string line) {
    m_source_line = std::move(line);
    return *this;
}

namespace {
// A library call on one thread has one audience; threads do not share it.
thread_local Audience t_audience = Audience::Library;
} // namespace

AudienceScope::AudienceScope(Audience audience) : m_previous(t_audience) {
    t_audience = audience;
}

AudienceScope::~AudienceScope() {
    t_audience = m_previous;
}

Audience current_audience() {
    return t_audience;
}

} // namespace strata
