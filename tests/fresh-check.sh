#!/bin/sh
# make fresh-check: the README's set-up commands, exactly as written and in order, on a Debian 12
# that has never built snpvm. A minimal root is built with debootstrap (Debian's own package)
# from the mirror this host's apt uses, with only git, make and ca-certificates added; the
# committed HEAD of this repository is cloned into it with its git; each `make ...` line of the
# README's "Set up" section then runs in a chroot with /proc, /sys, /dev and /dev/pts mounted.
# Fails if any of them fails. The mounts are undone on any exit; the root is removed after a
# pass and kept for inspection after a failure. Needs root. Takes minutes (docs/development.md).
#
#   FRESH_CHECK_DIR       where the root and debootstrap's .deb cache live
#                         (default /var/tmp/snpvm-fresh-check; never inside the repository)
#   FRESH_CHECK_COMMANDS  other commands to run instead of the README's, one per line
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
dir=${FRESH_CHECK_DIR:-/var/tmp/snpvm-fresh-check}
root=$dir/root
suite=bookworm
include=git,make,ca-certificates

say() { printf 'fresh-check: %s\n' "$*"; }
die() { say "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot and mount)"
command -v debootstrap >/dev/null || die "debootstrap not found: scripts/deps.sh install fresh-check"
case $dir/ in "$repo"/*) die "FRESH_CHECK_DIR must not be inside the repository" ;; esac

# The first Debian mirror the host's apt sources name for $suite: one-line (*.list) or deb822
# (*.sources) format. Nothing is hard-coded.
host_mirror() {
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk -v s="$suite" '$1 == "deb" {
			i = 2
			if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
			if ($(i + 1) == s) { print $i; exit }
		}' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v s="$suite" 'BEGIN { RS = "" } {
			types = uris = suites = ""; on = 1
			n = split($0, l, "\n")
			for (j = 1; j <= n; j++) {
				if (l[j] ~ /^#/) continue
				k = tolower(l[j]); sub(/:.*/, "", k)
				v = l[j]; sub(/^[^:]*:[ \t]*/, "", v)
				if (k == "types") types = " " v " "
				else if (k == "uris") uris = v
				else if (k == "suites") suites = " " v " "
				else if (k == "enabled" && v ~ /^no/) on = 0
			}
			if (on && types ~ / deb / && suites ~ (" " s " ")) {
				split(uris, u, " "); print u[1]; exit
			}
		}' "$f"
	done
}
mirror=$(host_mirror | head -n 1)
[ -n "$mirror" ] || die "no '$suite' mirror in /etc/apt/sources.list{,.d/*.list,.d/*.sources}"

# Everything mounted under $root is unmounted on any exit, innermost first; the root is deleted
# only when nothing is mounted under it any more.
mounts_under() { awk -v r="$root/" 'index($5 "/", r) == 1 { print $5 }' /proc/self/mountinfo; }
unmount_all() {
	for m in "$root/dev/pts" "$root/dev" "$root/sys" "$root/proc"; do
		mountpoint -q "$m" 2>/dev/null || continue
		umount "$m" 2>/dev/null || umount -l "$m"
	done
	[ -z "$(mounts_under)" ]
}
remove_root() {
	unmount_all || die "still mounted under $root: $(mounts_under | tr '\n' ' ')"
	rm -rf --one-file-system "$root"
}
status=failed
cleanup() {
	rc=$?
	trap - EXIT INT TERM HUP
	unmount_all || say "could not unmount: $(mounts_under | tr '\n' ' ')" >&2
	if [ "$status" = passed ]; then
		rm -rf --one-file-system "$root"
	elif [ -d "$root" ]; then
		say "failed; the root is kept for inspection: $root" >&2
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

start=$(date +%s)
since() { echo $(($(date +%s) - $1)); }
mins() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# The committed HEAD, taken now: a bare copy for the root's git to clone.
rm -rf "$dir/snpvm.git"
git clone -q --bare --no-local "$repo" "$dir/snpvm.git"
commit=$(git -C "$dir/snpvm.git" rev-parse HEAD)
say "checking commit $commit"
git -C "$repo" diff --quiet HEAD || say "note: uncommitted changes are not part of the check"

# Each check starts from a pristine root; only debootstrap's verified .deb files are reused.
remove_root
mkdir -p "$dir/debs" "$root"
say "debootstrap $suite (minbase + $include) from $mirror"
t=$(date +%s)
log=$dir/debootstrap.log
debootstrap --variant=minbase --include="$include" --cache-dir="$dir/debs" \
	"$suite" "$root" "$mirror" >"$log" 2>&1 || {
	tail -n 30 "$log" >&2
	die "debootstrap failed (log: $log)"
}
t_boot=$(since "$t")

# The host's apt sources (only the formats apt reads), in place of debootstrap's one line.
rm -f "$root/etc/apt/sources.list"
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] && cp "$f" "$root$f"
done
cp /etc/resolv.conf "$root/etc/resolv.conf"

mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"

# A clean environment: nothing of the caller's (CC, MAKEFLAGS, ...) leaks in.
in_root() {
	chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin sh -ec "$1"
}

# The clone, by the root's own git.
mv "$dir/snpvm.git" "$root/tmp/snpvm.git"
in_root 'cd /root && git clone -q /tmp/snpvm.git snpvm'

# The README's commands: the `make ...` lines of its "Set up" section, as written, in order
# (FRESH_CHECK_COMMANDS, one per line, replaces them to try another first command).
cmds=${FRESH_CHECK_COMMANDS:-$(awk '/^## / { in_setup = ($0 == "## Set up") }
	in_setup && /^```/ { code = !code; next } in_setup && code && /^make / { print }' "$repo/README.md")}
[ -n "$cmds" ] || die "no make command in README.md's '## Set up' section"
# MB of packages apt has downloaded into the root so far.
fetched() {
	find "$root/var/cache/apt/archives" -name '*.deb' -printf '%s\n' |
		awk '{ s += $1 } END { printf "%.0f", s / 1e6 }'
}
times=""
while IFS= read -r cmd; do
	say "# $cmd"
	t=$(date +%s)
	mb=$(fetched)
	in_root "cd /root/snpvm && $cmd" </dev/null || die "'$cmd' failed after $(mins "$(since "$t")")"
	c=${cmd%%#*}
	times="$times; ${c%"${c##*[! ]}"} $(mins "$(since "$t")") ($(($(fetched) - mb)) MB of packages)"
done <<EOF
$cmds
EOF
say "passed in $(mins "$(since "$start")"): debootstrap $(mins "$t_boot")$times; commit $commit"
status=passed
