// SPDX-License-Identifier: MIT
// What the libFuzzer targets share: decoding an input into files or parts, reporting a broken
// invariant as a crash, and keeping SQLite away from the file system.
#pragma once

#include "strata/error.hpp"
#include "strata/loader/migration_source.hpp"

#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace strata::fuzz {

// A broken invariant: libFuzzer records abort() as a crash and saves the input.
[[noreturn]] inline void bug(const std::string& what) {
    std::fprintf(stderr, "strata fuzz: BUG: %s\n", what.c_str());
    std::fflush(stderr);
    std::abort();
}

// Reads an input front to back; a read past the end yields what is left, so every input decodes.
class Reader {
  public:
    Reader(const std::uint8_t* data, std::size_t size) : m_at(data), m_end(data + size) {}

    bool done() const { return m_at == m_end; }
    std::size_t byte() { return m_at == m_end ? 0 : *m_at++; }
    std::size_t u16() { return byte() | (byte() << 8); }
    std::string bytes(std::size_t n) {
        const std::size_t left = static_cast<std::size_t>(m_end - m_at);
        if (n > left)
            n = left;
        std::string out(reinterpret_cast<const char*>(m_at), n);
        m_at += n;
        return out;
    }
    std::string rest() { return bytes(static_cast<std::size_t>(m_end - m_at)); }

  private:
    const std::uint8_t* m_at;
    const std::uint8_t* m_end;
};

// The loader target's input: up to `max_files` records of
//   1 byte name length N, N bytes of name, 2 bytes content length L (little endian), L bytes.
inline std::vector<SourceFile> decode_files(Reader& reader, std::size_t max_files) {
    std::vector<SourceFile> files;
    while (!reader.done() && files.size() < max_files) {
        SourceFile file;
        file.name = reader.bytes(reader.byte());
        file.content = reader.bytes(reader.u16());
        files.push_back(std::move(file));
    }
    return files;
}

// `text` cut at every `separator`, at most `max_parts` parts (the last one keeps the rest).
inline std::vector<std::string> split_parts(std::string_view text, char separator,
                                            std::size_t max_parts) {
    std::vector<std::string> parts;
    while (parts.size() + 1 < max_parts) {
        const std::size_t cut = text.find(separator);
        if (cut == std::string_view::npos)
            break;
        parts.emplace_back(text.substr(0, cut));
        text.remove_prefix(cut + 1);
    }
    parts.emplace_back(text);
    return parts;
}

// Fuzzed SQL may name files (VACUUM INTO 'x', ATTACH in an after-commit VACUUM's wake): the
// sandbox VFS, made SQLite's default, refuses to open or delete any named file, so a run can
// never write outside SQLite's anonymous temporary files.
inline sqlite3_vfs& sandbox_vfs() {
    static sqlite3_vfs vfs = [] {
        sqlite3_vfs* real = sqlite3_vfs_find(nullptr);
        if (real == nullptr)
            bug("SQLite has no default VFS");
        sqlite3_vfs copy = *real;
        copy.zName = "strata-fuzz-sandbox";
        copy.pAppData = real;
        copy.xOpen = [](sqlite3_vfs* self, const char* name, sqlite3_file* file, int flags,
                        int* out_flags) -> int {
            if (name != nullptr)
                return SQLITE_CANTOPEN;
            auto* inner = static_cast<sqlite3_vfs*>(self->pAppData);
            return inner->xOpen(inner, name, file, flags, out_flags);
        };
        copy.xDelete = [](sqlite3_vfs*, const char*, int) -> int { return SQLITE_IOERR_DELETE; };
        return copy;
    }();
    return vfs;
}

inline void install_sandbox_vfs() {
    if (sqlite3_vfs_register(&sandbox_vfs(), 1) != SQLITE_OK)
        bug("cannot register the sandbox VFS");
}

// The name of an ErrorKind, for bug reports.
inline const char* kind_name(ErrorKind kind) {
    switch (kind) {
    case ErrorKind::Usage:
        return "Usage";
    case ErrorKind::UnknownMigration:
        return "UnknownMigration";
    case ErrorKind::ProjectFile:
        return "ProjectFile";
    case ErrorKind::MigrationFiles:
        return "MigrationFiles";
    case ErrorKind::MigrationFailed:
        return "MigrationFailed";
    case ErrorKind::Busy:
        return "Busy";
    case ErrorKind::Database:
        return "Database";
    case ErrorKind::Refused:
        return "Refused";
    case ErrorKind::Drift:
        return "Drift";
    case ErrorKind::NewerDatabase:
        return "NewerDatabase";
    case ErrorKind::Interrupted:
        return "Interrupted";
    case ErrorKind::Output:
        return "Output";
    }
    return "?";
}

} // namespace strata::fuzz
