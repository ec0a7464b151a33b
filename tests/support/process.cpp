// SPDX-License-Identifier: MIT
#include "support/process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <stdexcept>

extern char** environ;

#ifndef STRATA_BINARY
#error "STRATA_BINARY must name the strata executable under test"
#endif

namespace strata::test {

namespace {

// Far beyond any legitimate run; only a hang (e.g. a prompt nobody answers) reaches it.
constexpr auto k_deadline = std::chrono::seconds(60);

using Clock = std::chrono::steady_clock;

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(what + ": " + std::strerror(errno));
}

// Writing to a pipe whose reader has exited must give EPIPE, not kill the test runner.
// Children get the default disposition back before exec (an ignored signal survives exec).
void ignore_sigpipe_once() {
    static const bool done = [] {
        std::signal(SIGPIPE, SIG_IGN);
        return true;
    }();
    (void)done;
}

void close_fd(int& fd) {
    if (fd >= 0)
        ::close(fd);
    fd = -1;
}

std::pair<int, int> make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        fail("pipe2");
    return {fds[0], fds[1]};
}

// argv and envp built before fork, so the child only calls async-signal-safe functions.
struct ExecImage {
    std::vector<std::string> strings;
    std::vector<std::string> env_strings;
    std::vector<char*> argv;
    std::vector<char*> envp;
    std::string cwd;
    bool stdout_closed = false;
    std::optional<unsigned> user_id;

    ExecImage(const std::vector<std::string>& args, const RunOptions& opts) {
        strings.push_back("strata");
        strings.insert(strings.end(), args.begin(), args.end());

        std::vector<std::string> removed = opts.unset_env;
        removed.push_back("STRATA_DATABASE");
        for (const auto& [name, value] : opts.env)
            removed.push_back(name);
        for (char** entry = environ; *entry != nullptr; ++entry) {
            std::string item = *entry;
            std::string name = item.substr(0, item.find('='));
            bool drop = false;
            for (const auto& r : removed)
                drop = drop || r == name;
            if (!drop)
                env_strings.push_back(item);
        }
        for (const auto& [name, value] : opts.env)
            env_strings.push_back(name + "=" + value);

        for (auto& s : strings)
            argv.push_back(s.data());
        argv.push_back(nullptr);
        for (auto& s : env_strings)
            envp.push_back(s.data());
        envp.push_back(nullptr);
        cwd = opts.cwd.string();
        stdout_closed = opts.stdout_closed;
        user_id = opts.user_id;
    }
};

void child_write(const char* text) {
    ssize_t ignored = ::write(STDERR_FILENO, text, std::strlen(text));
    (void)ignored;
}

// In the child after fork: wait at the gate, move to cwd, exec. Never returns.
[[noreturn]] void exec_child(ExecImage& image, int gate_fd) {
    std::signal(SIGPIPE, SIG_DFL);
    if (gate_fd >= 0) {
        char byte;
        while (::read(gate_fd, &byte, 1) < 0 && errno == EINTR) {
        }
    }
    int reader_gone[2];
    if (image.stdout_closed) {
        if (::pipe(reader_gone) != 0 || ::dup2(reader_gone[1], STDOUT_FILENO) < 0) {
            child_write("test harness: cannot set up a closed stdout\n");
            ::_exit(127);
        }
        ::close(reader_gone[0]);
        ::close(reader_gone[1]);
    }
    if (image.user_id) {
        // Groups first: once the user id is dropped, changing them is no longer allowed.
        const auto id = static_cast<uid_t>(*image.user_id);
        if (::setgroups(0, nullptr) != 0 || ::setresgid(id, id, id) != 0 ||
            ::setresuid(id, id, id) != 0) {
            child_write("test harness: cannot switch to the requested user\n");
            ::_exit(127);
        }
    }
    if (!image.cwd.empty() && ::chdir(image.cwd.c_str()) != 0) {
        child_write("test harness: chdir failed\n");
        ::_exit(127);
    }
    ::execve(STRATA_BINARY, image.argv.data(), image.envp.data());
    child_write("test harness: cannot execute " STRATA_BINARY "\n");
    ::_exit(127);
}

int decode_status(int status) {
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -1;
}

int reap(int pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            fail("waitpid");
    }
    return decode_status(status);
}

