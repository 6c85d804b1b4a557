#!/usr/bin/env bash
# Fuzz targets (fuzz/tests/targets.rs): every parser that reads outside input.
#
#   ci/fuzz.sh                  bounded CI run: each target runs its seeds, then mutations for
#                               FUZZ_MS milliseconds (default 7000) under `cargo test`, two at a
#                               time (28 targets: about 100 s once built)
#   ci/fuzz.sh --random-campaign SECS [TARGET...]
#                               the same targets under bolero's random engine (cargo test, no
#                               extra tools, no coverage feedback), SECS each at nice 19
#
# The same targets run under libFuzzer with cargo-bolero 0.13.5 (`cargo install cargo-bolero
# --version 0.13.5 --locked --no-default-features --features libfuzzer`, about 2 min):
#   cargo bolero test <target> -p switchyard-fuzz --rustc-bootstrap --sanitizer NONE -T 600s
# (not run yet on this project: its instrumented build of the whole graph did not finish on the
# shared 2-core machine).
#
# Seeds are the project's fixtures read in place (../shared/fixtures beside the repository);
# nothing is copied into the repository. FUZZ_CARGO_FLAGS adds cargo flags (for a campaign, e.g.
# `--config profile.dev.package.switchyard-connectors.opt-level=3`, one per workspace crate).
# A failing target prints BOLERO_RANDOM_SEED=… to replay:
#   BOLERO_RANDOM_SEED=<seed> cargo test --workspace --test targets <name>
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

list_targets() {
  grep -ozE 'fuzz!\(\s*[a-z0-9_]+' fuzz/tests/targets.rs | tr -d ' \n' | tr '\0' '\n' \
    | sed 's/^fuzz!(//'
}

if [ "${1:-}" = "--random-campaign" ]; then
  # The same targets under bolero's random engine (no coverage feedback, no extra tools):
  # each in turn for SECS seconds at nice 19.
  secs=${2:?usage: ci/fuzz.sh --random-campaign SECONDS [TARGET...]}
  shift 2
  targets=("$@")
  [ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(list_targets)
  # shellcheck disable=SC2086
  cargo test --workspace --locked ${FUZZ_CARGO_FLAGS:-} --test targets --no-run
  out=$root/target/fuzz-campaign
  mkdir -p "$out"
  summary=$out/random-summary.tsv
  echo -e "target\tseconds\texecutions\texec_per_s\tresult" >"$summary"
  for t in "${targets[@]}"; do
    log=$out/random-$t.log
    result=ok
    BOLERO_RANDOM_TEST_TIME_MS=$((secs * 1000)) nice -n 19 \
      cargo test --workspace --locked ${FUZZ_CARGO_FLAGS:-} --test targets -- --exact "$t" --nocapture \
      >"$log" 2>&1 || result=FAILED
    runs=$(grep -oE "^fuzz $t: [0-9]+ seeds, [0-9]+ executions" "$log" | grep -oE '[0-9]+ executions' | grep -oE '[0-9]+' || echo 0)
    echo -e "$t\t$secs\t$runs\t$((runs / secs))\t$result" | tee -a "$summary"
  done
  column -t "$summary"
  exit 0
fi

started=$(date +%s)
mkdir -p target
export BOLERO_RANDOM_TEST_TIME_MS=${FUZZ_MS:-7000}
echo "== fuzz: bounded run, ${BOLERO_RANDOM_TEST_TIME_MS} ms of mutations per target"
set +e
# shellcheck disable=SC2086 # FUZZ_CARGO_FLAGS is a list of flags
# `--workspace --test targets` (not `-p switchyard-fuzz`) resolves features as ci/test.sh does, so
# the test binary it already built is reused instead of rebuilding the graph; the seeds test
# runs in ci/test.sh.
cargo test --workspace --locked ${FUZZ_CARGO_FLAGS:-} --test targets -- --test-threads=2 \
  --nocapture 2>&1 | tee target/fuzz-ci.log | grep -E '^fuzz |^test result|panicked|FAILED|BOLERO'
status=${PIPESTATUS[0]}
set -e
echo "== fuzz: done in $(($(date +%s) - started)) s, exit $status"
exit "$status"
