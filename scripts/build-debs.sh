#!/usr/bin/env bash
# Builds the Debian packages of the agent and the server with cargo-deb, from release builds:
#   target/debian/parapet-agent_VERSION_ARCH.deb   (with the systemd unit parapet-agent.service)
#   target/debian/parapet_VERSION_ARCH.deb
#
# Usage: scripts/build-debs.sh
# Installs cargo-deb (pinned) when it is missing. The packages install on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo_deb_version=2.7.0
if ! cargo deb --version >/dev/null 2>&1; then
    echo "build-debs.sh: installing cargo-deb $cargo_deb_version" >&2
    cargo install --quiet --locked cargo-deb --version "$cargo_deb_version"
fi
cargo build --release --locked -p parapet-agent -p parapet
# --no-build: the binaries above are the ones packaged; cargo-deb strips them.
cargo deb --no-build -p parapet-agent
cargo deb --no-build -p parapet
ls -l target/debian/*.deb
