#!/bin/sh
# Runs every fuzz target for SECONDS on a copy of its seed corpus; prints
# the executions of each; exits non-zero on any crash (the input is kept
# in OUTDIR/artifacts).
# usage: fuzz/run.sh OUTDIR SECONDS
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$1
SECS=${2:-60}
status=0

mkdir -p "$OUT/artifacts"

for t in ${FUZZ_TARGETS:-rpc build cursor resp jwt}; do
    work="$OUT/corpus-$t"
    rm -rf "$work"
    mkdir -p "$work"
    cp "$ROOT/fuzz/corpus/$t/"* "$work/"

    "$OUT/fuzz_$t" -max_total_time="$SECS" -print_final_stats=1 \
        -artifact_prefix="$OUT/artifacts/$t-" "$work" \
        > "$OUT/fuzz_$t.log" 2>&1
    rc=$?

    execs=$(awk '/number_of_executed_units/ { print $2 }' "$OUT/fuzz_$t.log")

    if [ $rc -ne 0 ]; then
        echo "FAIL fuzz_$t after ${execs:-?} executions:"
        grep -E "ERROR|SUMMARY|#[0-9]+ 0x" "$OUT/fuzz_$t.log" | head -20
        status=1
    else
        echo "PASS fuzz_$t: ${execs:-?} executions in ${SECS}s"
    fi
done

exit $status
