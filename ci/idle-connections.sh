#!/usr/bin/env bash
# The idle-connection measurement of README "Faults and hostile clients": a signed webhook's
# latency while N idle connections (default 20,000) are open. Not part of CI, which runs the
# same test with 2,000. Raising the open-file limit above the hard limit needs CAP_SYS_RESOURCE;
# without it the test holds as many as the limit allows and says how many.
set -euo pipefail
cd "$(dirname "$0")/.."
SWITCHYARD_IDLE_CONNECTIONS="${1:-20000}" \
  cargo test --locked -p switchyard --test http_limits a_signed_webhook -- --nocapture
