#!/bin/sh
# The exact Debian 12 packages snpvm needs to build and test.
# `deps.sh check` exits 1 if any is missing; `deps.sh install` installs the missing ones.
set -eu
PKGS="build-essential clang pkg-config libssl-dev libjansson-dev libcmocka-dev \
libmicrohttpd-dev libcurl4-openssl-dev libcbor-dev libseccomp-dev openssl ovmf \
libjose-dev python3-jwcrypto"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done

case "${1:-check}" in
check)
	[ -z "$missing" ] && exit 0
	echo "deps: missing:$missing" >&2
	exit 1 ;;
install)
	[ -z "$missing" ] && { echo "deps: all installed"; exit 0; }
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	echo "deps: installing$missing"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing ;;
*)
	echo "usage: deps.sh check|install" >&2
	exit 2 ;;
esac
