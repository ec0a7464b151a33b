// SPDX-License-Identifier: MIT
// A small, strict JSON reader for tests (RFC 8259: no trailing commas, no control characters
// in strings, valid UTF-8, nothing after the document), so a test both checks that strata's
// output is valid JSON and reads its fields. Header-only.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strata::test {

// One JSON value. Objects keep their members in document order.
struct JsonValue {
    enum class Type { Null, Boolean, Number, String, Array, Object };
    Type type = Type::Null;
    bool boolean = false;
    double number = 0;
    std::string string;
    std::vector<JsonValue> array;
    std::vector<std::pair<std::string, JsonValue>> members;

    bool is_null() const { return type == Type::Null; }
    bool has(std::string_view key) const {
        for (const auto& member : members)
            if (member.first == key)
                return true;
        return false;
    }
    // The member `key` of an object; throws std::runtime_error when there is none.
    const JsonValue& operator[](std::string_view key) const {
        for (const auto& member : members)
            if (member.first == key)
                return member.second;
        throw std::runtime_error("no member \"" + std::string(key) + "\"");
    }
    // The member names of an object, in order.
    std::vector<std::string> keys() const {
        std::vector<std::string> out;
        for (const auto& member : members)
            out.push_back(member.first);
        return out;
    }
};

namespace json_detail {

class Reader {
  public:
    explicit Reader(std::string_view text) : m_text(text) {}

    JsonValue document() {
        JsonValue value = read_value(0);
        skip_blanks();
        if (m_pos != m_text.size())
            fail("text after the document");
        return value;
    }

  private:
    [[noreturn]] void fail(const std::string& what) const {
        throw std::runtime_error("invalid JSON at byte " + std::to_string(m_pos) + ": " + what);
    }
    void skip_blanks() {
        while (m_pos < m_text.size() && (m_text[m_pos] == ' ' || m_text[m_pos] == '\n' ||
                                         m_text[m_pos] == '\r' || m_text[m_pos] == '\t'))
            ++m_pos;
    }
    char peek() const { return m_pos < m_text.size() ? m_text[m_pos] : '\0'; }
    void expect(char c) {
        if (peek() != c)
            fail(std::string("expected '") + c + "'");
        ++m_pos;
    }
    bool literal(std::string_view word) {
        if (m_text.substr(m_pos, word.size()) != word)
            return false;
        m_pos += word.size();
        return true;
    }

    JsonValue read_value(int depth) {
        if (depth > 64)
            fail("nested too deeply");
        skip_blanks();
        JsonValue value;
        char c = peek();
        if (c == '{') {
            value.type = JsonValue::Type::Object;
            ++m_pos;
            skip_blanks();
            if (peek() == '}') {
                ++m_pos;
                return value;
            }
            while (true) {
                skip_blanks();
                std::string key = read_string();
                if (value.has(key))
                    fail("duplicate member \"" + key + "\"");
                skip_blanks();
                expect(':');
                value.members.emplace_back(std::move(key), read_value(depth + 1));
                skip_blanks();
                if (peek() == ',') {
                    ++m_pos;
                    continue;
                }
                expect('}');
                return value;
            }
        }
        if (c == '[') {
            value.type = JsonValue::Type::Array;
            ++m_pos;
            skip_blanks();
            if (peek() == ']') {
                ++m_pos;
                return value;
            }
            while (true) {
                value.array.push_back(read_value(depth + 1));
                skip_blanks();
                if (peek() == ',') {
                    ++m_pos;
                    continue;
                }
                expect(']');
                return value;
            }
        }
        if (c == '"') {
            value.type = JsonValue::Type::String;
            value.string = read_string();
            return value;
        }
        if (literal("null"))
            return value;
        if (literal("true")) {
            value.type = JsonValue::Type::Boolean;
            value.boolean = true;
            return value;
        }
        if (literal("false")) {
            value.type = JsonValue::Type::Boolean;
            return value;
        }
        value.type = JsonValue::Type::Number;
        value.number = read_number();
        return value;
    }

    double read_number() {
        std::size_t start = m_pos;
        auto digits = [&] {
            std::size_t from = m_pos;
            while (peek() >= '0' && peek() <= '9')
                ++m_pos;
            return m_pos - from;
        };
        if (peek() == '-')
            ++m_pos;
        if (peek() == '0')
            ++m_pos;
        else if (digits() == 0)
            fail("expected a value");
        if (peek() == '.') {
            ++m_pos;
            if (digits() == 0)
                fail("expected digits after '.'");
        }
        if (peek() == 'e' || peek() == 'E') {
            ++m_pos;
            if (peek() == '+' || peek() == '-')
                ++m_pos;
            if (digits() == 0)
                fail("expected an exponent");
        }
        return std::stod(std::string(m_text.substr(start, m_pos - start)));
    }

