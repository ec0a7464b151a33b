#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Builds the libFuzzer targets, replays every saved regression input, then fuzzes each target
# for a fixed time. Prints the executions per target and ends with "N passed, N failed":
# each regression input and each target is one check; a target passes when it ran its time
# with no crash, sanitizer report, leak or timeout.
#
#   tests/reliability/fuzz/run.sh [SECONDS_PER_TARGET]      default 180 (3 CPU-minutes each)
#
# Environment:
#   STRATA_FUZZ_BUILD     build folder (default: build-fuzz in the repository)
#   STRATA_FUZZ_PARALLEL  targets fuzzed at the same time (default 1; 2 on a 2-core machine
#                         gives each target a core and halves the wall time)
#   STRATA_FUZZ_TARGETS   which targets (default "project loader run")
#   STRATA_FUZZ_SEED      libFuzzer -seed (default: chosen by libFuzzer, printed in the log)
#
# Corpora: corpus/<target> holds the checked-in seeds (read only); new inputs go to
# <build>/corpus/<target>, kept between local runs. Crash inputs are copied to
# <build>/artifacts/<target>/; reproduce one with `<build>/fuzz_<target> FILE`.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$here/../../.." && pwd)
seconds=${1:-180}
build=${STRATA_FUZZ_BUILD:-$repo_root/build-fuzz}
parallel=${STRATA_FUZZ_PARALLEL:-1}
read -r -a targets <<<"${STRATA_FUZZ_TARGETS:-project loader run}"

if ! [[ $seconds =~ ^[0-9]+$ ]] || ((seconds < 1)); then
    printf 'usage: %s [SECONDS_PER_TARGET]\n' "$0" >&2
    exit 2
fi

# Per-target limits: the longest input tried, and the dictionary that guides the mutations.
max_len_of() {
    case $1 in
    run) printf '16384' ;;
    *) printf '65536' ;;
    esac
}

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# abort_on_error would make a crash look like a signal to libFuzzer, which then still saves it.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

passed=0
failed=0
failures=()
pass() { passed=$((passed + 1)); }
fail() {
    failed=$((failed + 1))
    failures+=("$1")
}

printf '=== fuzz: building into %s\n' "$build"
if ! "$here/build.sh" "$build"; then
    printf 'fuzz: build failed\n'
    printf '0 passed, 1 failed\n'
    exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/strata-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

# --- regression inputs: each must now run cleanly --------------------------------------------
printf '\n=== fuzz: replaying regression inputs\n'
for target in "${targets[@]}"; do
    binary=$build/fuzz_$target
    for input in "$here/regressions/$target"/*; do
        [[ -f $input ]] || continue
        name=regressions/$target/$(basename "$input")
        log=$work/replay.log
        # Replayed from an empty folder, so nothing a target might write lands in the repo.
        mkdir -p "$work/replay"
        if (cd "$work/replay" && timeout 60 "$binary" "$input") >"$log" 2>&1; then
            printf 'ok      %s\n' "$name"
            pass
        else
            printf 'FAILED  %s\n' "$name"
            grep -E 'BUG:|ERROR:|runtime error|SUMMARY|Assertion|terminate' "$log" | head -5 |
                sed 's/^/        /'
            printf '        reproduce: %s %s\n' "$binary" "$input"
            fail "$name"
        fi
    done
done

# --- fuzzing ----------------------------------------------------------------------------------
# Runs one target for $seconds; writes its log and a one-line result to $work/<target>.*.
fuzz_target() {
    local target=$1
    local binary=$build/fuzz_$target
    local corpus=$build/corpus/$target
    local artifacts=$build/artifacts/$target
    local scratch=$work/run-$target
    mkdir -p "$corpus" "$artifacts" "$scratch"
    local options=(
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048
        -max_len="$(max_len_of "$target")" -dict="$here/$target.dict"
        -print_final_stats=1 -artifact_prefix="$artifacts/"
    )
    if [[ -n ${STRATA_FUZZ_SEED:-} ]]; then
        options+=(-seed="$STRATA_FUZZ_SEED")
    fi
    # The scratch folder is the working directory: whatever the target might write stays there.
    local started=$SECONDS
    (cd "$scratch" &&
        timeout $((seconds + 120)) "$binary" "${options[@]}" "$corpus" "$here/corpus/$target") \
        >"$work/$target.log" 2>&1
    printf '%s\n' "$?" >"$work/$target.status"
    printf '%s\n' $((SECONDS - started)) >"$work/$target.seconds"
}

stat_of() {
    grep -m1 "^stat::$2:" "$work/$1.log" | awk '{print $2}'
}

report_target() {
    local target=$1
    local status
    status=$(cat "$work/$target.status" 2>/dev/null || printf '1')
    local runs per_second new rss seed ran
    runs=$(stat_of "$target" number_of_executed_units)
    per_second=$(stat_of "$target" average_exec_per_sec)
    new=$(stat_of "$target" new_units_added)
    rss=$(stat_of "$target" peak_rss_mb)
    seed=$(grep -m1 -o 'Seed: [0-9]*' "$work/$target.log" | awk '{print $2}')
    ran=$(cat "$work/$target.seconds" 2>/dev/null || printf '?')
    printf '%-8s %s executions in %ss (%s/s), %s new inputs, peak %s MB, seed %s\n' \
        "$target" "${runs:-?}" "$ran" "${per_second:-?}" "${new:-?}" "${rss:-?}" "${seed:-?}"
    if [[ $status == 0 ]] && grep -q '^Done [0-9]* runs' "$work/$target.log"; then
        pass
    else
        printf 'FAILED  %s (libFuzzer exit status %s)\n' "$target" "$status"
        grep -E 'BUG:|ERROR:|runtime error|SUMMARY|Assertion|terminate|Test unit written' \
            "$work/$target.log" | head -8 | sed 's/^/        /'
        printf '        log: %s\n' "$build/artifacts/$target.log"
        cp "$work/$target.log" "$build/artifacts/$target.log"
        fail "$target"
    fi
}

printf '\n=== fuzz: %s target(s), %ss each, %s at a time\n' "${#targets[@]}" "$seconds" "$parallel"
started=$SECONDS
running=0
for target in "${targets[@]}"; do
    if ((running >= parallel)); then
        wait -n
        running=$((running - 1))
    fi
    fuzz_target "$target" &
    running=$((running + 1))
done
wait
for target in "${targets[@]}"; do
    report_target "$target"
done
printf 'fuzzing took %ss of wall time\n' $((SECONDS - started))

printf '\n'
for failure in "${failures[@]}"; do
    printf 'failed: %s\n' "$failure"
done
printf '%d passed, %d failed\n' "$passed" "$failed"
((failed == 0))
