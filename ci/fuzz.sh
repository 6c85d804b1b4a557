#!/usr/bin/env bash
# Fuzz targets (fuzz/tests/targets.rs): every parser that reads outside input.
#
#   ci/fuzz.sh                  bounded CI run: each target runs its seeds, then mutations for
#                               FUZZ_MS milliseconds (default 7000) under `cargo test`, two at a
#                               time (29 targets: about 100 s once built)
#   ci/fuzz.sh --random-campaign SECS [TARGET...]
#                               the same targets under bolero's random engine (cargo test, no
#                               extra tools, no coverage feedback), SECS each at nice 19
#   ci/fuzz.sh --campaign SECS [TARGET...]
#                               long local campaign: libFuzzer (cargo bolero) on each target in
#                               turn for SECS seconds at nice 19, one at a time; prints the
#                               executions per target and keeps crashes under target/fuzz-campaign
#
# Seeds are the project's fixtures read in place (../shared/fixtures beside the repository);
# nothing is copied into the repository. A failing target prints BOLERO_RANDOM_SEED=… to replay:
#   BOLERO_RANDOM_SEED=<seed> cargo test -p switchyard-fuzz --test targets <name>
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
  cargo test -p switchyard-fuzz --locked --test targets --no-run
  out=$root/target/fuzz-campaign
  mkdir -p "$out"
  summary=$out/random-summary.tsv
  echo -e "target\tseconds\texecutions\texec_per_s\tresult" >"$summary"
  for t in "${targets[@]}"; do
    log=$out/random-$t.log
    result=ok
    BOLERO_RANDOM_TEST_TIME_MS=$((secs * 1000)) nice -n 19 \
      cargo test -p switchyard-fuzz --locked --test targets -- --exact "$t" --nocapture \
      >"$log" 2>&1 || result=FAILED
    runs=$(grep -oE "^fuzz $t: [0-9]+ seeds, [0-9]+ executions" "$log" | grep -oE '[0-9]+ executions' | grep -oE '[0-9]+' || echo 0)
    echo -e "$t\t$secs\t$runs\t$((runs / secs))\t$result" | tee -a "$summary"
  done
  column -t "$summary"
  exit 0
fi

if [ "${1:-}" != "--campaign" ]; then
  started=$(date +%s)
  export BOLERO_RANDOM_TEST_TIME_MS=${FUZZ_MS:-7000}
  echo "== fuzz: bounded run, ${BOLERO_RANDOM_TEST_TIME_MS} ms of mutations per target"
  cargo test -p switchyard-fuzz --locked --tests -- --test-threads=2 --nocapture 2>&1 \
    | tee target/fuzz-ci.log | grep -E '^fuzz |^test result|panicked|FAILED|failed|BOLERO' || true
  status=${PIPESTATUS[0]}
  echo "== fuzz: done in $(($(date +%s) - started)) s, exit $status"
  exit "$status"
fi

# --- long campaign --------------------------------------------------------------------------
secs=${2:?usage: ci/fuzz.sh --campaign SECONDS [TARGET...]}
shift 2
BOLERO_VERSION=0.13.5
tools=$root/target/tools/cargo-bolero-$BOLERO_VERSION
if ! command -v cargo-bolero >/dev/null 2>&1; then
  if [ ! -x "$tools/bin/cargo-bolero" ]; then
    echo "== fuzz: installing cargo-bolero $BOLERO_VERSION (libFuzzer engine only)"
    cargo install cargo-bolero --version "$BOLERO_VERSION" --locked --no-default-features \
      --features libfuzzer --root "$tools"
  fi
  export PATH=$tools/bin:$PATH
fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(list_targets)
out=$root/target/fuzz-campaign
mkdir -p "$out"
summary=$out/summary.tsv
echo -e "target\tseconds\texecutions\texec_per_s\tcrashes" >"$summary"
for t in "${targets[@]}"; do
  echo "== fuzz campaign: $t for $secs s"
  mkdir -p "$out/$t/corpus" "$out/$t/crashes"
  log=$out/$t/libfuzzer.log
  # libFuzzer on stable (RUSTC_BOOTSTRAP for its -Z flags), without a sanitizer: the targets
  # are safe Rust, a panic is what is looked for.
  nice -n 19 cargo bolero test "$t" -p switchyard-fuzz --rustc-bootstrap --sanitizer NONE \
    --target-dir "$root/target/fuzz-build" --corpus-dir "$out/$t/corpus" \
    --crashes-dir "$out/$t/crashes" -T "${secs}s" \
    --engine-args="-print_final_stats=1" >"$log" 2>&1 || true
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
  crashes=$(find "$out/$t/crashes" -type f | wc -l)
  runs=${runs:-0}
  echo -e "$t\t$secs\t$runs\t$((runs / secs))\t$crashes" | tee -a "$summary"
done
column -t "$summary"
