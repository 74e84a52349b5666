#!/usr/bin/env bash
# Builds the Debian packages of the agent and the server with cargo-deb:
#   target/debian/parapet-agent_VERSION_ARCH.deb   (with the systemd unit parapet-agent.service)
#   target/debian/parapet_VERSION_ARCH.deb
#
# Usage: scripts/build-debs.sh [--agent-only] [--profile PROFILE] [--no-build]
#   --agent-only   only the agent's package
#   --profile      the Cargo profile whose binaries are packaged (release by default; the tests
#                  package the dev build they already have)
#   --no-build     package the binaries already built instead of building them first
# Installs cargo-deb (pinned) when it is missing. The packages install on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "build-debs.sh: $*" >&2; }
packages=(parapet-agent parapet)
profile=release
build=1
while (($#)); do
    case "$1" in
        --agent-only) packages=(parapet-agent) ;;
        --profile)
            [ $# -ge 2 ] || { say "--profile needs a profile name"; exit 2; }
            profile=$2
            shift
            ;;
        --no-build) build=0 ;;
        -h | --help)
            sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            say "unknown argument '$1' (see --help)"
            exit 2
            ;;
    esac
    shift
done

cargo_deb_version=3.8.0
if ! cargo deb --version >/dev/null 2>&1; then
    say "installing cargo-deb $cargo_deb_version"
    cargo install --quiet --locked cargo-deb --version "$cargo_deb_version"
fi
if ((build)); then
    cargo build --profile "$profile" --locked "${packages[@]/#/-p}"
fi
for package in "${packages[@]}"; do
    # --no-build: the binaries above are the ones packaged; cargo-deb strips them.
    cargo deb --no-build --profile "$profile" -p "$package"
done
ls -l target/debian/*.deb
