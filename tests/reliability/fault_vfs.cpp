// SPDX-License-Identifier: MIT
#include "fault_vfs.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <stdexcept>
#include <vector>

namespace strata::test {
namespace {

enum Kind : unsigned {
    Write,
    Sync,
    Truncate,
    Delete,
    Read,
    Open,
    Access,
    FileSize,
    Lock,
    KindCount
};
constexpr std::array<const char*, KindCount> k_kind_names = {
    "write", "sync", "truncate", "delete", "read", "open", "access", "filesize", "lock"};

enum Action : unsigned { Keep = 1, Drop = 2, Garble = 4 };

// One write or truncate since the last xSync of its file, with what it replaced, so a
// simulated power loss can put the file back to its synced state and then replay any subset.
struct PendingOp {
    unsigned long long seq = 0;
    bool truncate = false;
    sqlite3_int64 offset = 0; // where the write starts, or the truncated size
    std::string data;         // the bytes written
    sqlite3_int64 old_size = 0;
    std::string old_bytes; // the bytes the op overwrote or cut off (inside old_size)
};

struct State {
    std::mutex mutex;
    FaultSpec spec;
    std::string report_path;
    sqlite3_vfs* real = nullptr;
    std::array<long long, KindCount> counts{};
    long long counted = 0; // calls of the kinds in spec.kinds so far
    long long fired = 0;   // calls that were failed
    unsigned long long next_seq = 0;
    std::map<std::string, std::vector<PendingOp>> pending; // by file path (crash mode)
};

State& state() {
    static State s;
    return s;
}

// Laid out by SQLite in szOsFile bytes: the shim's part, then the real VFS's file.
struct ShimFile {
    sqlite3_file base;
    const char* path; // SQLite keeps zName alive until xClose; null for temporary files
};

sqlite3_file* real_file(sqlite3_file* file) {
    return reinterpret_cast<sqlite3_file*>(reinterpret_cast<ShimFile*>(file) + 1);
}

const char* path_of(sqlite3_file* file) {
    return reinterpret_cast<ShimFile*>(file)->path;
}

[[noreturn]] void kill_now() {
    std::raise(SIGKILL);
    _exit(137); // not reached: SIGKILL cannot be caught
}

// Restores `path` to its state at its last xSync, then replays each later op kept, dropped or
// garbled as `pick` decides. Works with POSIX calls: the process dies right after.
void replay_after_power_loss(const std::string& path, const std::vector<PendingOp>& ops,
                             const std::map<unsigned long long, Action>& decisions,
                             std::mt19937_64& random) {
    int fd = ::open(path.c_str(), O_RDWR);
    if (fd < 0)
        return; // deleted since: a delete is atomic and durable in this model
    for (auto op = ops.rbegin(); op != ops.rend(); ++op) {
        if (!op->old_bytes.empty())
            (void)!::pwrite(fd, op->old_bytes.data(), op->old_bytes.size(), op->offset);
        (void)!::ftruncate(fd, op->old_size);
    }
    for (const PendingOp& op : ops) {
        const Action action = decisions.at(op.seq);
        if (action == Drop)
            continue;
        if (op.truncate) {
            (void)!::ftruncate(fd, op.offset);
            continue;
        }
        if (action == Keep) {
            (void)!::pwrite(fd, op.data.data(), op.data.size(), op.offset);
        } else {
            // Power-safe overwrite: the damage stays inside the write's own range.
            std::string noise(op.data.size(), '\0');
            for (char& c : noise)
                c = static_cast<char>(random() & 0xFF);
            (void)!::pwrite(fd, noise.data(), noise.size(), op.offset);
        }
    }
    ::close(fd);
}

// The simulated power loss: every write since each file's last sync is kept, dropped or
// garbled (chosen per write from the seed), then the process dies as if the machine had.
[[noreturn]] void crash(State& s) {
    std::mt19937_64 random(s.spec.seed);
    std::vector<Action> choices;
    for (Action a : {Keep, Drop, Garble})
        if (s.spec.crash_actions & a)
            choices.push_back(a);
    std::vector<const PendingOp*> all;
    for (const auto& [path, ops] : s.pending)
        for (const PendingOp& op : ops)
            all.push_back(&op);
    std::sort(all.begin(), all.end(),
              [](const PendingOp* a, const PendingOp* b) { return a->seq < b->seq; });
    std::map<unsigned long long, Action> decisions;
    for (const PendingOp* op : all) {
        Action action = choices[random() % choices.size()];
        if (op->truncate && action == Garble)
            action = Keep; // a truncate has no bytes to garble
        decisions[op->seq] = action;
    }
    for (const auto& [path, ops] : s.pending)
        replay_after_power_loss(path, ops, decisions, random);
    // What strata printed before the crash counts as reported: the test reads it.
    std::cout.flush();
    std::fflush(nullptr);
    kill_now();
}

// Counts a call of `kind` and carries out the configured fault. Returns SQLITE_OK to go on
// with the real call, or the error code to return instead.
int on_call(Kind kind) {
    State& s = state();
    std::lock_guard<std::mutex> lock(s.mutex);
    ++s.counts[kind];
    const FaultSpec& spec = s.spec;
    if (spec.mode == FaultSpec::Mode::None || spec.mode == FaultSpec::Mode::Count ||
        !(spec.kinds & (1u << kind)))
        return SQLITE_OK;
    const long long index = ++s.counted;
    const bool hit = index == spec.at || (spec.persistent && index > spec.at);
    if (!hit)
        return SQLITE_OK;
    switch (spec.mode) {
    case FaultSpec::Mode::Kill:
        kill_now();
    case FaultSpec::Mode::Crash:
        crash(s);
    case FaultSpec::Mode::Full:
        ++s.fired;
        return kind == Open ? SQLITE_CANTOPEN : SQLITE_FULL;
    case FaultSpec::Mode::IoErr:
        ++s.fired;
        switch (kind) {
        case Write:
            return SQLITE_IOERR_WRITE;
        case Sync:
            return SQLITE_IOERR_FSYNC;
        case Truncate:
            return SQLITE_IOERR_TRUNCATE;
        case Delete:
            return SQLITE_IOERR_DELETE;
        case Read:
            return SQLITE_IOERR_READ;
        case Open:
            return SQLITE_CANTOPEN;
        case Access:
            return SQLITE_IOERR_ACCESS;
        case FileSize:
            return SQLITE_IOERR_FSTAT;
        case Lock:
            return SQLITE_IOERR_LOCK;
        case KindCount:
            break;
        }
        return SQLITE_IOERR;
    case FaultSpec::Mode::None:
    case FaultSpec::Mode::Count:
        break;
    }
    return SQLITE_OK;
}

bool tracking() {
    return state().spec.mode == FaultSpec::Mode::Crash;
}

// Crash mode: records a write or truncate of a named file before it reaches the real file.
void remember(sqlite3_file* file, bool truncate, sqlite3_int64 offset, const void* data, int n) {
    const char* path = path_of(file);
    if (!path)
        return;
    sqlite3_file* real = real_file(file);
    PendingOp op;
    op.truncate = truncate;
    op.offset = offset;
    if (real->pMethods->xFileSize(real, &op.old_size) != SQLITE_OK)
        op.old_size = 0;
    sqlite3_int64 end = truncate ? op.old_size : offset + n;
    end = std::min(end, op.old_size);
    if (end > offset) {
        op.old_bytes.resize(static_cast<std::size_t>(end - offset));
        if (real->pMethods->xRead(real, op.old_bytes.data(), static_cast<int>(end - offset),
                                  offset) != SQLITE_OK)
            op.old_bytes.clear();
    }
    if (!truncate)
        op.data.assign(static_cast<const char*>(data), static_cast<std::size_t>(n));
    State& s = state();
    std::lock_guard<std::mutex> lock(s.mutex);
    op.seq = s.next_seq++;
    s.pending[path].push_back(std::move(op));
}

void forget(const char* path) {
    if (!path)
        return;
    State& s = state();
    std::lock_guard<std::mutex> lock(s.mutex);
    s.pending.erase(path);
}

// --- sqlite3_io_methods: count, maybe fail, then forward to the real file -----------------

int x_close(sqlite3_file* file) {
    sqlite3_file* real = real_file(file);
    return real->pMethods->xClose(real);
}

int x_read(sqlite3_file* file, void* buffer, int n, sqlite3_int64 offset) {
    if (int rc = on_call(Read); rc != SQLITE_OK)
        return rc;
    sqlite3_file* real = real_file(file);
    return real->pMethods->xRead(real, buffer, n, offset);
}

int x_write(sqlite3_file* file, const void* data, int n, sqlite3_int64 offset) {
    if (int rc = on_call(Write); rc != SQLITE_OK)
        return rc;
    if (tracking())
        remember(file, false, offset, data, n);
    sqlite3_file* real = real_file(file);
    return real->pMethods->xWrite(real, data, n, offset);
}

int x_truncate(sqlite3_file* file, sqlite3_int64 size) {
    if (int rc = on_call(Truncate); rc != SQLITE_OK)
        return rc;
    if (tracking())
        remember(file, true, size, nullptr, 0);
    sqlite3_file* real = real_file(file);
    return real->pMethods->xTruncate(real, size);
}

int x_sync(sqlite3_file* file, int flags) {
    if (int rc = on_call(Sync); rc != SQLITE_OK)
        return rc;
    sqlite3_file* real = real_file(file);
    const int rc = real->pMethods->xSync(real, flags);
    // A lying disk (the control run of the power-loss test) acknowledges and keeps nothing.
    if (rc == SQLITE_OK && tracking() && !state().spec.lying_sync)
        forget(path_of(file));
    return rc;
}

int x_file_size(sqlite3_file* file, sqlite3_int64* size) {
    if (int rc = on_call(FileSize); rc != SQLITE_OK)
        return rc;
    sqlite3_file* real = real_file(file);
    return real->pMethods->xFileSize(real, size);
}

int x_lock(sqlite3_file* file, int level) {
    if (int rc = on_call(Lock); rc != SQLITE_OK)
        return rc;
    sqlite3_file* real = real_file(file);
    return real->pMethods->xLock(real, level);
}

int x_unlock(sqlite3_file* file, int level) {
    sqlite3_file* real = real_file(file);
    return real->pMethods->xUnlock(real, level);
}

int x_check_reserved_lock(sqlite3_file* file, int* out) {
    sqlite3_file* real = real_file(file);
    return real->pMethods->xCheckReservedLock(real, out);
}

int x_file_control(sqlite3_file* file, int op, void* arg) {
    sqlite3_file* real = real_file(file);
    return real->pMethods->xFileControl(real, op, arg);
}

int x_sector_size(sqlite3_file* file) {
    sqlite3_file* real = real_file(file);
    return real->pMethods->xSectorSize(real);
}

int x_device_characteristics(sqlite3_file* file) {
    sqlite3_file* real = real_file(file);
    return real->pMethods->xDeviceCharacteristics(real);
}

// The wal-index (-shm) is passed straight through: SQLite rebuilds it after a crash.
int x_shm_map(sqlite3_file* file, int page, int size, int extend, void volatile** out) {
    sqlite3_file* real = real_file(file);
    if (real->pMethods->iVersion < 2 || !real->pMethods->xShmMap)
        return SQLITE_IOERR_SHMMAP;
    return real->pMethods->xShmMap(real, page, size, extend, out);
}

int x_shm_lock(sqlite3_file* file, int offset, int n, int flags) {
    sqlite3_file* real = real_file(file);
    return real->pMethods->xShmLock(real, offset, n, flags);
}

void x_shm_barrier(sqlite3_file* file) {
    sqlite3_file* real = real_file(file);
    real->pMethods->xShmBarrier(real);
}

int x_shm_unmap(sqlite3_file* file, int delete_flag) {
    sqlite3_file* real = real_file(file);
    return real->pMethods->xShmUnmap(real, delete_flag);
}

// Version 2: no xFetch/xUnfetch, so SQLite never memory-maps a file and every read and write
// goes through the counted methods above.
const sqlite3_io_methods k_io_methods = {
    2,
    x_close,
    x_read,
    x_write,
    x_truncate,
    x_sync,
    x_file_size,
    x_lock,
    x_unlock,
    x_check_reserved_lock,
    x_file_control,
    x_sector_size,
    x_device_characteristics,
    x_shm_map,
    x_shm_lock,
    x_shm_barrier,
    x_shm_unmap,
    nullptr,
    nullptr,
};

// --- sqlite3_vfs: forward to the real default VFS -----------------------------------------

sqlite3_vfs* real_vfs(sqlite3_vfs* vfs) {
    return static_cast<sqlite3_vfs*>(vfs->pAppData);
}

int v_open(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* out_flags) {
    auto* shim = reinterpret_cast<ShimFile*>(file);
    shim->base.pMethods = nullptr;
    shim->path = name;
    if (int rc = on_call(Open); rc != SQLITE_OK)
        return rc;
    sqlite3_file* real = real_file(file);
    const int rc = real_vfs(vfs)->xOpen(real_vfs(vfs), name, real, flags, out_flags);
    if (rc != SQLITE_OK) {
        if (real->pMethods)
            real->pMethods->xClose(real);
        return rc;
    }
    shim->base.pMethods = &k_io_methods;
    return SQLITE_OK;
}

int v_delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
    if (int rc = on_call(Delete); rc != SQLITE_OK)
        return rc;
    const int rc = real_vfs(vfs)->xDelete(real_vfs(vfs), name, sync_dir);
    if (rc == SQLITE_OK && tracking())
        forget(name);
    return rc;
}

int v_access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
    if (int rc = on_call(Access); rc != SQLITE_OK)
        return rc;
    return real_vfs(vfs)->xAccess(real_vfs(vfs), name, flags, out);
}

