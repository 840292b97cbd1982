#!/bin/sh
# SPDX-License-Identifier: MIT
# 100 MiB inline upload (ci_upload) and streamed upload (ci_upload_file)
# beside cp of the same bytes into a folder next to the session's workspace,
# from one run. Builds bench/upload_bench.c against the build tree's library.
#
# Usage: bench/upload_bench.sh [BUILD_DIR] [RUNS]   (default: build, 9)
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
runs=${2:-9}
out=$build/bench/upload_bench

mkdir -p "$build/bench"
# shellcheck disable=SC2046 # pkg-config prints several words on purpose
cc -O2 -Wall -Wextra -Werror -std=gnu11 -I"$src/include" -o "$out" "$src/bench/upload_bench.c" \
    $(PKG_CONFIG_PATH="$build/meson-uninstalled" pkg-config --libs codeinterp) \
    -Wl,-rpath,"$build/lib"

state=${CODEINTERP_STATE_DIR:-$build/bench/state}
mkdir -p "$state"
chmod 0711 "$state"
CODEINTERP_HELPER=${CODEINTERP_HELPER:-$build/lib/codeinterp-sandbox} \
CODEINTERP_KERNEL_DIR=${CODEINTERP_KERNEL_DIR:-$src/lib/runners/kernels} \
CODEINTERP_STATE_DIR=$state \
    "$out" "$runs"
