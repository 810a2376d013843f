#!/bin/sh
# Rebuild the pinned AmdSev OVMF (edk2 OvmfPkg/AmdSev/AmdSevX64.dsc, X64, GCC5, RELEASE) from Debian's
# edk2 source package and compare its sha256 with the pinned one.
#
#   ovmf-config/build.sh [OUTPUT]      (also: make ovmf)
#
# Steps (each printed as it starts, with the elapsed time):
#  1. a private apt configuration (never the host's /etc/apt) with deb-src entries derived from the
#     host's own Debian mirror URIs, for the suite that carries the pinned source version;
#  2. apt-get source edk2=$EDK2_VERSION: apt checks the .dsc, orig and debian tarballs against the
#     signed Sources index (Release signature, debian-archive-keyring) and dpkg-source applies
#     Debian's patches;
#  3. the build dependencies, as Debian packages (not apt-get build-dep edk2, which pulls in cross
#     compilers and qemu-system-arm);
#  4. an empty OvmfPkg/AmdSev/Grub/grub.efi: grub.sh keeps a grub.efi newer than itself (the way
#     OvmfPkg/AmdSev/Grub/Grub.inf documents supplying your own binary), so no GRUB fallback boot path
#     is built in and no edk2 file is changed;
#  5. BaseTools and the firmware, in a source tree at a fixed absolute path: GenFw records the
#     absolute .dll path length in a CodeView debug entry, so a different path length changes the
#     image;
#  6. sha256 of Build/AmdSev/RELEASE_GCC5/FV/OVMF.fd against the pinned value; both are printed and a
#     mismatch fails.
# Needs root for step 3 (or the packages already installed) and network access to the Debian mirror.
set -eu

EDK2_VERSION=${EDK2_VERSION:-2025.02-8+deb13u1}
EDK2_SUITE=${EDK2_SUITE:-trixie}
PINNED_SHA256=${PINNED_SHA256:-5e096d451c351f2c310b3f24bbf5a1487122407b61431f32f36465a6bb15e688}
# The source tree's absolute path: fixed, 34 characters (the length the pinned image was built at).
SRC=${OVMF_BUILD_SRC:-/var/tmp/snpvm-ovmf-build/edk2-src}
WORK=$(dirname "$SRC")
OUT=${1:-build/OVMF.amdsev.fd}
BUILD_DEPS="bash build-essential nasm acpica-tools uuid-dev python3 python3-distutils dpkg-dev"

START=$(date +%s)
step() { printf '[ovmf %4ss] %s\n' "$(( $(date +%s) - START ))" "$*"; }
die() { printf 'ovmf-config/build.sh: %s\n' "$*" >&2; exit 1; }