int v_full_pathname(sqlite3_vfs* vfs, const char* name, int n, char* out) {
    return real_vfs(vfs)->xFullPathname(real_vfs(vfs), name, n, out);
}

void* v_dl_open(sqlite3_vfs* vfs, const char* name) {
    return real_vfs(vfs)->xDlOpen(real_vfs(vfs), name);
}

void v_dl_error(sqlite3_vfs* vfs, int n, char* out) {
    real_vfs(vfs)->xDlError(real_vfs(vfs), n, out);
}

void (*v_dl_sym(sqlite3_vfs* vfs, void* handle, const char* symbol))(void) {
    return real_vfs(vfs)->xDlSym(real_vfs(vfs), handle, symbol);
}

void v_dl_close(sqlite3_vfs* vfs, void* handle) {
    real_vfs(vfs)->xDlClose(real_vfs(vfs), handle);
}

int v_randomness(sqlite3_vfs* vfs, int n, char* out) {
    return real_vfs(vfs)->xRandomness(real_vfs(vfs), n, out);
}

int v_sleep(sqlite3_vfs* vfs, int microseconds) {
    return real_vfs(vfs)->xSleep(real_vfs(vfs), microseconds);
}

int v_current_time(sqlite3_vfs* vfs, double* out) {
    return real_vfs(vfs)->xCurrentTime(real_vfs(vfs), out);
}

