#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# JavaScript and TypeScript start-up and round trip, against `node -e` of the
# same code measured in the same run (interleaved, so a drift of the machine
# hits both alike). Through `codeinterp invoke` (one session per run):
#   session     the first call of a new invoke, a file listing: creates the
#               sandbox, starts no interpreter (for scale)
#   first JS    the first JavaScript execute in that session: starts node and
#               the kernel, runs the code
#   first TS    then the first TypeScript execute: a second node with the
#               kernel, esbuild's service, transpiling and running
#   warm JS/TS  one more execute once the interpreter is up (median of WARM)
# Baselines, in the runner's environment (env -i, NODE_PATH...):
#   node -e     /usr/bin/node -e CODE (a whole process each time)
#   node -e+ts  node -e that loads esbuild, transforms the TypeScript and runs
#               it (what running TypeScript costs without the sandbox)
# Times are taken by this script around each request/answer (bash's
# EPOCHREALTIME, no fork), so they include the CLI's JSON handling.
#
# Usage: bench/js_startup.sh [RUNS [WARM]]   (defaults 10 and 200), from the
# source tree after `ninja -C build`. CODEINTERP_* variables are set to the
# build tree unless already set.
set -euo pipefail

runs=${1:-10}
warm=${2:-200}
here=$(cd "$(dirname "$0")/.." && pwd)
cli=${CODEINTERP_CLI:-$here/build/tools/codeinterp}
export CODEINTERP_HELPER=${CODEINTERP_HELPER:-$here/build/lib/codeinterp-sandbox}
export CODEINTERP_KERNEL_DIR=${CODEINTERP_KERNEL_DIR:-$here/lib/runners/kernels}
runtime=${CODEINTERP_RUNTIME_DIR:-/opt/codeinterp}
node=/usr/bin/node
esbuild=$runtime/node/node_modules/esbuild

js_code='console.log(1 + 1)'
ts_code='const n: number = 1 + 1; console.log(n)'

for need in "$cli" "$CODEINTERP_HELPER" "$node"; do
    [[ -x $need ]] || { echo "js_startup: $need is missing (build first)" >&2; exit 1; }
done
[[ -d $esbuild ]] || { echo "js_startup: $esbuild is missing (scripts/setup)" >&2; exit 1; }

now_us() {
    local t=${EPOCHREALTIME/[.,]/}
    echo "$t"
}

# JSON string of $1 (the codes above need no escaping beyond quotes)
json_str() {
    local s=${1//\\/\\\\}
    printf '"%s"' "${s//\"/\\\"}"
}

call_line() { # language code
    printf '{"name":"executeCode","arguments":{"language":"%s","code":%s}}' "$1" "$(json_str "$2")"
}

# medians and p90s of the samples in a file, one µs figure a line, in ms
stats() {
    sort -n "$1" | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "n/a"; exit }
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        r = int((NR * 9 + 9) / 10); if (r < 1) r = 1; if (r > NR) r = NR
        printf "%8.1f ms median  %8.1f ms p90  (n=%d)", m / 1000, v[r] / 1000, NR }'
}

median_us() {
    sort -n "$1" | awk '{ v[NR] = $1 } END {
        print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
js_line=$(call_line javascript "$js_code")
ts_line=$(call_line typescript "$ts_code")
list_line='{"name":"listFiles","arguments":{}}'

# one request on the coprocess, the answer checked; prints µs taken
ask() { # line [expected stdout]
    local start end answer
    start=$(now_us)
    printf '%s\n' "$1" >&"${inv[1]}"
    IFS= read -r answer <&"${inv[0]}"
    end=$(now_us)
    if [[ $answer != *'"isError":false'* || ( -n ${2:-} && $answer != *"\"stdout\":\"$2\\n\""* ) ]]; then
        echo "js_startup: unexpected answer: $answer" >&2
        exit 1
    fi
    echo $((end - start))
}

timed_cmd() { # command... ; prints µs, requires stdout "2"
    local start end out
    start=$(now_us)
    out=$("$@")
    end=$(now_us)
    [[ $out == 2 ]] || { echo "js_startup: $1 printed '$out'" >&2; exit 1; }
    echo $((end - start))
}

# The baselines get the runner's environment, not this shell's (a
# NODE_EXTRA_CA_CERTS alone adds tens of ms to every node start).
clean_env=(env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$tmp" LANG=C.UTF-8
           NODE_PATH="$runtime/node/node_modules" NODE_DISABLE_COLORS=1 NO_COLOR=1)
ts_baseline=(
    "${clean_env[@]}" "$node" -e "require('$esbuild').transform(process.argv[1], { loader: 'ts' })
        .then((r) => require('vm').runInThisContext(r.code))" "$ts_code"
)

echo "js_startup: $runs sessions, $warm warm calls each language per session"
for ((i = 0; i < runs; i++)); do
    coproc inv { "$cli" invoke; }
    ask "$list_line" >>"$tmp/session"
    ask "$js_line" 2 >>"$tmp/first_js"
    ask "$ts_line" 2 >>"$tmp/first_ts"
    for ((k = 0; k < warm / runs + 1; k++)); do
        ask "$js_line" 2 >>"$tmp/warm_js"
        ask "$ts_line" 2 >>"$tmp/warm_ts"
    done
    wfd=${inv[1]}
    exec {wfd}>&-
    # shellcheck disable=SC2154 # set by coproc
    wait "$inv_PID" || true
    timed_cmd "${clean_env[@]}" "$node" -e "$js_code" >>"$tmp/node_js"
    timed_cmd "${ts_baseline[@]}" >>"$tmp/node_ts"
done

printf '%-34s %s\n' \
    "session (sandbox only)" "$(stats "$tmp/session")" \
    "first JavaScript execute" "$(stats "$tmp/first_js")" \
    "  node -e" "$(stats "$tmp/node_js")" \
    "first TypeScript execute" "$(stats "$tmp/first_ts")" \
    "  node -e + esbuild transform" "$(stats "$tmp/node_ts")" \
    "warm JavaScript round trip" "$(stats "$tmp/warm_js")" \
    "warm TypeScript round trip" "$(stats "$tmp/warm_ts")"
awk -v a="$(median_us "$tmp/first_js")" -v b="$(median_us "$tmp/node_js")" \
    -v c="$(median_us "$tmp/first_ts")" -v d="$(median_us "$tmp/node_ts")" \
    -v e="$(median_us "$tmp/warm_js")" -v f="$(median_us "$tmp/warm_ts")" 'BEGIN {
    printf "ratios (medians): first JS / node -e %.2f, first TS / node -e+ts %.2f,\n", a / b, c / d
    printf "                  node -e / warm JS %.1f, node -e+ts / warm TS %.1f\n", b / e, d / f }'
