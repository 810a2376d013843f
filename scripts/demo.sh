#!/bin/sh
# make demo: the main job on the simulated backend, end to end - a secret released only to the
# guest the tenant launched.
#   1. a simulated AMD secure processor (fresh keys, AMD-format certificates)
#   2. the tenant's launch policy file: the MEASUREMENT it will have and the verifier policy
#   3. attestd (SQLite store) with that verifier policy guarding a demo secret
#   4. the guest launched from the same policy file on the sim backend
#   5. the agent attests that guest (auth -> attest -> resource) and gets the secret
#   6. refusals: a guest launched with another command line; a replayed attestation request
#   7. the audit chain verifies; everything is stopped, nothing is left running
# The simulated backend gives NO confidentiality: the sim's keys are on this disk and guest
# memory is ordinary memory. It shows the protocol and the checks, not the protection.
# The files stay in the printed directory so you can look at them.
set -eu
bin=$(realpath "${1:-build/snpvm}")
guest=$(realpath "${2:-$(dirname "$bin")/tests/guests/serve.elf}")
work=$(mktemp -d /tmp/snpvm-demo.XXXXXX)
idkeys=$(realpath tests/data/idblock)
pids=""

step() { printf '\n== %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
fail() { echo "demo: FAILED: $*" >&2; exit 1; }
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

# Waits (up to 30 s) for a file or socket to appear; fails if process $2 died first.
wait_for() {
	i=0
	while [ ! -S "$1" ] && [ ! -s "$1" ]; do
		kill -0 "$2" 2>/dev/null || fail "process $2 ended before $1 appeared (see $work)"
		i=$((i + 1))
		[ $i -le 300 ] || fail "$1 did not appear within 30 s"
		sleep 0.1
	done
}

# Launches guest policy $1 in the background with its report channel at $2; console to $3.
launch_guest() {
	printf '$ %s launch %s --report-socket %s --timeout 600 &\n' "$bin" "$1" "$2"
	"$bin" launch "$1" --report-socket "$2" --timeout 600 >"$3" 2>&1 &
	lpid=$!
	pids="$pids $lpid"
	wait_for "$2" "$lpid"
}

cd "$work"
echo "demo: working in $work"

step "1. A simulated AMD secure processor (Genoa); two RSA-4096 keys take a few seconds"
run "$bin" sim init --dir sp --product genoa >/dev/null
run "$bin" sim status --dir sp

step "2. The tenant's launch policy file; the MEASUREMENT it will have; the verifier policy"
cp "$guest" guest.elf
cat >guest.json <<JSON
{"backend": "sim", "accel": "auto", "payload": "guest.elf", "cmdline": "role=demo",
 "vcpus": 1, "vcpu_type": "EPYC-v4", "memory_mib": 64,
 "guest_policy": {"debug": false, "smt": true}, "host_data": "policy-digest",
 "id_block": {"id_key": "$idkeys/id_key_test.pem", "author_key": "$idkeys/author_key_test.pem"},
 "sim_dir": "sp", "console": "stdout"}
JSON
cat guest.json
printf '$ %s measure guest.json\n' "$bin"
meas=$("$bin" measure guest.json)
echo "expected MEASUREMENT $meas"
printf '$ %s measure --verifier-policy guest.json > verifier-policy.json\n' "$bin"
"$bin" measure --verifier-policy guest.json >verifier-policy.json
cat verifier-policy.json

step "3. attestd: a fresh state directory, the service on loopback, a tenant and its secret"
# The sim's certificates under AMD KDS's URL layout: attestd fetches each VCEK once into its cache.
printf '$ %s sim kds --dir sp --listen 127.0.0.1:0 &\n' "$bin"
"$bin" sim kds --dir sp --listen 127.0.0.1:0 >kds.out 2>&1 &
kpid=$!
pids="$pids $kpid"
wait_for kds.out "$kpid"
kds=$(sed -n 's/^listening on \(http:[^ ]*\).*/\1/p' kds.out)
[ -n "$kds" ] || fail "snpvm sim kds did not say where it listens"
run "$bin" attestd init --dir attestd
# attestd does not serve as root: it binds, opens its store, then becomes --user. The VCEK
# cache is written after that drop, so it belongs to that user.
user=
if [ "$(id -u)" -eq 0 ]; then
	user="--user nobody"
	mkdir -p kds-cache
	chown nobody: kds-cache
	chmod 711 "$work"
fi
printf '$ %s attestd serve --dir attestd --listen 127.0.0.1:0 --port-file port --trust-sim-root sp/certs/ark.pem --kds-url %s --kds-cache kds-cache --json-log attestd.log %s&\n' "$bin" "$kds" "${user:+$user }"
# shellcheck disable=SC2086
"$bin" attestd serve --dir attestd --listen 127.0.0.1:0 --port-file port \
	--trust-sim-root sp/certs/ark.pem --kds-url "$kds" --kds-cache kds-cache \
	--json-log attestd.log $user >attestd.out 2>&1 &
apid=$!
pids="$pids $apid"
wait_for port "$apid"
wait_for attestd/admin.sock "$apid"
url="http://127.0.0.1:$(cat port)"
echo "attestd listening at $url (simulated root trusted explicitly)"
run "$bin" attestd admin --dir attestd tenant-create acme --token-out acme.token >/dev/null
run "$bin" attestd admin --dir attestd repo-assign acme acme
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >disk-key.txt
tenant="$bin attestd admin --dir attestd --principal acme --token-file acme.token"
# shellcheck disable=SC2086
run $tenant put-resource acme/key/disk --file disk-key.txt
# shellcheck disable=SC2086
run $tenant set-policy acme --file verifier-policy.json

step "4. The guest, launched from the same policy file on the sim backend (it serves report requests)"
launch_guest guest.json guest.sock guest.console
cat guest.console

step "5. The agent attests the guest and fetches the secret (sim provider: INSECURE, a simulated report)"
run "$bin" agent --url "$url" --resource acme/key/disk --out released.key \
	--provider sim --sim-socket guest.sock --keep-attest attest-request.json
cmp -s released.key disk-key.txt || fail "the released secret differs from the stored one"
echo "released: $(cat released.key) (mode $(stat -c %a released.key)), equal to what the tenant stored"

step "6a. Refused: a guest launched with another command line (another MEASUREMENT)"
sed 's/"role=demo"/"role=demo init=\/bin\/sh"/' guest.json >other.json
launch_guest other.json other.sock other.console
set +e
"$bin" agent --url "$url" --resource acme/key/disk --out other.key \
	--provider sim --sim-socket other.sock
st=$?
set -e
[ "$st" -eq 1 ] || fail "the other guest was not refused (agent exit $st)"
[ ! -e other.key ] || fail "a secret was written for the other guest"
echo "refused (agent exit 1), nothing written"

step "6b. Refused: the first guest's attestation request replayed (its nonce is single-use)"
cookie=$(sed -n 's/.*"cookie":"\([^"]*\)".*/\1/p' attest-request.json)
python3 -c 'import json,sys; sys.stdout.write(json.load(open("attest-request.json"))["body"])' \
	>replay-body.json
printf '$ curl -X POST %s/kbs/v0/attest --cookie kbs-session-id=... --data @replay-body.json\n' "$url"
code=$(curl -s -o replay-answer.json -w '%{http_code}' -X POST "$url/kbs/v0/attest" \
	-H 'Content-Type: application/json' -H "Cookie: kbs-session-id=$cookie" \
	--data-binary @replay-body.json)
cat replay-answer.json
echo
[ "$code" = 401 ] || fail "the replayed request got HTTP $code, not 401"
echo "refused with HTTP 401; the reason is in the audit log only"

step "7. The audit chain: every decision, hash-chained; then stop everything"
run "$bin" attestd admin --dir attestd audit-verify
"$bin" attestd admin --dir attestd --json audit |
	python3 -c 'import json,sys
for r in json.load(sys.stdin).get("rows", []):
    print("  #%-3s %-18s %-8s %s" % (r.get("seq"), r.get("event", r.get("op", "")),
          r.get("decision", ""), r.get("reason", r.get("path", ""))))' || true
cleanup
pids=""
printf '\ndemo: done. The secret went only to the guest whose report proved the launch the tenant\n'
printf 'measured; another command line and a replayed request were refused, and the audit chain\n'
printf 'verifies. All of it ran on the SIMULATED backend: no confidentiality. Files: %s\n' "$work"
