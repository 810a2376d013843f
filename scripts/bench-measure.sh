#!/bin/sh
# Benchmark of `snpvm measure` (whole process, hyperfine) against the floor:
# `openssl dgst -sha384` over the same bytes, measured in the same run.
#   A: Debian 12 OVMF.fd (2 MiB), 4 vCPUs EPYC-Milan
#   B: AmdSev OVMF.amdsev.fd (4 MiB) + a 1 MiB kernel, 4 vCPUs EPYC-Milan
# Prints each median and mean and the ratios snpvm / floor (goal: <= 1.3). The median
# ratio is the headline: on a shared machine a burst of load skews a mean.
set -eu
bin=${1:-build/snpvm}
runs=${BENCH_RUNS:-200}
ovmf=tests/data/debian-ovmf/usr/share/ovmf/OVMF.fd
amdsev=tests/data/firmware/OVMF.amdsev.fd
kernel=tests/data/measure/inputs/kernel.bin

command -v hyperfine >/dev/null || { echo "bench-measure: hyperfine not installed" >&2; exit 1; }
json=$(mktemp)
trap 'rm -f "$json"' EXIT

hyperfine -N --warmup 20 --runs "$runs" --export-json "$json" \
	-n snpvm-ovmf "$bin measure --vcpus 4 --vcpu-type EPYC-Milan --ovmf $ovmf" \
	-n floor-ovmf "openssl dgst -sha384 $ovmf" \
	-n snpvm-amdsev-kernel "$bin measure --vcpus 4 --vcpu-type EPYC-Milan --ovmf $amdsev --kernel $kernel" \
	-n floor-amdsev-kernel "openssl dgst -sha384 $amdsev $kernel" >/dev/null 2>&1

python3 - "$json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
for case in ("ovmf", "amdsev-kernel"):
    s, f = r["snpvm-" + case], r["floor-" + case]
    print("%-14s snpvm median %5.2f ms (mean %5.2f +- %.2f)   openssl dgst -sha384 median %5.2f ms"
          " (mean %5.2f +- %.2f)   ratio median %.2f, mean %.2f"
          % (case, s["median"] * 1e3, s["mean"] * 1e3, s["stddev"] * 1e3, f["median"] * 1e3,
             f["mean"] * 1e3, f["stddev"] * 1e3, s["median"] / f["median"], s["mean"] / f["mean"]))
PY