int v_get_last_error(sqlite3_vfs* vfs, int n, char* out) {
    return real_vfs(vfs)->xGetLastError(real_vfs(vfs), n, out);
}

int v_current_time_int64(sqlite3_vfs* vfs, sqlite3_int64* out) {
    return real_vfs(vfs)->xCurrentTimeInt64(real_vfs(vfs), out);
}

sqlite3_vfs g_shim{};

unsigned parse_kinds(std::string_view text) {
    if (text == "all")
        return (1u << KindCount) - 1;
    unsigned mask = 0;
    while (!text.empty()) {
        const std::size_t comma = text.find(',');
        const std::string_view name = text.substr(0, comma);
        const auto found = std::find(k_kind_names.begin(), k_kind_names.end(), name);
        if (found == k_kind_names.end())
            throw std::invalid_argument("unknown call kind \"" + std::string(name) +
                                        "\" (write, sync, truncate, delete, read, open, access, "
                                        "filesize, lock, all)");
        mask |= 1u << static_cast<unsigned>(found - k_kind_names.begin());
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    }
    return mask;
}

unsigned parse_actions(std::string_view text) {
    unsigned actions = 0;
    while (!text.empty()) {
        const std::size_t bar = text.find('|');
        const std::string_view name = text.substr(0, bar);
        if (name == "keep")
            actions |= Keep;
        else if (name == "drop")
            actions |= Drop;
        else if (name == "garble")
            actions |= Garble;
        else
            throw std::invalid_argument("unknown crash action \"" + std::string(name) +
                                        "\" (keep, drop, garble)");
        text = bar == std::string_view::npos ? std::string_view{} : text.substr(bar + 1);
    }
    return actions;
}

