#!/bin/sh
# Usage: test_symbols.sh LIBRARY.so VERSION_SCRIPT HEADER
# The library exports exactly the symbols of its version script, each of them
# declared CI_EXPORT in the public header.
set -u
lib=$1
map=$2
header=$3
tmp=$(mktemp -d /tmp/ci-symbols-XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVWi]$/ { print $3 }' |
    sed 's/@.*//' | grep -v '^CODEINTERP_' | sort -u >"$tmp/exported"
sed -n 's/^[[:space:]]*\(ci_[a-z0-9_]*\);.*/\1/p' "$map" | sort -u >"$tmp/mapped"
tr '\n' ' ' <"$header" | sed 's/;/;\n/g' | grep 'CI_EXPORT' |
    sed -n 's/.*[ *]\(ci_[a-z0-9_]*\)[[:space:]]*(.*/\1/p' | sort -u >"$tmp/declared"

status=0
if [ ! -s "$tmp/exported" ]; then
    echo "no symbols exported by $lib"
    exit 1
fi
if ! cmp -s "$tmp/exported" "$tmp/mapped"; then
    echo "exported (<) vs version script (>):"
    diff "$tmp/exported" "$tmp/mapped"
    status=1
fi
if ! cmp -s "$tmp/mapped" "$tmp/declared"; then
    echo "version script (<) vs header declarations (>):"
    diff "$tmp/mapped" "$tmp/declared"
    status=1
fi
[ "$status" -eq 0 ] && echo "ok: $(wc -l <"$tmp/exported") symbols"
exit "$status"