    unsigned read_hex4() {
        if (m_pos + 4 > m_text.size())
            fail("short \\u escape");
        unsigned code = 0;
        for (int i = 0; i < 4; ++i) {
            char h = m_text[m_pos++];
            code <<= 4;
            if (h >= '0' && h <= '9')
                code |= static_cast<unsigned>(h - '0');
            else if (h >= 'a' && h <= 'f')
                code |= static_cast<unsigned>(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F')
                code |= static_cast<unsigned>(h - 'A' + 10);
            else
                fail("bad \\u escape");
        }
        return code;
    }

    static void append_utf8(std::string& out, unsigned code) {
        if (code < 0x80) {
            out += static_cast<char>(code);
        } else if (code < 0x800) {
            out += static_cast<char>(0xC0 | (code >> 6));
            out += static_cast<char>(0x80 | (code & 0x3F));
        } else if (code < 0x10000) {
            out += static_cast<char>(0xE0 | (code >> 12));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (code & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (code >> 18));
            out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (code & 0x3F));
        }
    }

    // The length of the UTF-8 sequence at m_pos, or 0 when it is not valid UTF-8.
    std::size_t utf8_length() const {
        auto byte = [&](std::size_t i) {
            return m_pos + i < m_text.size() ? static_cast<unsigned char>(m_text[m_pos + i]) : 0u;
        };
        auto continuation = [&](std::size_t i) { return (byte(i) & 0xC0) == 0x80; };
        unsigned b = byte(0);
        if (b < 0x80)
            return 1;
        if (b >= 0xC2 && b <= 0xDF)
            return continuation(1) ? 2 : 0;
        if (b >= 0xE0 && b <= 0xEF) {
            if (!continuation(1) || !continuation(2))
                return 0;
            if ((b == 0xE0 && byte(1) < 0xA0) || (b == 0xED && byte(1) > 0x9F))
                return 0;
            return 3;
        }
        if (b >= 0xF0 && b <= 0xF4) {
            if (!continuation(1) || !continuation(2) || !continuation(3))
                return 0;
            if ((b == 0xF0 && byte(1) < 0x90) || (b == 0xF4 && byte(1) > 0x8F))
                return 0;
            return 4;
        }
        return 0;
    }

    std::string read_string() {
        expect('"');
        std::string out;
        while (true) {
            if (m_pos >= m_text.size())
                fail("unterminated string");
            char c = m_text[m_pos];
            if (c == '"') {
                ++m_pos;
                return out;
            }
            if (static_cast<unsigned char>(c) < 0x20)
                fail("control character in a string");
            if (c != '\\') {
                std::size_t length = utf8_length();
                if (length == 0)
                    fail("invalid UTF-8");
                out.append(m_text.substr(m_pos, length));
                m_pos += length;
                continue;
            }
            ++m_pos;
            char e = peek();
            ++m_pos;
            switch (e) {
            case '"':
            case '\\':
            case '/':
                out += e;
                break;
            case 'b':
                out += '\b';
                break;
            case 'f':
                out += '\f';
                break;
            case 'n':
                out += '\n';
                break;
            case 'r':
                out += '\r';
                break;
            case 't':
                out += '\t';
                break;
            case 'u': {
                unsigned code = read_hex4();
                if (code >= 0xD800 && code <= 0xDBFF) {
                    if (!literal("\\u"))
                        fail("lone high surrogate");
                    unsigned low = read_hex4();
                    if (low < 0xDC00 || low > 0xDFFF)
                        fail("bad low surrogate");
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                } else if (code >= 0xDC00 && code <= 0xDFFF) {
                    fail("lone low surrogate");
                }
                append_utf8(out, code);
                break;
            }
            default:
                fail("bad escape");
            }
        }
    }

    std::string_view m_text;
    std::size_t m_pos = 0;
};

} // namespace json_detail

// Parses `text` as exactly one JSON document (blanks around it allowed). Throws
// std::runtime_error naming the byte offset when it is not valid JSON.
inline JsonValue parse_json(std::string_view text) {
    return json_detail::Reader(text).document();
}

} // namespace strata::test
