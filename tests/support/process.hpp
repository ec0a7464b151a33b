// SPDX-License-Identifier: MIT
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace strata::test {

// How to start the strata binary: where, with which environment and input.
struct RunOptions {
    // Working directory of the child; empty means the test's own working directory.
    std::filesystem::path cwd;
    // Variables set (or overridden) in the child's environment.
    std::vector<std::pair<std::string, std::string>> env;
    // Variables removed from the child's environment. STRATA_DATABASE is always removed unless
    // `env` sets it, so a developer's shell cannot redirect the tests.
    std::vector<std::string> unset_env;
    // Text fed to standard input; without it, stdin is /dev/null (never a terminal).
    std::optional<std::string> stdin_text;
    // Standard output is a pipe whose reader has gone, as in `strata forwards | logger` after
    // the logger died: every write to it fails with EPIPE (or raises SIGPIPE). `out` stays empty.
    bool stdout_closed = false;
    // Runs the child as this user id (group id the same, no supplementary groups), as
    // `setpriv --reuid=N --regid=N --clear-groups` does. Needs root; tests that use it check
    // geteuid() == 0 first. The binary and the working folder must be reachable by that user.
    std::optional<unsigned> user_id;
};

// What a finished child did. exit_code is 128 + signal when it was killed by a signal.
struct RunResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

// Runs STRATA_BINARY with `args` to completion, capturing stdout and stderr separately.
// A child still running after a generous deadline is killed (exit_code 128 + SIGKILL) and a
// note is appended to err, so a hang fails the test instead of stalling the suite.
RunResult run_strata(const std::vector<std::string>& args, const RunOptions& opts = {});

// Runs STRATA_BINARY with stdin and stdout on a pseudo-terminal (stderr stays a pipe). When the
// output or the error stream (where strata asks) shows `prompt`, `answer` followed by a newline is
// typed. Terminal echo and output post-processing are off, so `out` holds exactly what the child
// wrote to stdout.
RunResult run_strata_in_terminal(const std::vector<std::string>& args, const std::string& answer,
                                 const RunOptions& opts = {}, const std::string& prompt = "[y/N] ");

// A strata child that has been started; wait() collects its output and exit status.
class StrataProcess {
  public:
    StrataProcess(int pid, int out_fd, int err_fd)
        : m_pid(pid), m_out_fd(out_fd), m_err_fd(err_fd) {}
    StrataProcess(StrataProcess&& other) noexcept;
    StrataProcess& operator=(StrataProcess&&) = delete;
    StrataProcess(const StrataProcess&) = delete;
    StrataProcess& operator=(const StrataProcess&) = delete;
    // Kills and reaps a child that was never waited for.
    ~StrataProcess();

    // Reads stdout and stderr to the end and reaps the child. Call once.
    RunResult wait();
    // Reads stdout until it contains `text` (kept for wait()); false at end of output or after
    // the deadline. Lets a test act at a known point of the child's progress without sleeping.
    bool read_until(const std::string& text);
    // Sends `signal` to the child.
    void send_signal(int signal);

  private:
    friend std::vector<RunResult> wait_all(std::vector<StrataProcess>& processes);
    int m_pid;
    int m_out_fd;
    int m_err_fd;
    std::string m_early_out; // stdout read by read_until
};

class StartGate;

// Starts STRATA_BINARY without waiting. With a gate, the child blocks before exec until the
// gate opens, so several children can be released at the same instant.
StrataProcess start_strata(const std::vector<std::string>& args, const RunOptions& opts = {},
                           StartGate* gate = nullptr);

// Waits for every process, draining all their pipes together so none blocks on a full pipe.
std::vector<RunResult> wait_all(std::vector<StrataProcess>& processes);

// A barrier for child processes: each child started behind the gate blocks reading one byte
// from a pipe; open() writes one byte per child in a single write, releasing them together.
class StartGate {
  public:
    StartGate();
    ~StartGate();
    StartGate(const StartGate&) = delete;
    StartGate& operator=(const StartGate&) = delete;

    // Releases every child waiting on the gate.
    void open();

  private:
    friend StrataProcess start_strata(const std::vector<std::string>&, const RunOptions&,
                                      StartGate*);
    int m_read_fd = -1;
    int m_write_fd = -1;
    std::size_t m_waiting = 0;
};

// Starts one child per argument list behind a StartGate, releases them together and waits
// for all of them. Results are in the order of `args_per_process`.
std::vector<RunResult>
run_strata_together(const std::vector<std::vector<std::string>>& args_per_process,
                    const RunOptions& opts = {});

} // namespace strata::test
