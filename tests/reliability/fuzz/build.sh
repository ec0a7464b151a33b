#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Builds the libFuzzer targets with clang: the library sources (src/strata, src/util) are compiled
# directly with coverage, ASan and UBSan; SQLite comes from Debian's static archive
# (built with gcc, uninstrumented: the fuzzing is aimed at strata's code, and it links fine).
#
#   tests/reliability/fuzz/build.sh [OUT_DIR]      default OUT_DIR: build-fuzz (in the repo)
#
# Needs clang and libclang-rt-14-dev (Debian 12), plus strata's own -dev packages. Objects are
# reused while they are newer than their source and every header, so a second run is quick.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$here/../../.." && pwd)
out=${1:-$repo_root/build-fuzz}
cxx=${CXX_FUZZ:-clang++}
jobs=${JOBS:-$(nproc)}

readonly targets=(fuzz_project fuzz_loader fuzz_run)

# The commas below separate sanitizer names, not array elements.
# shellcheck disable=SC2054
common_flags=(
    -std=c++20 -g -O1 -fno-omit-frame-pointer
    -fsanitize=address,undefined -fno-sanitize-recover=all
    -I"$repo_root/src" -I"$repo_root/tests" -I"$here"
    # meson.build passes these to every target; the version is read from it.
    "-DSTRATA_VERSION=\"$(sed -n "s/^  version : '\(.*\)',$/\1/p" "$repo_root/meson.build")\""
    '-DSTRATA_BUILD_TYPE="fuzz"'
)
# The library is held to -Werror by its gcc build; clang's warnings differ, so they are off
# here rather than able to break the fuzzing stage. The targets are held to the project's flags.
library_flags=("${common_flags[@]}" -fsanitize=fuzzer-no-link -w)
target_flags=("${common_flags[@]}" -fsanitize=fuzzer-no-link -Wall -Wextra -Wpedantic -Werror)
# shellcheck disable=SC2054
link_flags=(
    -fsanitize=fuzzer,address,undefined
    -l:libsqlite3.a -l:libcrypto.a -lpthread -ldl -lm
)

mkdir -p "$out/obj"

# True when OBJECT must be rebuilt from SOURCE.
stale() {
    local source=$1 object=$2
    [[ ! -f $object || $source -nt $object ]] && return 0
    [[ -n $(find "$repo_root/src" "$here" -name '*.hpp' -newer "$object" -print -quit) ]]
}

compile_list=()
objects=()
while IFS= read -r source; do
    relative=${source#"$repo_root"/src/}
    object=$out/obj/${relative//\//_}.o
    objects+=("$object")
    if stale "$source" "$object"; then
        compile_list+=("$source" "$object")
    fi
done < <(find "$repo_root/src/strata" "$repo_root/src/util" -name '*.cpp' | sort)

if ((${#compile_list[@]} > 0)); then
    printf 'fuzz build: compiling %d library source(s) with %s\n' $((${#compile_list[@]} / 2)) "$cxx"
    running=0
    status=0
    for ((i = 0; i < ${#compile_list[@]}; i += 2)); do
        if ((running >= jobs)); then
            wait -n || status=1
            running=$((running - 1))
        fi
        "$cxx" "${library_flags[@]}" -c "${compile_list[i]}" -o "${compile_list[i + 1]}" &
        running=$((running + 1))
    done
    while ((running > 0)); do
        wait -n || status=1
        running=$((running - 1))
    done
    if ((status != 0)); then
        printf 'fuzz build: compiling the library failed\n' >&2
        exit 1
    fi
fi
rm -f "$out/libstrata_fuzz.a"
ar rcs "$out/libstrata_fuzz.a" "${objects[@]}"

for target in "${targets[@]}"; do
    printf 'fuzz build: %s\n' "$target"
    "$cxx" "${target_flags[@]}" -c "$here/$target.cpp" -o "$out/obj/$target.o"
    "$cxx" "${common_flags[@]}" "$out/obj/$target.o" "$out/libstrata_fuzz.a" "${link_flags[@]}" \
        -o "$out/$target"
done
printf 'fuzz build: done: %s\n' "$out"
