#!/usr/bin/env bash
# Exec-time attach (not part of the build; figures in collector/README.md). Needs root.
#   bench/collector-exec-attach.sh [RUNS] [EXECS] [PAIRS] [PROGRAM]
# A collector with its defaults (exec watch on, hold up to 1 s, start-time scan), capturing into
# memory, in this JVM (collector/src/bench/java ExecAttachBench):
#  1. exec -> uprobes attached for RUNS fresh copies (new inode each) of PROGRAM (default node, a
#     statically linked OpenSSL), median / p99 / max from the collector's own summary;
#  2. the cost to execve of a known unrelated program: bench/collector/exec_loop.c (fork + execve
#     /bin/true + wait, EXECS times) with the exec tracepoint attached and detached, PAIRS
#     interleaved pairs alternating the order; median of the on/off ratios, wall and CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-30}"
EXECS="${2:-2000}"
PAIRS="${3:-7}"
PROGRAM="${4:-$(readlink -f "$(command -v node)")}"
source bench/lib.sh
work=$(mktemp -d /tmp/collector-exec-attach.XXXXXX)
trap 'rm -rf "$work"' EXIT
bench_java collector 512m
gcc -O2 -Wall -o "$work/exec_loop" bench/collector/exec_loop.c
"${JAVA[@]}" io.ecapture.kafka.collector.bench.ExecAttachBench "$work/exec_loop" "$RUNS" "$EXECS" "$PAIRS" "$PROGRAM"
