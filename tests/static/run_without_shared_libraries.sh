#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Proves that a fully static strata (-Dstatic=enabled) runs on a system with no shared libraries at all: copies the
# binary and the example project into an otherwise empty folder, and runs forwards and
# check --exit-code there under chroot (so not even the dynamic loader is reachable). Prints the
# stripped binary's size. Needs root (chroot). With EMULATOR (a static qemu-user binary such as
# qemu-aarch64-static), the binary is for another CPU and runs under it, inside the same chroot.
#
#   tests/static/run_without_shared_libraries.sh BUILD_DIR [EMULATOR [STRIP]]
set -euo pipefail

build_dir=${1:?usage: $0 BUILD_DIR [EMULATOR [STRIP]]}
emulator=${2:-}
strip_tool=${3:-strip}
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
root=$(mktemp -d "${TMPDIR:-/tmp}/strata-static.XXXXXX")
trap 'rm -rf "$root"' EXIT

if ! file "$build_dir/strata" | grep -q "statically linked"; then
    echo "static: $build_dir/strata is not statically linked: $(file "$build_dir/strata")" >&2
    exit 1
fi
"$strip_tool" -o "$root/strata" "$build_dir/strata"
run=(/strata)
if [[ -n $emulator ]]; then
    cp "$(command -v "$emulator")" "$root/emulator"
    run=(/emulator /strata)
fi
cp -R "$repo_root/examples/basic" "$root/project"
rm -f "$root/project"/*.db "$root/project"/*.db-*

chroot "$root" "${run[@]}" --version
chroot "$root" "${run[@]}" -C /project forwards
chroot "$root" "${run[@]}" -C /project check --exit-code >/dev/null
echo "static: stripped size $(stat -c %s "$root/strata") bytes; ran forwards and check with no shared libraries"
