// SPDX-License-Identifier: MIT
// Text shown on a terminal must not act on it: text read from a database, a file or the
// environment could otherwise move the cursor, erase a line or recolour what follows.
#pragma once

#include <string>
#include <string_view>

namespace strata::util {

// Whether a line break or tab in the text is kept (multi-line text: SQL, messages) or escaped
// too (one field of a line: a label, a table cell, a path).
enum class Layout { Keep, OneLine };

// `text` with everything a terminal would obey shown as an escape instead: C0 control
// characters (except \n and \t under Layout::Keep) and DEL as \xHH, C1 control characters
// (U+0080..U+009F) as \u{HH}, and bytes that are not UTF-8 as \xHH (a lone 0x9B is a C1 CSI to
// some terminals). Everything else, backslashes included, is unchanged.
std::string printable(std::string_view text, Layout layout = Layout::Keep);

} // namespace strata::util
