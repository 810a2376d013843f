#!/bin/sh
# Runs libFuzzer targets: fuzz.sh SECONDS JOBS BIN... (the binaries of `make fuzz`).
# Each runs SECONDS on a working corpus in build-fuzz/corpus-<name>, seeded with
# tests/fuzz/corpus/<name>; JOBS of them at a time. A crash or leak is written to
# tests/fuzz/crashes/<name>-* (keep it in the corpus once fixed) and fails the run.
# Prints one line per target: executions and seconds, from libFuzzer's "Done" line.
set -u
secs=$1 jobs=$2
shift 2
mkdir -p tests/fuzz/crashes build-fuzz
status=0
running=0
pids=""

report() {
	n=$1
	done_line=$(grep '^Done ' "build-fuzz/log-$n.txt" | tail -n1)
	if [ -n "$done_line" ]; then
		echo "fuzz: $n: $done_line"
	else
		echo "fuzz: $n: FAILED (build-fuzz/log-$n.txt):"
		grep -E 'ERROR|SUMMARY|Test unit written|artifact' "build-fuzz/log-$n.txt" | head -n5
		return 1
	fi
}

wait_all() {
	for p in $pids; do
		n=${p#*:}
		wait "${p%%:*}" || true
		report "$n" || status=1
	done
	pids=""
	running=0
}

for bin in "$@"; do
	n=$(basename "$bin")
	n=${n#fuzz-}
	mkdir -p "build-fuzz/corpus-$n"
	"$bin" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="tests/fuzz/crashes/$n-" \
		"build-fuzz/corpus-$n" "tests/fuzz/corpus/$n" >"build-fuzz/log-$n.txt" 2>&1 &
	pids="$pids $!:$n"
	running=$((running + 1))
	[ "$running" -lt "$jobs" ] || wait_all
done
wait_all
exit $status
