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

# The console's browser test drives Debian's chromium through chromedriver (tests/console.rs).
if ! command -v chromedriver >/dev/null 2>&1 || ! { command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; }; then
  apt_install chromium chromium-driver
fi
chromedriver --version 2>&1 | head -1 || die "chromedriver is installed but does not run"
chromium --headless=new --no-sandbox --disable-gpu --version 2>/dev/null | head -1 \
  || die "chromium is installed but does not run"

# The store tests run on SQLite and on PostgreSQL (switchyard-store's `store_tests!`): a server
# on 127.0.0.1:5432 with trust auth for local connections and a `test` database, unless
# SWITCHYARD_TEST_POSTGRES_URL already names another one.
PG_DEFAULT_URL=postgres://postgres@127.0.0.1:5432/test
if [ -z "${SWITCHYARD_TEST_POSTGRES_URL:-}" ]; then
  if ! { command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432; }; then
    [ -d /usr/lib/postgresql ] && command -v pg_ctlcluster >/dev/null 2>&1 || apt_install postgresql
    [ "$(id -u)" -eq 0 ] || die "PostgreSQL is not running on 127.0.0.1:5432 and this is not root: start one, or export SWITCHYARD_TEST_POSTGRES_URL"
    pg_version=$(ls /usr/lib/postgresql | sort -V | tail -1)
    [ -n "$pg_version" ] || die "PostgreSQL was installed but /usr/lib/postgresql is empty"
    pg_lsclusters -h 2>/dev/null | awk -v v="$pg_version" '$1 == v && $2 == "main"' | grep -q . \
      || pg_createcluster "$pg_version" main -p 5432 >/dev/null \
      || die "could not create a PostgreSQL $pg_version cluster"
    pg_conf=/etc/postgresql/$pg_version/main
    pg_conftool "$pg_version" main set listen_addresses 127.0.0.1
    pg_conftool "$pg_version" main set port 5432
    # A throwaway test server: anyone local may connect as anyone, without a password.
    printf '%s\n' 'local all all trust' 'host all all 127.0.0.1/32 trust' 'host all all ::1/128 trust' \
      > "$pg_conf/pg_hba.conf"
    pg_ctlcluster "$pg_version" main restart || pg_ctlcluster "$pg_version" main start \
      || die "could not start PostgreSQL $pg_version (pg_ctlcluster $pg_version main start)"
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
    pg_isready -q -h 127.0.0.1 -p 5432 || die "PostgreSQL did not come up on 127.0.0.1:5432"
  fi
  psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1 \
    || psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -qc 'CREATE DATABASE test' \
    || die "could not create the database \`test\` (is local trust auth set for user postgres?)"
  export SWITCHYARD_TEST_POSTGRES_URL=$PG_DEFAULT_URL
fi
echo "PostgreSQL for the store tests: $SWITCHYARD_TEST_POSTGRES_URL"

echo "== tests"
# cargo-nextest runs every test binary's tests side by side (most of ours wait on a daemon or
# a simulator), which roughly halves the wall time of `cargo test` here; it does not run doc
# tests, so those run after it. Without nextest, plain `cargo test` runs the same tests.
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast "$@"
  cargo test --workspace --locked --doc "$@"
else
  echo "cargo-nextest not found (cargo install cargo-nextest --locked): running cargo test"
  cargo test --workspace --locked "$@"
fi
