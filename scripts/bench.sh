#!/bin/sh
# make bench: runs every scripts/bench-*.sh with the snpvm binary as $1.
# Each prints its figures as ratios against a baseline measured in the same run.
set -eu
bin=${1:-build/snpvm}
for b in scripts/bench-*.sh; do
	[ -e "$b" ] || continue
	echo "== $b"
	sh "$b" "$bin"
done
