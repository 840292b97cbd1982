#!/bin/sh
# Usage: test_cli_page.sh CODEINTERP PAGE.1
# The CLI's man page renders without a groff warning and names every option,
# language and JSON tool that `codeinterp help` lists, so the page cannot
# fall behind the command.
set -u
cli=$1
page=$2
status=0
bad() {
    echo "codeinterp.1: $1"
    status=1
}
[ -f "$page" ] || { echo "no page $page"; exit 1; }
usage=$("$cli" help) || { echo "codeinterp help failed"; exit 1; }

# -ww: every warning; -Wbreak: long lines of the examples may overrun
warnings=$(groff -man -Tutf8 -ww -Wbreak -z "$page" 2>&1)
[ -z "$warnings" ] || bad "groff: $warnings"
for section in NAME SYNOPSIS DESCRIPTION OPTIONS TOOLS "EXIT STATUS" ENVIRONMENT; do
    grep -q "^\.SH $section\$" "$page" || bad "no $section section"
done

# the page as text, hyphens plain, so that --kill-leftovers is found as typed
text=$(groff -man -Tutf8 "$page" 2>/dev/null | sed 's/.\x08//g; s/\xe2\x80\x90/-/g')
[ -n "$text" ] || bad "renders empty"

# subcommands and options of the usage
for word in exec invoke audit-verify $(printf '%s\n' "$usage" |
        grep -o -- '--[a-z][a-z-]*' | sort -u) -l -c; do
    printf '%s\n' "$text" | grep -q -e "$word" || bad "does not document $word"
done
# the languages -l takes and the extensions a FILE's language comes from
for word in python javascript typescript shell .js .mjs .cjs .ts .mts .sh; do
    printf '%s\n' "$usage" | grep -q -- "$word" || bad "'$word' is not in the usage any more"
    printf '%s\n' "$text" | grep -q -- "$word" || bad "does not document $word"
done
# the tools invoke answers, as the usage lists them
tools=$(printf '%s\n' "$usage" | tr -s ' \n' '  ' |
        sed -n 's/.*The tools: \([A-Za-z, ]*\)\..*/\1/p' | tr -d ',')
[ -n "$tools" ] || bad "no tool list found in the usage"
for tool in $tools; do
    printf '%s\n' "$text" | grep -q -- "$tool" || bad "does not document the tool $tool"
done

[ "$status" -eq 0 ] && echo "ok: codeinterp.1 documents the usage's options, languages and tools"
exit "$status"
