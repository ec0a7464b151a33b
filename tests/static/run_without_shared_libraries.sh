#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Proves that a -Dstatic=true strata runs on a system with no shared libraries at all: copies the
# binary and the example project into an otherwise empty folder, and runs forwards and
# check --exit-code there under chroot (so not even the dynamic loader is reachable). Prints the
# stripped binary's size. Needs root (chroot).
#
#   tests/static/run_without_shared_libraries.sh BUILD_DIR
set -euo pipefail

build_dir=${1:?usage: $0 BUILD_DIR}
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
root=$(mktemp -d "${TMPDIR:-/tmp}/strata-static.XXXXXX")
trap 'rm -rf "$root"' EXIT

if ldd "$build_dir/strata" >/dev/null 2>&1; then
    echo "static: $build_dir/strata is a dynamic executable:" >&2
    ldd "$build_dir/strata" >&2
    exit 1
fi
strip -o "$root/strata" "$build_dir/strata"
cp -R "$repo_root/examples/basic" "$root/project"
rm -f "$root/project"/*.db "$root/project"/*.db-*

chroot "$root" /strata --version
chroot "$root" /strata -C /project forwards
chroot "$root" /strata -C /project check --exit-code >/dev/null
echo "static: stripped size $(stat -c %s "$root/strata") bytes; ran forwards and check with no shared libraries"
