# attempt NAME COMMAND...: runs COMMAND (no input, output discarded) and
# prints "NAME ALLOWED" if it succeeded, "NAME FAILED" otherwise. Not a probe
# of its own: tc_run_sh_attempt_probe() puts it before the shell probes that
# use it.

attempt() {
    name=$1
    shift
    if "$@" </dev/null >/dev/null 2>&1; then
        echo "$name ALLOWED"
    else
        echo "$name FAILED"
    fi
}