long long parse_number(std::string_view text, const char* what) {
    const std::string copy(text);
    char* end = nullptr;
    const long long value = std::strtoll(copy.c_str(), &end, 10);
    if (copy.empty() || *end != '\0' || value < 1)
        throw std::invalid_argument(std::string(what) + " must be a positive number, not \"" +
                                    copy + "\"");
    return value;
}

} // namespace

FaultSpec parse_fault_spec(std::string_view text) {
    FaultSpec spec;
    if (text.empty())
        return spec;
    std::vector<std::string_view> parts;
    while (true) {
        const std::size_t colon = text.find(':');
        parts.push_back(text.substr(0, colon));
        if (colon == std::string_view::npos)
            break;
        text.remove_prefix(colon + 1);
    }
    const std::string_view mode = parts[0];
    if (mode == "count") {
        if (parts.size() != 1)
            throw std::invalid_argument("\"count\" takes no arguments");
        spec.mode = FaultSpec::Mode::Count;
        return spec;
    }
    if (mode == "kill")
        spec.mode = FaultSpec::Mode::Kill;
    else if (mode == "ioerr")
        spec.mode = FaultSpec::Mode::IoErr;
    else if (mode == "full")
        spec.mode = FaultSpec::Mode::Full;
    else if (mode == "crash")
        spec.mode = FaultSpec::Mode::Crash;
    else
        throw std::invalid_argument("unknown fault mode \"" + std::string(mode) +
                                    "\" (count, kill, ioerr, full, crash)");
    if (parts.size() < 3)
        throw std::invalid_argument("expected MODE:KINDS:N[:OPTIONS], e.g. kill:write,sync:17");
    spec.kinds = parse_kinds(parts[1]);
    spec.at = parse_number(parts[2], "the call index");
    spec.crash_actions = Keep | Drop | Garble;
    for (std::size_t i = 3; i < parts.size(); ++i) {
        const std::string_view option = parts[i];
        const bool failing =
            spec.mode == FaultSpec::Mode::IoErr || spec.mode == FaultSpec::Mode::Full;
        if (failing && option == "transient")
            spec.persistent = false;
        else if (failing && option == "persistent")
            spec.persistent = true;
        else if (spec.mode == FaultSpec::Mode::Crash && option == "lie")
            spec.lying_sync = true;
        else if (spec.mode == FaultSpec::Mode::Crash && option.starts_with("seed="))
            spec.seed = static_cast<unsigned long long>(
                std::strtoull(std::string(option.substr(5)).c_str(), nullptr, 10));
        else if (spec.mode == FaultSpec::Mode::Crash)
            spec.crash_actions = parse_actions(option);
        else
            throw std::invalid_argument("unknown option \"" + std::string(option) + "\"");
    }
    return spec;
}