[ ${#SRC} -eq 34 ] || printf 'warning: source path %s is %d characters, not 34: the image will differ\n' \
	"$SRC" ${#SRC} >&2

step "1/6 private apt configuration for deb-src $EDK2_SUITE"
APTDIR=$WORK/apt
rm -rf "$APTDIR"
mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial" "$APTDIR/sources.list.d"
# The host's Debian mirror: the first URIs of a deb822 entry whose suites are Debian's main archive
# (not -security), else the first plain "deb" line of sources.list.
MIRROR=
for f in /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] || continue
	MIRROR=$(awk '
		/^URIs:/ { u = $2 }
		/^Suites:/ { for (i = 2; i <= NF; i++) if ($i !~ /-security$/ && $i !~ /-/) s = 1 }
		/^$/ { if (u != "" && s) { print u; exit } u = ""; s = 0 }
		END { if (u != "" && s) print u }' "$f" | head -n 1)
	[ -n "$MIRROR" ] && break
done
if [ -z "$MIRROR" ] && [ -f /etc/apt/sources.list ]; then
	MIRROR=$(awk '$1 == "deb" && $3 !~ /-security$/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
		/etc/apt/sources.list)
fi
[ -n "$MIRROR" ] || die "no Debian mirror found in /etc/apt/sources.list{,.d}"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$KEYRING" ] || die "$KEYRING missing (package debian-archive-keyring)"
cat > "$APTDIR/sources.list.d/edk2-src.sources" <<EOF
Types: deb-src
URIs: $MIRROR
Suites: $EDK2_SUITE ${EDK2_SUITE}-updates
Components: main
Signed-By: $KEYRING
EOF
: > "$APTDIR/sources.list"
APT_OPTS="-o Dir::Etc::sourcelist=$APTDIR/sources.list -o Dir::Etc::sourceparts=$APTDIR/sources.list.d \
 -o Dir::State::Lists=$APTDIR/lists -o Dir::Cache=$APTDIR/cache -o Dir::State::status=/var/lib/dpkg/status \
 -o APT::Get::AllowUnauthenticated=false -o Acquire::AllowInsecureRepositories=false"
step "    mirror $MIRROR; apt-get update (private lists in $APTDIR)"
# shellcheck disable=SC2086
apt-get $APT_OPTS -q update >"$WORK/apt-update.log" 2>&1 || { cat "$WORK/apt-update.log" >&2; die "apt-get update failed"; }

step "2/6 apt-get source edk2=$EDK2_VERSION"
rm -rf "$SRC" "$WORK/dl"
mkdir -p "$WORK/dl"
# shellcheck disable=SC2086
if ! (cd "$WORK/dl" && apt-get $APT_OPTS -q source "edk2=$EDK2_VERSION") >"$WORK/apt-source.log" 2>&1; then
	# Some mirrors do not serve the .dsc. apt still fetched the orig and debian tarballs and checked
	# each against the sha256 in the signed Sources index (a mismatch fails the fetch); unpack them
	# the way dpkg-source would: the orig tree, debian/ inside it, then debian/patches/series.
	UPV=${EDK2_VERSION%-*}
	ORIG=$(find "$WORK/dl" -maxdepth 1 -name "edk2_${UPV}.orig.tar.*" | head -n 1)
	DEB=$(find "$WORK/dl" -maxdepth 1 -name "edk2_$(printf %s "$EDK2_VERSION" | sed 's/^[0-9]*://').debian.tar.*" | head -n 1)
	if [ -z "$ORIG" ] || [ -z "$DEB" ] || ls "$WORK"/dl/*.dsc >/dev/null 2>&1; then
		tail -n 20 "$WORK/apt-source.log" >&2
		die "apt-get source edk2=$EDK2_VERSION failed"
	fi
	step "    the mirror has no .dsc: unpacking the verified tarballs and applying debian/patches/series"
	mkdir -p "$WORK/dl/edk2-$UPV"
	tar -C "$WORK/dl/edk2-$UPV" --strip-components=1 -xf "$ORIG"
	tar -C "$WORK/dl/edk2-$UPV" -xf "$DEB"
	(cd "$WORK/dl/edk2-$UPV" && sed -e 's/#.*//' -e '/^[[:space:]]*$/d' debian/patches/series |
		while read -r patch opts; do patch -s -p1 $opts < "debian/patches/$patch" || exit 1; done) ||
		die "applying Debian's patches failed"
fi
UNPACKED=$(find "$WORK/dl" -mindepth 1 -maxdepth 1 -type d -name 'edk2-*' | head -n 1)
[ -n "$UNPACKED" ] || die "apt-get source left no edk2-* directory in $WORK/dl"
mv "$UNPACKED" "$SRC"
step "    unpacked and patched into $SRC"

step "3/6 build dependencies: $BUILD_DEPS"
MISSING=
for p in $BUILD_DEPS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || MISSING="$MISSING $p"
done
if [ -z "$MISSING" ]; then
	step "    all installed"
else
	[ "$(id -u)" -eq 0 ] || die "install as root: apt-get install$MISSING"
	step "    installing$MISSING"
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get -qq -y install --no-install-recommends $MISSING \
		>"$WORK/apt-install.log" 2>&1 || { tail -n 20 "$WORK/apt-install.log" >&2; die "installing build dependencies failed"; }
fi
for p in gcc-12 binutils nasm acpica-tools; do
	step "    $p $(dpkg-query -W -f='${Version}' "$p")"
done

step "4/6 empty OvmfPkg/AmdSev/Grub/grub.efi"
sleep 1
: > "$SRC/OvmfPkg/AmdSev/Grub/grub.efi"

step "5/6 BaseTools, then AmdSevX64.dsc (minutes; log in $WORK/build.log)"
(
	cd "$SRC"
	# edksetup.sh must be sourced by bash (it reads BASH_SOURCE); this is debian/rules' recipe.
	bash -c '. ./edksetup.sh && make -C BaseTools -j2 && echo "BaseTools done" &&
		build -a X64 -t GCC5 -b RELEASE -n 2 -p OvmfPkg/AmdSev/AmdSevX64.dsc'
) >"$WORK/build.log" 2>&1 || { tail -n 30 "$WORK/build.log" >&2; die "build failed (log: $WORK/build.log)"; }
IMG=$SRC/Build/AmdSev/RELEASE_GCC5/FV/OVMF.fd
[ -f "$IMG" ] || die "no $IMG after the build"
mkdir -p "$(dirname "$OUT")"
cp "$IMG" "$OUT"

step "6/6 compare sha256"
GOT=$(sha256sum "$OUT" | cut -d' ' -f1)
printf 'built:  %s  %s\npinned: %s\n' "$GOT" "$OUT" "$PINNED_SHA256"
if [ "$GOT" != "$PINNED_SHA256" ]; then
	die "sha256 mismatch: the rebuilt firmware differs from the pinned one"
fi
step "match: $OUT is bit-identical to the pinned firmware"
