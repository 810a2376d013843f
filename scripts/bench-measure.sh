#!/bin/sh
# Benchmark of `snpvm measure` (whole process, hyperfine) against the floor measured in the
# same run: openssl over the same bytes with the same hashes.
#   A: Debian 12 OVMF.fd (2 MiB), 4 vCPUs EPYC-Milan; floor `openssl dgst -sha384` of it
#   B: AmdSev OVMF.amdsev.fd (4 MiB) + a 1 MiB kernel, 4 vCPUs EPYC-Milan; floor
#      `openssl dgst -sha384` of both
#   C: AmdSev OVMF.amdsev.fd + a 30 MiB kernel + a 60 MiB initrd (random bytes made for the
#      run), 4 vCPUs; floor `openssl dgst -sha384` of the firmware plus `openssl dgst -sha256`
#      of the kernel and initrd (two processes: the sum of their medians). Also the peak RSS
#      of one snpvm run.
# Prints each median and mean and the ratios snpvm / floor (goals: A, B <= 1.3; C <= 1.1).
# The median ratio is the headline: on a shared machine a burst of load skews a mean.
set -eu
bin=${1:-build/snpvm}
runs=${BENCH_RUNS:-200}
runs_big=${BENCH_RUNS_BIG:-30}
ovmf=tests/data/debian-ovmf/usr/share/ovmf/OVMF.fd
amdsev=tests/data/firmware/OVMF.amdsev.fd
kernel=tests/data/measure/inputs/kernel.bin

command -v hyperfine >/dev/null || { echo "bench-measure: hyperfine not installed" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
json=$tmp/small.json
json_big=$tmp/big.json
head -c $((30 << 20)) /dev/urandom >"$tmp/kernel30"
head -c $((60 << 20)) /dev/urandom >"$tmp/initrd60"
big="$bin measure --vcpus 4 --vcpu-type EPYC-Milan --ovmf $amdsev --kernel $tmp/kernel30 --initrd $tmp/initrd60 --append console=ttyS0"

hyperfine -N --warmup 20 --runs "$runs" --export-json "$json" \
	-n snpvm-ovmf "$bin measure --vcpus 4 --vcpu-type EPYC-Milan --ovmf $ovmf" \
	-n floor-ovmf "openssl dgst -sha384 $ovmf" \
	-n snpvm-amdsev-kernel "$bin measure --vcpus 4 --vcpu-type EPYC-Milan --ovmf $amdsev --kernel $kernel" \
	-n floor-amdsev-kernel "openssl dgst -sha384 $amdsev $kernel" >/dev/null 2>&1
hyperfine -N --warmup 3 --runs "$runs_big" --export-json "$json_big" \
	-n snpvm-big "$big" \
	-n floor-big-sha384 "openssl dgst -sha384 $amdsev" \
	-n floor-big-sha256 "openssl dgst -sha256 $tmp/kernel30 $tmp/initrd60" >/dev/null 2>&1

python3 - "$json" "$json_big" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
for case in ("ovmf", "amdsev-kernel"):
    s, f = r["snpvm-" + case], r["floor-" + case]
    print("%-14s snpvm median %5.2f ms (mean %5.2f +- %.2f)   openssl dgst -sha384 median %5.2f ms"
          " (mean %5.2f +- %.2f)   ratio median %.2f, mean %.2f"
          % (case, s["median"] * 1e3, s["mean"] * 1e3, s["stddev"] * 1e3, f["median"] * 1e3,
             f["mean"] * 1e3, f["stddev"] * 1e3, s["median"] / f["median"], s["mean"] / f["mean"]))
b = {x["command"]: x for x in json.load(open(sys.argv[2]))["results"]}
s, f384, f256 = b["snpvm-big"], b["floor-big-sha384"], b["floor-big-sha256"]
fmed, fmean = f384["median"] + f256["median"], f384["mean"] + f256["mean"]
print("%-14s snpvm median %5.1f ms (mean %5.1f +- %.1f)   openssl sha384 + sha256 median %5.1f ms"
      " (%.1f + %.1f; mean %5.1f)   ratio median %.2f, mean %.2f"
      % ("30M+60M", s["median"] * 1e3, s["mean"] * 1e3, s["stddev"] * 1e3, fmed * 1e3,
         f384["median"] * 1e3, f256["median"] * 1e3, fmean * 1e3, s["median"] / fmed,
         s["mean"] / fmean))
PY
# Peak RSS through GNU time (Debian package `time`): ru_maxrss counts the forked parent's
# memory before exec too, so the forking process must be small (python is ~10 MiB).
if [ -x /usr/bin/time ]; then
	rss=$(/usr/bin/time -f %M $big 2>&1 >/dev/null | tail -1)
	echo "30M+60M        snpvm peak RSS $((rss / 1024)) MiB ($rss KiB, one run, GNU time %M)"
else
	echo "30M+60M        peak RSS not measured: /usr/bin/time (Debian package time) missing"
fi