void install_fault_vfs_from_environment() {
    State& s = state();
    const char* spec = std::getenv("STRATA_FAULT");
    s.spec = parse_fault_spec(spec ? spec : "");
    const char* report = std::getenv("STRATA_FAULT_REPORT");
    s.report_path = report ? report : "";

    sqlite3_initialize();
    s.real = sqlite3_vfs_find(nullptr);
    g_shim.iVersion = std::min(s.real->iVersion, 2);
    g_shim.szOsFile = static_cast<int>(sizeof(ShimFile)) + s.real->szOsFile;
    g_shim.mxPathname = s.real->mxPathname;
    g_shim.zName = "strata_fault";
    g_shim.pAppData = s.real;
    g_shim.xOpen = v_open;
    g_shim.xDelete = v_delete;
    g_shim.xAccess = v_access;
    g_shim.xFullPathname = v_full_pathname;
    g_shim.xDlOpen = v_dl_open;
    g_shim.xDlError = v_dl_error;
    g_shim.xDlSym = v_dl_sym;
    g_shim.xDlClose = v_dl_close;
    g_shim.xRandomness = v_randomness;
    g_shim.xSleep = v_sleep;
    g_shim.xCurrentTime = v_current_time;
    g_shim.xGetLastError = v_get_last_error;
    g_shim.xCurrentTimeInt64 = v_current_time_int64;
    sqlite3_vfs_register(&g_shim, 1);
}

void write_fault_report() {
    State& s = state();
    std::string line;
    {
        std::lock_guard<std::mutex> lock(s.mutex);
        for (unsigned kind = 0; kind < KindCount; ++kind)
            line += std::string(k_kind_names[kind]) + "=" + std::to_string(s.counts[kind]) + " ";
        line += "fired=" + std::to_string(s.fired) + "\n";
    }
    if (!s.report_path.empty()) {
        if (std::FILE* out = std::fopen(s.report_path.c_str(), "w")) {
            std::fputs(line.c_str(), out);
            std::fclose(out);
        }
    } else if (s.spec.mode == FaultSpec::Mode::Count) {
        std::fputs(("strata-fault: " + line).c_str(), stderr);
    }
}

} // namespace strata::test
