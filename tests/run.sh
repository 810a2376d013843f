#!/bin/sh
# Runs every test binary given, shows its cmocka output, and ends with one
# summary line over all of them. A binary that dies without a cmocka summary
# counts as one failure. Exit status 1 if anything failed. TEST_WRAP, if set, is a
# command each binary runs under (make valgrind).
set -u
pass=0 fail=0 skip=0 broken=""
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "$@"; do
	${TEST_WRAP:-} "$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	# A binary may run several cmocka groups: sum every group's summary.
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {if (NR) print s}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {if (NR) print s}')
	s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {if (NR) print s}')
	pass=$((pass + ${p:-0}))
	fail=$((fail + ${f:-0}))
	skip=$((skip + ${s:-0}))
	if [ "$rc" -ne 0 ]; then
		# Died without reporting a failure (crash, sanitizer, leak): count it.
		[ -z "$f" ] && fail=$((fail + 1))
		broken="$broken $(basename "$t")(exit $rc)"
	fi
done
echo
[ -n "$broken" ] && echo "failing binaries:$broken"
echo "tests: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
