#!/usr/bin/env bash
# README's test command: makes sure what the tests need is installed and running, then runs
# every test of the workspace. Works on a fresh machine (as root it installs what is missing;
# otherwise it names what to install) and fails loudly when a prerequisite cannot be had.
# Extra arguments go to `cargo test` (e.g. `ci/test.sh -p switchyard-core`).
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "ci/test.sh: $*" >&2; exit 1; }

apt_install() {
  [ "$(id -u)" -eq 0 ] || die "$1 is missing and this is not root: apt-get install -y $*"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "$@" >/dev/null \
    || { apt-get update >/dev/null && apt-get install -y --no-install-recommends "$@" >/dev/null; } \
    || die "could not install $*"
}

echo "== test prerequisites"
command -v cargo >/dev/null 2>&1 || die "cargo not found: install the Rust toolchain (rustup) first"

# The SFTP partner tests run a real OpenSSH sshd on a loopback port.
if [ ! -x /usr/sbin/sshd ] || ! command -v ssh-keygen >/dev/null 2>&1; then
  apt_install openssh-server
fi
/usr/sbin/sshd -V 2>&1 | head -1 || true

# The e-mail supplier tests run a real SMTP server (aiosmtpd, from PyPI).
command -v python3 >/dev/null 2>&1 || apt_install python3 python3-pip
if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
  python3 -m pip install --quiet aiosmtpd 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages aiosmtpd \
    || die "could not install aiosmtpd (python3 -m pip install aiosmtpd)"
fi
python3 -c 'import aiosmtpd' || die "aiosmtpd is installed but cannot be imported"
echo "aiosmtpd $(python3 -c 'import aiosmtpd; print(aiosmtpd.__version__)')"

# The monitoring kit's alert rules are checked with promtool (Debian's prometheus package).
command -v promtool >/dev/null 2>&1 || apt_install prometheus
promtool --version 2>&1 | head -1

echo "== tests"
cargo test --workspace --locked "$@"
