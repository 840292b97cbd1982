#!/usr/bin/env bash
# Runs one libFuzzer harness (a build with -Dfuzz=true) for FUZZ_SECONDS
# (default 600), starting from the seed corpus in the source tree and
# keeping what it learns in the build tree:
#   run.sh HARNESS NAME SEED_DIR WORK_DIR [DICT]
# New inputs go to WORK_DIR/corpus/NAME, crashes to WORK_DIR/artifacts/NAME/
# (copy a crasher into the seed dir once fixed: `meson test --suite
# fuzz-regress` replays it from then on). The last lines of the log are
# libFuzzer's final stats.
set -euo pipefail
harness="$1" name="$2" seeds="$3" work="$4" dict="${5:-}"
seconds="${FUZZ_SECONDS:-600}"
mkdir -p -- "$work/corpus/$name" "$work/artifacts/$name"
args=(-max_total_time="$seconds" -timeout=20 -rss_limit_mb="${FUZZ_RSS_MB:-2048}"
      -max_len="${FUZZ_MAX_LEN:-65536}" -print_final_stats=1
      -artifact_prefix="$work/artifacts/$name/")
[[ -n "$dict" ]] && args+=(-dict="$dict")
exec nice -n "${FUZZ_NICE:-10}" "$harness" "${args[@]}" "$work/corpus/$name" "$seeds"
