#!/bin/sh
# Launcher: process start -> first guest serial byte, and the VMM's RSS beyond
# guest memory, for `snpvm launch` (sim backend) on emu beside QEMU TCG and on
# kvm beside QEMU KVM, all running the same test guest (tests/guests/hello.c;
# runaway.c, which keeps running, for RSS). QEMU boots it through its PVH note
# on the microvm machine. Baselines are measured in the same run; figures are
# medians (tests/bench/bench-launch.c). BENCH_LAUNCH_RUNS sets the run count.
set -eu
bin=${1:-build/snpvm}
dir=$(dirname "$bin")
helper=$dir/tests/bench/bench-launch
guests=$(cd "$dir/tests/guests" && pwd)
runs=${BENCH_LAUNCH_RUNS:-20}
rss_runs=5
mem_mib=64
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

qemu() { # accel guest
	echo qemu-system-x86_64 -M microvm -accel "$1" -m ${mem_mib}M -smp 1 -nodefaults \
		-display none -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=1 \
		-serial stdio -kernel "$guests/$2.elf"
}

policy() { # accel guest -> policy file path
	cat >"$tmp/$1-$2.json" <<JSON
{"backend": "sim", "accel": "$1", "payload": "$guests/$2.elf", "vcpus": 1,
 "memory_mib": $mem_mib, "sim_dir": "$tmp/sim", "console": "stdout"}
JSON
	echo "$tmp/$1-$2.json"
}

field() { # line key
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

have_launch=0
if "$bin" launch --help >/dev/null 2>&1; then
	have_launch=1
	"$bin" -q sim init --dir "$tmp/sim" --product milan --seed 62656e6368 >/dev/null
fi

echo "| VMM | first serial byte (median of $runs) | ratio | RSS beyond guest memory (median of $rss_runs) | peak RSS |"
echo "|---|---|---|---|---|"
row() { # name lat_line rss_line base_ms
	ms=$(field "$2" first_byte_ms_median)
	ratio=$(awk -v a="$ms" -v b="$4" 'BEGIN { printf "%.2fx", a / b }')
	beyond=$(awk -v k="$(field "$3" rss_beyond_guest_kib)" 'BEGIN { printf "%.1f MiB", k / 1024 }')
	peak=$(awk -v k="$(field "$2" maxrss_kib_median)" 'BEGIN { printf "%.1f MiB", k / 1024 }')
	echo "| $1 | $ms ms | $ratio | $beyond | $peak |"
}

bench_pair() { # qemu-accel snpvm-accel
	qlat=$($helper --runs "$runs" --status 1 --expect "hello from snpvm guest" -- $(qemu "$1" hello))
	qrss=$($helper --rss --mem-mib $mem_mib --runs $rss_runs -- $(qemu "$1" runaway))
	base=$(field "$qlat" first_byte_ms_median)
	row "QEMU $1 (microvm, PVH; baseline)" "$qlat" "$qrss" "$base"
	if [ "$have_launch" = 1 ]; then
		slat=$($helper --runs "$runs" --status 0 --expect "hello from snpvm guest" -- \
			"$bin" launch "$(policy "$2" hello)")
		srss=$($helper --rss --mem-mib $mem_mib --runs $rss_runs -- \
			"$bin" launch "$(policy "$2" runaway)")
		row "snpvm launch --accel $2 (sim backend)" "$slat" "$srss" "$base"
	fi
}

bench_pair tcg emu
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	bench_pair kvm kvm
else
	echo
	echo "kvm: /dev/kvm is not usable here: QEMU KVM and snpvm --accel kvm not measured"
fi
[ "$have_launch" = 1 ] || { echo; echo "snpvm launch is not in $bin: only the QEMU baseline was measured"; }
echo
echo "Goals: emu <= 0.25x QEMU TCG; kvm <= 5 ms and <= 0.1x QEMU KVM; <= 5 MiB RSS beyond guest memory."
