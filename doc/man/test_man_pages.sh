#!/bin/sh
# Usage: test_man_pages.sh LIBRARY.so VERSION_SCRIPT PAGE.3...
# Every symbol the library exports, and every symbol of its version script,
# has a man page among PAGE... with a NAME, a SYNOPSIS declaring it, a
# DESCRIPTION, a VERSIONS line naming a release, and no groff warning; the
# overview libcodeinterp.3 lists it.
set -u
lib=$1
map=$2
shift 2
[ $# -gt 0 ] || { echo "no pages given"; exit 1; }
dir=$(dirname "$1")
tmp=$(mktemp -d /tmp/ci-man-XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVWi]$/ { print $3 }' |
    sed 's/@.*//' | grep -v '^CODEINTERP_' >"$tmp/symbols"
sed -n 's/^[[:space:]]*\(ci_[a-z0-9_]*\);.*/\1/p' "$map" >>"$tmp/symbols"
sort -u "$tmp/symbols" -o "$tmp/symbols"
[ -s "$tmp/symbols" ] || { echo "no symbols found in $lib and $map"; exit 1; }

overview=$dir/libcodeinterp.3
status=0
bad() {
    echo "$1: $2"
    status=1
}
[ -f "$overview" ] || bad libcodeinterp.3 "no overview page"

while read -r sym; do
    page=$dir/$sym.3
    if [ ! -f "$page" ]; then
        bad "$sym" "exported, but has no man page ($page)"
        continue
    fi
    for section in NAME SYNOPSIS DESCRIPTION VERSIONS; do
        grep -q "^\.SH $section\$" "$page" || bad "$sym" "no $section section"
    done
    grep -q "^$sym \\\\- ." "$page" || bad "$sym" "NAME line does not name it"
    grep -q "[ *]$sym(" "$page" || bad "$sym" "SYNOPSIS does not declare it"
    grep -q '^(undocumented)$' "$page" && bad "$sym" "no doc comment in the header"
    grep -q '^Since libcodeinterp [0-9][0-9.]*\.$' "$page" || bad "$sym" "no @since in its doc comment"
    # -ww: every warning; -Wbreak: long words (JSON examples) may overrun a line
    warnings=$(groff -man -Tutf8 -ww -Wbreak -z "$page" 2>&1)
    [ -z "$warnings" ] || bad "$sym" "groff: $warnings"
    grep -q "^\.BR $sym (3)" "$overview" || bad "$sym" "not listed in libcodeinterp(3)"
done <"$tmp/symbols"

[ "$status" -eq 0 ] && echo "ok: $(wc -l <"$tmp/symbols") symbols, each with its page"
exit "$status"
