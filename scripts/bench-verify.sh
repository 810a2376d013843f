#!/bin/sh
# Reports verified per second per core (chain cached) beside OpenSSL's own
# ECDSA P-384 verify rate measured in the same run; the ratio is the figure.
# Usage: scripts/bench-verify.sh [build/snpvm]
set -eu
bin=${1:-build/snpvm}
build=$(dirname "$bin")
bench=$build/tests/bench/bench-verify
make --no-print-directory BUILD="$build" "$bench" >/dev/null
report=tests/data/attest/mstav/genoa_attestation_report.bin
vek=tests/data/attest/mstav/genoa_vcek.pem
at=1795305600 # 2026-11-22T00:00:00Z, inside every fixture's validity

ours=$(taskset -c 0 "$bench" "$report" "$vek" 3 "$at")
base=$(taskset -c 0 openssl speed -seconds 3 ecdsap384 2>/dev/null | awk '/nistp384\)/ { print $NF }')
rate=$(echo "$ours" | awk '/verify_report/ { print $2 }')
echo "$ours"
echo "openssl speed ecdsap384 verify/s: $base"
awk -v a="$rate" -v b="$base" 'BEGIN { printf "ratio (verify_report / ECDSA P-384 verify): %.2f\n", a / b }'
