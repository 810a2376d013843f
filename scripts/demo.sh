#!/bin/sh
# make demo: the main job on the simulated backend, end to end.
#   1. a simulated AMD secure processor (fresh keys, AMD-format certificates)
#   2. the tenant predicts the launch measurement and signs an ID block for it
#   3. the guest is launched on the simulated SP (LAUNCH_START/UPDATE/FINISH) and asks for a report
#   4. the verifier checks the report against the sim's root and the tenant's policy
#   5. what a tenant must see refused: an untrusted root, and a guest that is not the one pinned
# The files stay in the printed directory so you can look at them.
set -eu
bin=${1:-build/snpvm}
work=$(mktemp -d /tmp/snpvm-demo.XXXXXX)
data=tests/data
fw=$data/firmware/OVMF.amdsev.fd
launch="--ovmf $fw --kernel $data/measure/inputs/kernel.bin --initrd $data/measure/inputs/initrd.bin --vcpus 2 --vcpu-type EPYC-v4"
cmdline="console=ttyS0 snpvm-demo"

step() { printf '\n== %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "1. A simulated AMD secure processor (Genoa); two RSA-4096 keys take a few seconds"
run "$bin" sim init --dir "$work/sp" --product genoa
run "$bin" sim status --dir "$work/sp"

step "2. The tenant predicts the measurement of firmware + kernel + initrd + cmdline, 2 vCPUs"
# shellcheck disable=SC2086
meas=$("$bin" measure $launch --append "$cmdline")
echo "expected MEASUREMENT $meas"
run "$bin" id-block --measurement "$meas" --id-key $data/idblock/id_key_test.pem \
	--author-key $data/idblock/author_key_test.pem \
	--id-block-out "$work/id-block.bin" --id-auth-out "$work/id-auth.bin" --json >"$work/id-block.json"
idkey=$(tr -d ' \n' <"$work/id-block.json" | sed -n 's/.*"id_key_digest":{\([^}]*\)}.*/\1/p' |
	sed -n 's/.*"hex":"\([0-9a-f]\{96\}\)".*/\1/p')
[ -n "$idkey" ] || { echo "demo: no ID key digest in snpvm id-block --json" >&2; exit 1; }
echo "ID key digest $idkey"

step "3. Launch on the simulated SP with the ID block; the guest asks for a report bound to a nonce"
nonce=$(openssl rand -hex 64)
# shellcheck disable=SC2086
run "$bin" sim report --dir "$work/sp" $launch --append "$cmdline" \
	--id-block "$work/id-block.bin" --id-auth "$work/id-auth.bin" --author-key-en \
	--report-data "$nonce" --out "$work/report.bin" --cert-table "$work/certs.bin"

step "4. The verifier: sim root trusted explicitly, tenant policy pins measurement, ID key and nonce"
cat >"$work/policy.json" <<JSON
{
  "description": "make demo: the one image the tenant launched",
  "measurements": ["$meas"],
  "report_data": "$nonce",
  "trusted_id_keys": ["$idkey"],
  "vmpl": 0,
  "guest_policy": { "allow_smt": true }
}
JSON
run "$bin" verify --report "$work/report.bin" --cert-table "$work/certs.bin" \
	--trust-sim-root "$work/sp/certs/ark.pem" --policy "$work/policy.json"

step "5a. Refused: the same report without trusting the simulated root"
if "$bin" verify --report "$work/report.bin" --cert-table "$work/certs.bin" --policy "$work/policy.json"; then
	echo "demo: FAILED: a simulated root was trusted by default" >&2
	exit 1
fi

step "5b. Refused: a guest launched with another kernel command line (no ID block this time)"
# shellcheck disable=SC2086
run "$bin" sim report --dir "$work/sp" $launch --append "console=ttyS0 init=/bin/sh" \
	--report-data "$nonce" --out "$work/other.bin" --cert-table "$work/certs.bin" >/dev/null
if "$bin" verify --report "$work/other.bin" --cert-table "$work/certs.bin" \
	--trust-sim-root "$work/sp/certs/ark.pem" --policy "$work/policy.json"; then
	echo "demo: FAILED: an unpinned guest was accepted" >&2
	exit 1
fi

printf '\ndemo: done. The launch measured what the tenant predicted, the report verified against the\n'
printf 'simulated root only when trusted explicitly, and the tenant policy refused a different guest.\n'
printf 'Files: %s\n' "$work"