// One readable end of a child's output and where its bytes go.
struct Stream {
    int fd;
    std::string* sink;
};

// Reads every stream until end-of-file (EIO counts as end-of-file: a pseudo-terminal master
// reports it once the child has closed the terminal). `on_data` runs after each read.
// Returns false when the deadline passed first.
template <typename OnData>
bool drain(std::vector<Stream> streams, Clock::time_point deadline, OnData on_data) {
    while (!streams.empty()) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0)
            return false;
        std::vector<pollfd> fds;
        for (const auto& s : streams)
            fds.push_back(pollfd{s.fd, POLLIN, 0});
        int ready = ::poll(fds.data(), fds.size(), static_cast<int>(left.count()));
        if (ready < 0) {
            if (errno == EINTR)
                continue;
            fail("poll");
        }
        std::vector<Stream> open;
        for (std::size_t i = 0; i < streams.size(); ++i) {
            if (fds[i].revents == 0) {
                open.push_back(streams[i]);
                continue;
            }
            char buffer[8192];
            ssize_t n = ::read(streams[i].fd, buffer, sizeof buffer);
            if (n > 0) {
                streams[i].sink->append(buffer, static_cast<std::size_t>(n));
                open.push_back(streams[i]);
                on_data();
            } else if (n < 0 && errno == EINTR) {
                open.push_back(streams[i]);
            }
            // n == 0 or an error such as EIO: this stream is finished.
        }
        streams = std::move(open);
    }
    return true;
}

void write_all(int fd, const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return; // the child went away without reading; its result tells the story
        }
        done += static_cast<std::size_t>(n);
    }
}

} // namespace

StrataProcess::StrataProcess(StrataProcess&& other) noexcept
    : m_pid(other.m_pid), m_out_fd(other.m_out_fd), m_err_fd(other.m_err_fd),
      m_early_out(std::move(other.m_early_out)) {
    other.m_pid = -1;
    other.m_out_fd = -1;
    other.m_err_fd = -1;
}

StrataProcess::~StrataProcess() {
    close_fd(m_out_fd);
    close_fd(m_err_fd);
    if (m_pid > 0) {
        ::kill(m_pid, SIGKILL);
        int status;
        ::waitpid(m_pid, &status, 0);
    }
}

RunResult StrataProcess::wait() {
    std::vector<StrataProcess> one;
    one.push_back(std::move(*this));
    return wait_all(one).front();
}

bool StrataProcess::read_until(const std::string& text) {
    const auto deadline = Clock::now() + k_deadline;
    while (m_early_out.find(text) == std::string::npos) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0)
            return false;
        pollfd fd{m_out_fd, POLLIN, 0};
        int ready = ::poll(&fd, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            return false;
        char buffer[4096];
        ssize_t n = ::read(m_out_fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        m_early_out.append(buffer, static_cast<std::size_t>(n));
    }
    return true;
}

void StrataProcess::send_signal(int signal) {
    ::kill(m_pid, signal);
}

std::vector<RunResult> wait_all(std::vector<StrataProcess>& processes) {
    std::vector<RunResult> results(processes.size());
    for (std::size_t i = 0; i < processes.size(); ++i)
        results[i].out = processes[i].m_early_out;
    std::vector<Stream> streams;
    for (std::size_t i = 0; i < processes.size(); ++i) {
        streams.push_back({processes[i].m_out_fd, &results[i].out});
        streams.push_back({processes[i].m_err_fd, &results[i].err});
    }
    bool finished = drain(streams, Clock::now() + k_deadline, [] {});
    for (std::size_t i = 0; i < processes.size(); ++i) {
        auto& p = processes[i];
        if (!finished) {
            ::kill(p.m_pid, SIGKILL);
            results[i].err += "\n[test harness: killed after the deadline]";
        }
        results[i].exit_code = reap(p.m_pid);
        p.m_pid = -1;
        close_fd(p.m_out_fd);
        close_fd(p.m_err_fd);
    }
    return results;
}

