#!/bin/sh
# Simulated secure processor: a launch plus a signed report, against one
# `openssl` ECDSA P-384 signature (baseline) measured in the same run.
set -eu
bin=${1:-build/snpvm}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fw=tests/data/debian-ovmf/usr/share/ovmf/OVMF.fd
start=$(date +%s.%N)
"$bin" -q sim init --dir "$tmp/sim" --product milan --seed 62656e6368 >/dev/null
end=$(date +%s.%N)
echo "sim init (two RSA-4096 keys, seeded): $(echo "$end - $start" | bc) s"
head -c 672 /dev/urandom >"$tmp/msg"
hyperfine -N -w 5 -r 50 --export-markdown "$tmp/sim.md" \
	-n "openssl ECDSA P-384 sign (baseline)" \
	"openssl dgst -sha384 -sign $tmp/sim/keys/vcek.key -out $tmp/sig $tmp/msg" \
	-n "snpvm sim status" "$bin sim status --dir $tmp/sim" \
	-n "snpvm sim report (built-in payload: 17 pages)" \
	"$bin sim report --dir $tmp/sim --report-data 00 --out $tmp/r.bin" \
	-n "snpvm sim report --ovmf OVMF.fd --vcpus 1 (544 pages: firmware, SEV metadata sections, VMSA)" \
	"$bin sim report --dir $tmp/sim --report-data 00 --ovmf $fw --vcpus 1 --vcpu-type EPYC-Milan --out $tmp/r.bin" \
	>/dev/null
base=$(sed -n 's/^| `openssl[^|]*| \([0-9.]*\) .*/\1/p' "$tmp/sim.md")
echo "| command | mean [ms] | ratio to the baseline |"
echo "|---|---|---|"
awk -v base="$base" -F'|' 'NR > 2 { m = $3; sub(/ ±.*/, "", m);
	printf "|%s|%s| %.2fx |\n", $2, $3, m / base }' "$tmp/sim.md"
