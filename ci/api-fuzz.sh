#!/usr/bin/env bash
# Property-based test of the admin API (issue 13): schemathesis (PyPI) reads the document the
# running daemon serves at /api/v1/openapi.json, generates requests from it (valid and invalid)
# and fails on any 5xx or any answer the document does not allow (status, content type,
# schema). The daemon runs on a database the demo seeded (orders routed, held back, shipped,
# cancelled, partner submissions and events), with an admin token, for a bounded time.
#
#   ci/api-fuzz.sh                 # default budget: 150 s of generated requests
#   API_FUZZ_SECONDS=60 ci/api-fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "api-fuzz: $*" >&2; exit 1; }
budget="${API_FUZZ_SECONDS:-150}"

command -v python3 >/dev/null 2>&1 || die "python3 is required"
if ! command -v st >/dev/null 2>&1 && ! python3 -c 'import schemathesis' 2>/dev/null; then
  python3 -m pip install --quiet schemathesis 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages schemathesis \
    || die "could not install schemathesis (python3 -m pip install schemathesis)"
fi
if command -v st >/dev/null 2>&1; then st=(st); else st=(python3 -m schemathesis.cli); fi
"${st[@]}" --version

# The binary `cargo test --workspace` builds (its features are the tests'): after ci/test.sh
# this is a no-op, where `cargo build --bin` would rebuild the graph with other features.
cargo test --workspace --locked --quiet --no-run
bin="${CARGO_TARGET_DIR:-target}/debug/switchyard"
[ -x "$bin" ] || die "no binary at $bin"

work="$(mktemp -d)"
daemon_pid=""
cleanup() {
  if [ -n "$daemon_pid" ]; then kill "$daemon_pid" 2>/dev/null || true; wait "$daemon_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== seeding a database with the demo"
"$bin" demo --keep "$work/demo" --orders 40 --channels shopify,woocommerce >"$work/demo.log" 2>&1 \
  || { tail -40 "$work/demo.log"; die "the demo failed"; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port="$(free_port)"
admin_port="$(free_port)"
token="api-fuzz-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
hash="$(printf %s "$token" | sha256sum | cut -d' ' -f1)"
# The channel points at a closed port: its workers fail quietly, the API reads the demo's data.
cat >"$work/switchyard.yaml" <<YAML
store:
  url: "sqlite://$work/demo/demo.db"
server:
  listen: "127.0.0.1:$port"
admin:
  listen: "127.0.0.1:$admin_port"
  tokens:
    - {name: fuzz, sha256: "$hash", role: admin}
channels:
  - id: fuzzshop
    kind: woocommerce
    base_url: "http://127.0.0.1:9"
    consumer_key: ck_fuzz
    consumer_secret: cs_fuzz
    webhook_secret: whsec_fuzz
    poll_interval_secs: 3600
    drift_interval_secs: 0
locations:
  - id: main
    kind: self
YAML
"$bin" --config "$work/switchyard.yaml" check >/dev/null
RUST_LOG=warn "$bin" --config "$work/switchyard.yaml" run >"$work/daemon.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$admin_port/api/v1/openapi.json" >/dev/null 2>&1 && break
  kill -0 "$daemon_pid" 2>/dev/null || { cat "$work/daemon.log"; die "the daemon exited"; }
  sleep 0.2
done

echo "== schemathesis for at most ${budget}s"
status=0
"${st[@]}" run "http://127.0.0.1:$admin_port/api/v1/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks all \
  --phases examples,coverage,fuzzing \
  --max-time "$budget" \
  --max-examples 100 \
  --workers 1 \
  --request-timeout 10 \
  --seed 13 \
  --suppress-health-check all \
  --report junit --report-dir "$work/report" \
  --output-truncate true || status=$?
if grep -q " 500 \| 50[0-9] " "$work/daemon.log" 2>/dev/null; then
  echo "daemon log:"; tail -20 "$work/daemon.log"
fi
[ "$status" -eq 0 ] || die "schemathesis found problems (exit $status)"
echo "api-fuzz: no findings"