StrataProcess start_strata(const std::vector<std::string>& args, const RunOptions& opts,
                           StartGate* gate) {
    int gate_fd = gate != nullptr ? gate->m_read_fd : -1;
    ignore_sigpipe_once();
    ExecImage image(args, opts);
    auto [out_read, out_write] = make_pipe();
    auto [err_read, err_write] = make_pipe();
    int in_read = -1;
    int in_write = -1;
    if (opts.stdin_text) {
        // Small inputs fit in the pipe buffer, so writing them up front cannot block.
        if (opts.stdin_text->size() > 60000)
            throw std::runtime_error("stdin_text too large for the test harness");
        std::tie(in_read, in_write) = make_pipe();
    } else {
        in_read = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (in_read < 0)
            fail("open /dev/null");
    }

    int pid = ::fork();
    if (pid < 0)
        fail("fork");
    if (pid == 0) {
        ::dup2(in_read, STDIN_FILENO);
        ::dup2(out_write, STDOUT_FILENO);
        ::dup2(err_write, STDERR_FILENO);
        exec_child(image, gate_fd);
    }
    if (gate != nullptr)
        ++gate->m_waiting;
    close_fd(in_read);
    close_fd(out_write);
    close_fd(err_write);
    if (in_write >= 0) {
        write_all(in_write, *opts.stdin_text);
        close_fd(in_write);
    }
    return StrataProcess(pid, out_read, err_read);
}

RunResult run_strata(const std::vector<std::string>& args, const RunOptions& opts) {
    return start_strata(args, opts).wait();
}

RunResult run_strata_in_terminal(const std::vector<std::string>& args, const std::string& answer,
                                 const RunOptions& opts, const std::string& prompt) {
    ignore_sigpipe_once();
    ExecImage image(args, opts);
    int master = -1;
    int slave = -1;
    if (::openpty(&master, &slave, nullptr, nullptr, nullptr) != 0)
        fail("openpty");
    ::fcntl(master, F_SETFD, FD_CLOEXEC);
    ::fcntl(slave, F_SETFD, FD_CLOEXEC);
    // Keep line editing (the child reads a line) but no echo and no "\n" -> "\r\n", so the
    // captured output is exactly what the child wrote.
    termios settings{};
    if (::tcgetattr(slave, &settings) != 0)
        fail("tcgetattr");
    settings.c_lflag &= ~static_cast<tcflag_t>(ECHO | ECHONL);
    settings.c_oflag &= ~static_cast<tcflag_t>(OPOST);
    if (::tcsetattr(slave, TCSANOW, &settings) != 0)
        fail("tcsetattr");
    auto [err_read, err_write] = make_pipe();

    int pid = ::fork();
    if (pid < 0)
        fail("fork");
    if (pid == 0) {
        ::setsid();
        ::ioctl(slave, TIOCSCTTY, 0);
        ::dup2(slave, STDIN_FILENO);
        ::dup2(slave, STDOUT_FILENO);
        ::dup2(err_write, STDERR_FILENO);
        exec_child(image, -1);
    }
    close_fd(slave);
    close_fd(err_write);

    RunResult result;
    bool answered = false;
    bool finished =
        drain({{master, &result.out}, {err_read, &result.err}}, Clock::now() + k_deadline, [&] {
            // strata asks on stderr; the prompt is looked for in both streams.
            if (!answered && (result.out.find(prompt) != std::string::npos ||
                              result.err.find(prompt) != std::string::npos)) {
                answered = true;
                write_all(master, answer + "\n");
            }
        });
    if (!finished) {
        ::kill(pid, SIGKILL);
        result.err += "\n[test harness: killed after the deadline]";
    }
    result.exit_code = reap(pid);
    close_fd(master);
    close_fd(err_read);
    return result;
}

StartGate::StartGate() {
    std::tie(m_read_fd, m_write_fd) = make_pipe();
}

StartGate::~StartGate() {
    close_fd(m_read_fd);
    close_fd(m_write_fd);
}

void StartGate::open() {
    // One write of at most PIPE_BUF bytes is atomic: every waiting child can read its byte.
    write_all(m_write_fd, std::string(m_waiting, 'g'));
    m_waiting = 0;
}

std::vector<RunResult>
run_strata_together(const std::vector<std::vector<std::string>>& args_per_process,
                    const RunOptions& opts) {
    StartGate gate;
    std::vector<StrataProcess> processes;
    for (const auto& args : args_per_process)
        processes.push_back(start_strata(args, opts, &gate));
    gate.open();
    return wait_all(processes);
}

} // namespace strata::test
