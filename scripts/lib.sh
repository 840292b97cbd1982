# shellcheck shell=bash disable=SC2034
# Shared helpers for scripts/setup, build, test and demo. Source it; do not run it.

# Repository root (the parent of the directory holding this file).
CI_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
export CI_REPO_ROOT

# The pinned runtime environment lives here (see env/ and scripts/setup).
CI_RUNTIME="${CODEINTERP_RUNTIME_DIR:-/opt/codeinterp}"

# The sandbox's Python must come from the system interpreter, never pyenv.
CI_SYSTEM_PYTHON=/usr/bin/python3

ci_log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
ci_die() { ci_log "error: $*"; exit 1; }

# Seconds since the epoch with a fraction, for timings.
ci_now() { date +%s.%N; }
ci_elapsed() { awk -v a="$1" -v b="$(ci_now)" 'BEGIN { printf "%.1f", b - a }'; }

# Prints the Debian packages among "$@" that are not installed.
ci_missing_debs() {
    local pkg status
    for pkg in "$@"; do
        status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
        [[ "$status" == installed ]] || printf '%s\n' "$pkg"
    done
}

# Installs the Debian packages among "$@" that are missing; apt-get update
# runs only when something has to be installed.
ci_ensure_debs() {
    local missing
    mapfile -t missing < <(ci_missing_debs "$@")
    ((${#missing[@]} == 0)) && return 0
    ci_log "installing Debian packages: ${missing[*]}"
    local sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null || ci_die "need root (or sudo) to install: ${missing[*]}"
        sudo=(sudo)
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q \
        || ci_die "apt-get update failed"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "${missing[@]}" </dev/null || ci_die "apt-get install failed: ${missing[*]}"
}

# sha256 of the concatenation of the given strings/files descriptions.
ci_sha256() { sha256sum | cut -d' ' -f1; }

# Prints "passed failed skipped" counted from meson's JSON test logs
# (testlog*.json) given as arguments: OK passes; SKIP is skipped;
# EXPECTEDFAIL counts nowhere; anything else (FAIL, TIMEOUT, ERROR, ...) fails.
ci_count_testlogs() {
    "$CI_SYSTEM_PYTHON" - "$@" <<'EOF'
import json, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                result = json.loads(line).get("result")
            except ValueError:
                continue
            if result == "OK":
                passed += 1
            elif result in ("SKIP", "EXPECTEDFAIL"):
                skipped += result == "SKIP"
            else:  # FAIL, TIMEOUT, ERROR, UNEXPECTEDPASS, INTERRUPT, ...
                failed += 1
print(passed, failed, skipped)
EOF
}
