#!/usr/bin/env bash
# Builds a real Debian 12 (bookworm) root filesystem for the `parapet scan --root` acceptance test
# (crates/parapet/tests/it/scan_root.rs): `debootstrap --variant=minbase bookworm`, plus this
# machine's apt lists for bookworm, bookworm-updates and bookworm-security and apt sources that
# match them, so that `chroot DIR apt list --upgradable` answers from the same lists as the host.
#
# Usage: scripts/bookworm-root.sh DIR [--include PACKAGE,PACKAGE…]
#
# --include adds packages to minbase (debootstrap's own option), for a root with another
# package set; a DIR is built once with the packages of its first build.
#
# The root is built once: when DIR/.complete exists the script does nothing. It is built in
# DIR.tmp and renamed to DIR only when whole, so an interrupted build never looks complete (the
# next run starts it again). Concurrent runs on the same DIR wait for each other (DIR.lock).
# Needs root (debootstrap, mknod, chroot); as another user it runs itself again through sudo.
set -euo pipefail

mirror="http://deb.debian.org/debian"
keyring="/usr/share/keyrings/debian-archive-keyring.gpg"
host_lists="/var/lib/apt/lists"
suites=(bookworm bookworm-updates bookworm-security)

say() { echo "bookworm-root.sh: $*" >&2; }
die() {
    say "error: $*"
    exit 1
}

