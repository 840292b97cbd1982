#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Uploads and downloads the same object (1 GiB by default) with the
# library's S3 backend and with the aws CLI, against one S3 server started
# here on 127.0.0.1, in one run: time, throughput, each side's peak RSS and
# the ratio aws/ours (above 1: the library is faster). Both downloads read
# the object the library uploaded; every download is checked against the
# file's SHA-256. Each side runs with its default tuning (library: parts of
# 8 MiB above 16 MiB, 4 at once; aws CLI: 8 MiB above 8 MiB, 10 at once).
#
# Usage: bench/s3_bench.sh [--server s3rver|moto] [--size-mib N] [--runs N] [BUILD_DIR]
#   --server    s3rver (default: the faster one) or moto (checks signatures)
#   --size-mib  object size in MiB (default 1024)
#   --runs      runs of each transfer; the median time is shown (default 1)
# Needs the test environment of scripts/setup ($CODEINTERP_RUNTIME_DIR/test).
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
server=s3rver size_mib=1024 runs=1 build=
while (($#)); do
    case "$1" in
        --server) server=$2; shift 2 ;;
        --size-mib) size_mib=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) build=$1; shift ;;
    esac
done
build=$(cd "${build:-$src/build}" && pwd)
runtime=${CODEINTERP_RUNTIME_DIR:-/opt/codeinterp}
venv=$runtime/test/venv
s3rver_js=$runtime/test/node/node_modules/s3rver/bin/s3rver.js
for f in "$venv/bin/python" "$s3rver_js" "$build/lib/libcodeinterp-internal.a" /usr/bin/time; do
    [[ -e $f ]] || { echo "s3_bench: $f is missing (run scripts/setup and build first)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/s3-bench.XXXXXX)
server_pid=
cleanup() {
    [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    rm -rf -- "$work"
}
trap cleanup EXIT

bin=$work/s3_bench
# shellcheck disable=SC2046 # pkg-config prints several words on purpose
cc -O2 -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE -I"$src/lib" -I"$src/include" -I"$build" \
    -o "$bin" "$src/bench/s3_bench.c" "$build/lib/libcodeinterp-internal.a" \
    $(pkg-config --libs libcurl libcjson libseccomp libcap-ng) -lpthread

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
endpoint=http://127.0.0.1:$port
case "$server" in
    s3rver)
        mkdir "$work/data"
        node "$s3rver_js" -d "$work/data" -a 127.0.0.1 -p "$port" --silent \
            --configure-bucket bench >"$work/server.log" 2>&1 &
        server_pid=$!
        keys="S3RVER S3RVER" ;;
    moto)
        INITIAL_NO_AUTH_ACTION_COUNT=3 "$venv/bin/python" -m moto.server -H 127.0.0.1 -p "$port" \
            >"$work/server.log" 2>&1 &
        server_pid=$! ;;
    *) echo "s3_bench: unknown server $server" >&2; exit 2 ;;
esac
for _ in $(seq 600); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done
tool() { "$venv/bin/python" "$src/tests/s3_tool.py" "$endpoint" "$@"; }
if [[ $server == moto ]]; then
    keys=$(tool unused unused moto-setup)
    # shellcheck disable=SC2086 # two words on purpose
    tool $keys mb bench
fi
read -r ak sk <<<"$keys"
export AWS_ACCESS_KEY_ID=$ak AWS_SECRET_ACCESS_KEY=$sk AWS_REGION=us-east-1
export AWS_ENDPOINT_URL_S3=$endpoint AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
# the aws CLI's newer default (CRC32 in an aws-chunked trailer) is not
# something every local server takes; Content-MD5 is, as for the library
export AWS_REQUEST_CHECKSUM_CALCULATION=when_required AWS_RESPONSE_CHECKSUM_VALIDATION=when_required

obj=$work/obj.bin
head -c "$((size_mib << 20))" /dev/urandom >"$obj"
want=$(sha256sum "$obj" | cut -d' ' -f1)
aws=("$venv/bin/python" -m awscli --endpoint-url "$endpoint" --only-show-errors s3 cp)

# measure NAME CMD...: median wall seconds and the largest peak RSS (KiB)
# of the runs, into $secs and $rss.
measure() {
    local name=$1 i times=() peak=0 s m
    shift
    for ((i = 0; i < runs; i++)); do
        rm -f "$work/out.bin"
        /usr/bin/time -f '%e %M' -o "$work/time" "$@" || { echo "s3_bench: $name failed" >&2; exit 1; }
        read -r s m <"$work/time"
        times+=("$s")
        ((m > peak)) && peak=$m
        if [[ -e $work/out.bin ]]; then
            [[ $(sha256sum "$work/out.bin" | cut -d' ' -f1) == "$want" ]] \
                || { echo "s3_bench: $name: the download differs from the file" >&2; exit 1; }
        fi
    done
    secs=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
    rss=$peak
}

row() { # op ours_s ours_rss aws_s aws_rss
    awk -v op="$1" -v os="$2" -v orss="$3" -v as="$4" -v arss="$5" -v mib="$size_mib" 'BEGIN {
        printf "%-9s %8.2f s %7.1f MiB/s %7.1f MiB   %8.2f s %7.1f MiB/s %7.1f MiB   %5.2f\n",
            op, os, mib / os, orss / 1024, as, mib / as, arss / 1024, as / os }'
}

measure "library upload" "$bin" put "$obj" s3://bench/obj-lib.bin
up_s=$secs up_rss=$rss
measure "aws upload" "${aws[@]}" "$obj" s3://bench/obj-aws.bin
aup_s=$secs aup_rss=$rss
measure "library download" "$bin" get s3://bench/obj-lib.bin "$work/out.bin"
down_s=$secs down_rss=$rss
measure "aws download" "${aws[@]}" s3://bench/obj-lib.bin "$work/out.bin"
adown_s=$secs adown_rss=$rss

echo "S3 transfer of one ${size_mib} MiB object, $server on 127.0.0.1, median of $runs run(s)"
printf '%-9s %-39s %-39s %s\n' "" "library (time, rate, peak RSS)" "aws CLI (time, rate, peak RSS)" "aws/library"
row upload "$up_s" "$up_rss" "$aup_s" "$aup_rss"
row download "$down_s" "$down_rss" "$adown_s" "$adown_rss"
