#!/bin/sh
# The Debian 12 packages snpvm needs, as named sets, one per purpose: a command installs only
# the sets it uses (the Makefile picks them from its goals). One line adds a package to a set.
#
#   deps.sh install SET...  install the missing packages of the sets (root, or sudo): one line
#                           saying what, apt's own output only if it fails; silent if none
#   deps.sh check SET...    exit 1, naming them, if any package of the sets is missing
#   deps.sh list SET...     the packages of the sets
#
# docs/dependencies.md says why each package is there.
set -eu

sets="build test demo bench clang fuzz valgrind fresh-check"

pkgs_of() {
	case $1 in
	# compile and link snpvm; pkg-config modules libssl libcrypto jansson unicorn jose libcbor
	# sqlite3 libseccomp, and the headers of the libraries loaded at run time (util/dl.h)
	build) echo gcc libc6-dev pkg-config libssl-dev libjansson-dev libunicorn-dev \
		libjose-dev libcbor-dev libsqlite3-dev libmicrohttpd-dev libcurl4-openssl-dev \
		libpq-dev libseccomp-dev ;;
	# make test: cmocka; the openssl CLI checks fixtures independently of the library
	# python3-jwcrypto: the independent JOSE implementation of the interop tests
	# postgresql: the server attestd's PostgreSQL store tests start on a private socket
	test) echo libcmocka-dev openssl python3-jwcrypto postgresql ;;
	# make demo: scripts/demo.sh replays a request with curl and reads JSON with python3
	demo) echo curl python3 ;;
	# make bench: scripts/bench-*.sh; qemu-system-x86: the QEMU TCG/KVM baseline of bench-launch
	bench) echo hyperfine python3 openssl qemu-system-x86 ;;
	# CC=clang: the compiler and its runtime (sanitizers)
	clang) echo clang libclang-rt-14-dev ;;
	# make fuzz: libFuzzer is in clang's runtime
	fuzz) pkgs_of clang ;;
	# make valgrind: the CLI and attestd tests under memcheck
	valgrind) echo valgrind; pkgs_of test ;;
	# make fresh-check: a minimal Debian 12 root to run the README's commands in
	fresh-check) echo debootstrap ;;
	*)
		echo "deps: unknown set '$1' (sets: $sets)" >&2
		exit 2 ;;
	esac
}

usage() {
	echo "usage: deps.sh install|check|list SET...   (sets: $sets)" >&2
	exit 2
}

[ $# -ge 2 ] || usage
cmd=$1
shift
want=""
for s in "$@"; do
	p=$(pkgs_of "$s") || exit 2
	for q in $p; do
		case " $want " in *" $q "*) ;; *) want="$want $q" ;; esac
	done
done
want=${want# }

if [ "$cmd" = list ]; then
	echo "$want"
	exit 0
fi
[ "$cmd" = install ] || [ "$cmd" = check ] || usage

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "deps: not a Debian system; install the equivalents of: $want" >&2
	[ "$cmd" = install ] && exit 0
	exit 1
fi
missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
missing=${missing# }
[ -z "$missing" ] && exit 0
if [ "$cmd" = check ]; then
	echo "deps: missing for $*: $missing" >&2
	exit 1
fi

n=$(echo "$missing" | wc -w)
echo "deps: installing $n package(s) for $*: $missing"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 || {
		echo "deps: not root and no sudo; as root run: apt-get install $missing" >&2
		exit 1
	}
	sudo=sudo
fi
log=$(mktemp /tmp/snpvm-deps.XXXXXX)
trap 'rm -f "$log"' EXIT
apt() {
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get -q -y \
		-o Dpkg::Use-Pty=0 "$@" >>"$log" 2>&1
}
# The package lists are refreshed only when there are none yet or an install fails (they may
# name versions the mirror no longer has).
lists=$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' 2>/dev/null | head -n 1)
# shellcheck disable=SC2086
if { [ -n "$lists" ] && apt install --no-install-recommends $missing; } ||
	{ apt update && apt install --no-install-recommends $missing; }; then
	exit 0
fi
cat "$log" >&2
echo "deps: installing $missing failed (apt-get's output above)" >&2
exit 1