usage="usage: $0 DIR [--include PACKAGE,PACKAGE…]"
[ $# -ge 1 ] && [ -n "$1" ] || die "$usage"
include=""
if [ $# -eq 3 ] && [ "$2" = --include ]; then
    [[ "$3" =~ ^[a-z0-9][a-z0-9+.-]*(,[a-z0-9][a-z0-9+.-]*)*$ ]] || die "--include takes package names separated by commas, not '$3'"
    include=$3
elif [ $# -ne 1 ]; then
    die "$usage"
fi
dir=$(realpath -m -- "$1")
[ "$dir" != / ] || die "refusing to use / as DIR"

if [ -e "$dir/.complete" ]; then
    say "$dir is ready (remove it to build it again)"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "must run as root (debootstrap and chroot need it), and sudo is missing"
    say "not root: running again through sudo"
    exec sudo -- "$0" "$@"
fi

mkdir -p -- "$(dirname -- "$dir")"
exec 9>"$dir.lock"
if ! flock -n 9; then
    say "another build of $dir is running: waiting for it"
    flock 9
fi
if [ -e "$dir/.complete" ]; then
    say "$dir is ready (built by the run we waited for)"
    exit 0
fi

# The host's lists for the bookworm suites: Release files and binary package indices.
lists=()
for suite in "${suites[@]}"; do
    found=0
    for file in "$host_lists"/*_dists_"${suite}"_*; do
        [ -f "$file" ] || continue
        case "$file" in
            *_InRelease | *_Release | *_Release.gpg | *_Packages | *_Packages.*)
                lists+=("$file")
                case "$file" in *_Packages*) found=1 ;; esac
                ;;
        esac
    done
    if [ "$found" -eq 0 ] && [ "$suite" != bookworm-updates ]; then
        die "no $suite package lists in $host_lists: this machine's apt sources must have bookworm and bookworm-security (then run apt-get update)"
    fi
done

# Tools: debootstrap, and the archive keyring it checks the downloaded Release file with.
missing=()
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
[ -f "$keyring" ] || missing+=(debian-archive-keyring)
if ((${#missing[@]})); then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
fi
# debootstrap lives in /usr/sbin, which a non-login PATH may lack.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

# Removes a tree left by an earlier, interrupted run: first whatever is still mounted under it
# (debootstrap mounts /proc, /sys and devices into the target), then the files, never leaving
# the tree's own file system.
remove_tree() {
    local tree=$1 mount
    [ -e "$tree" ] || return 0
    # Deepest mount points first; /proc/self/mounts escapes spaces as \040.
    while read -r mount; do
        umount -l -- "$mount" 2>/dev/null || true
    done < <(awk -v t="$tree" '$2 == t || index($2, t "/") == 1 { print $2 }' /proc/self/mounts | sort -r)
    rm -rf --one-file-system -- "$tree"
}

# DIR itself only ever appears whole (renamed from DIR.tmp with .complete in it), so a DIR
# without .complete is not ours: refuse to touch it. DIR.tmp is removed only when it has the mark
# an earlier run of this script left in it.
if [ -e "$dir" ]; then
    rmdir -- "$dir" 2>/dev/null || die "$dir exists and is not a complete root (no .complete): remove it first"
fi
tmp="$dir.tmp"
mark=".bookworm-root-build"
if [ -e "$tmp" ]; then
    [ -e "$tmp/$mark" ] || rmdir -- "$tmp" 2>/dev/null ||
        die "$tmp exists and is not a build of this script (no $mark): remove it first"
    say "removing $tmp, left by an interrupted build"
    remove_tree "$tmp"
fi
mkdir -- "$tmp"
touch -- "$tmp/$mark"
# If this run fails or is interrupted, nothing stays mounted; the half-built tree is removed by
# the next run.
on_exit() {
    local status=$?
    if [ "$status" -ne 0 ]; then
        awk -v t="$tmp" 'index($2, t "/") == 1 { print $2 }' /proc/self/mounts | sort -r |
            while read -r mount; do umount -l -- "$mount" 2>/dev/null || true; done
        say "failed (exit $status): $dir is not built"
    fi
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "debootstrap --variant=minbase${include:+ --include=$include} bookworm into $tmp (about a minute)"
debootstrap --variant=minbase ${include:+--include="$include"} --keyring="$keyring" bookworm "$tmp" "$mirror" >&2

# In a container debootstrap bind-mounts the host's devices for the install and leaves /dev
# empty afterwards; apt and dpkg in the root need at least these.
mkdir -p "$tmp/dev/pts" "$tmp/dev/shm"
for device in "null 1 3" "zero 1 5" "full 1 7" "random 1 8" "urandom 1 9" "tty 5 0"; do
    set -- $device # name major minor
    [ -e "$tmp/dev/$1" ] || mknod -m 666 "$tmp/dev/$1" c "$2" "$3"
done
for link in "fd /proc/self/fd" "stdin /proc/self/fd/0" "stdout /proc/self/fd/1" "stderr /proc/self/fd/2"; do
    set -- $link # name target
    [ -e "$tmp/dev/$1" ] || [ -L "$tmp/dev/$1" ] || ln -s "$2" "$tmp/dev/$1"
done

say "copying ${#lists[@]} apt list files from $host_lists"
rm -f "$tmp"/var/lib/apt/lists/*_* 2>/dev/null || true
cp --preserve=timestamps -- "${lists[@]}" "$tmp/var/lib/apt/lists/"

# apt pairs a list file with a source by the file's name, which is the source's URI with "/"
# turned into "_": deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_...
# Write one deb822 stanza per archive, with the suites and components the lists have.
rm -f "$tmp/etc/apt/sources.list"
mkdir -p "$tmp/etc/apt/sources.list.d"
sources="$tmp/etc/apt/sources.list.d/debian.sources"
: >"$sources"
declare -A archive_suites=() archive_components=()
for file in "${lists[@]}"; do
    name=$(basename -- "$file")
    archive=${name%%_dists_*}
    rest=${name#*_dists_}
    suite=${rest%%_*}
    archive_suites[$archive]="${archive_suites[$archive]:-} $suite"
    case "$name" in
        *_binary-*_Packages*)
            component=${rest#"${suite}"_}
            component=${component%%_binary-*}
            archive_components[$archive]="${archive_components[$archive]:-} $component"
            ;;
    esac
done
uniq_words() { tr ' ' '\n' | sed '/^$/d' | sort -u | paste -sd' '; }
for archive in $(printf '%s\n' "${!archive_suites[@]}" | sort); do
    {
        [ -s "$sources" ] && echo
        echo "Types: deb"
        echo "URIs: http://${archive//_//}"
        echo "Suites: $(echo "${archive_suites[$archive]}" | uniq_words)"
        echo "Components: $(echo "${archive_components[$archive]:-main}" | uniq_words)"
        echo "Signed-By: $keyring"
    } >>"$sources"
done
[ -f "$tmp$keyring" ] || die "the root has no $keyring (debootstrap should have installed debian-archive-keyring)"
say "wrote /etc/apt/sources.list.d/debian.sources:"
sed 's/^/    /' "$sources" >&2

# apt in the root must read the copied lists (compressed with lz4 here): each suite must show up
# in its policy, and `apt list --upgradable` must run.
policy=$(LC_ALL=C chroot "$tmp" apt-cache policy 2>&1) || die "apt-cache policy failed in the root: $policy"
for suite in bookworm bookworm-security; do
    grep -q "n=$suite," <<<"$policy" || die "apt in the root does not read the $suite lists; apt-cache policy says:
$policy"
done
upgradable=$(LC_ALL=C chroot "$tmp" apt list --upgradable 2>/dev/null) || die "apt list --upgradable failed in the root"
say "upgradable in the root: $(grep -c '\[upgradable from' <<<"$upgradable" || true) packages"

rm -rf "$tmp"/var/cache/apt/archives/*.deb
rm -f -- "$tmp/$mark"
touch "$tmp/.complete"
mv -T -- "$tmp" "$dir"
say "$dir is ready"
