#!/bin/sh
# attestd under load on loopback (tests/bench/bench-attestd.c): full
# auth -> attest -> resource exchanges per second, the server's CPU-ms per
# exchange and p50/p99 latency at peak and at half the peak rate, on SQLite
# and on PostgreSQL (skipped, saying why, when no server can run here),
# beside the crypto floor of one exchange measured in the same run
# (verify_report with the chain cached + ES384 sign + ECDH-ES JWE wrap).
# The ratio is exchanges per server CPU-second over floor exchanges per
# CPU-second (goal >= 0.7), and p99 at half peak (goal < 5 ms).
# Usage: scripts/bench-attestd.sh [build/snpvm] [SECONDS] [CLIENT_THREADS]
set -eu
bin=${1:-build/snpvm}
secs=${2:-5}
threads=${3:-4}
build=$(dirname "$bin")
bench=$build/tests/bench/bench-attestd
make --no-print-directory BUILD="$build" "$bench" >/dev/null
report=tests/data/attest/mstav/genoa_attestation_report.bin
vek=tests/data/attest/mstav/genoa_vcek.pem
at=1795305600 # 2026-11-22T00:00:00Z, inside every fixture's validity
"$bench" "$report" "$vek" "$at" "$secs" "$threads"
