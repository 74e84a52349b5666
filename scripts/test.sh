#!/usr/bin/env bash
# Runs Parapet's whole test suite, on SQLite and on PostgreSQL, with the browser test.
#
# On a fresh Debian machine it first installs what the tests need (PostgreSQL for a throwaway
# cluster made by pg_virtualenv, Chromium and ChromeDriver for the console test, rpm and the apt
# package lists as references for the version tests, debootstrap for a Debian root filesystem,
# GnuPG to check the CSAF provider's signatures and sign a test apt repository, apt-utils for
# that repository's index, yara, clamav and clamav-testfiles for the malware scanner, nftables
# and iproute2 for the hardening tests' network namespaces, cargo-audit for the Cargo.lock
# agreement test, cargo-deb for the agent's package). Extra arguments go to `cargo test`, e.g.
# `scripts/test.sh -p parapet-store`.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=()
command -v pg_virtualenv >/dev/null 2>&1 || packages+=(postgresql-common)
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || packages+=(postgresql)
command -v chromium >/dev/null 2>&1 || packages+=(chromium)
command -v chromedriver >/dev/null 2>&1 || packages+=(chromium-driver)
command -v rpm >/dev/null 2>&1 || packages+=(rpm)
[ -x /usr/sbin/debootstrap ] || packages+=(debootstrap)
command -v gpg >/dev/null 2>&1 || packages+=(gnupg)
# The rollout tests build a signed apt repository of test packages.
command -v apt-ftparchive >/dev/null 2>&1 || packages+=(apt-utils)
# The malware scanner is held to the yara tool and to clamscan, on Debian's harmless ClamAV
# test files.
command -v yara >/dev/null 2>&1 || packages+=(yara)
command -v clamscan >/dev/null 2>&1 || packages+=(clamav)
[ -e /usr/share/clamav-testfiles/clam.exe ] || packages+=(clamav-testfiles)
# The hardening tests load real nftables rulesets inside network namespaces they make.
command -v nft >/dev/null 2>&1 || packages+=(nftables)
command -v ip >/dev/null 2>&1 || packages+=(iproute2)
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
# The version tests compare against dpkg on every version in the machine's apt lists.
if ((${#packages[@]})) || ! compgen -G "/var/lib/apt/lists/*_Packages*" >/dev/null; then
    $sudo apt-get update -qq
fi
if ((${#packages[@]})); then
    echo "scripts/test.sh: installing ${packages[*]}" >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi
# The PyPA advisory test reads YAML through Python; the feed tests parse with feedparser and
# icalendar, the standard parsers.
python3 -c 'import yaml' 2>/dev/null || python3 -m pip install -q pyyaml
python3 -c 'import feedparser' 2>/dev/null || python3 -m pip install -q feedparser==6.0.14
python3 -c 'import icalendar' 2>/dev/null || python3 -m pip install -q icalendar==6.1.0
# The webhook signatures are checked by the Standard Webhooks reference library.
python3 -c 'import standardwebhooks' 2>/dev/null || python3 -m pip install -q standardwebhooks==1.1.0
# Email is sent to a real SMTP server process, aiosmtpd.
python3 -c 'import aiosmtpd' 2>/dev/null || python3 -m pip install -q aiosmtpd==1.4.6
# The Cargo.lock agreement test runs cargo-audit (from crates.io, pinned) on the RustSec snapshot.
if ! command -v cargo-audit >/dev/null 2>&1 && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/cargo-audit" ]; then
    echo "scripts/test.sh: installing cargo-audit" >&2
    # Without binary scanning, which the test does not use and which doubles the build.
    cargo install --quiet --locked --no-default-features cargo-audit --version 0.22.2
fi

# The agent's Debian package is built with cargo-deb (pinned, as scripts/build-debs.sh has it).
if ! cargo deb --version >/dev/null 2>&1; then
    echo "scripts/test.sh: installing cargo-deb" >&2
    cargo install --quiet --locked cargo-deb --version 3.8.0
fi

export PARAPET_TEST_CHROMEDRIVER="${PARAPET_TEST_CHROMEDRIVER:-$(command -v chromedriver)}"
export PARAPET_TEST_CHROMIUM="${PARAPET_TEST_CHROMIUM:-$(command -v chromium)}"

# pg_virtualenv creates a PostgreSQL cluster, exports PGHOST/PGPORT/PGUSER/PGPASSWORD for the
# command it runs, and drops the cluster afterwards. Benchmarks are left out: they are run with
# `cargo bench`, not as tests.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
pg_virtualenv -- cargo test --workspace --locked --lib --bins --tests --no-fail-fast "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line for the whole run, summed over every test binary.
awk '/^test result:/ { for (i = 2; i <= NF; i++) { if ($i == "passed;") p += $(i - 1); if ($i == "failed;") f += $(i - 1) } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
