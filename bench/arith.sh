#!/usr/bin/env bash
# Side-by-side speed of explr's exact and arbitrary-precision tiers against Python's `fractions`
# and mpmath (gmpy2 backend) on the same computations, on this machine, in one run:
#   1. the 8-step rational companion toy (four regimes)      vs bench/fractions_toy.py
#   2. the 256-bit companion toy, 20,000 steps (four regimes) vs bench/mpmath_toy.py
#   3. steps/s at 256 bits, Rayleigh (d = 5) and BN-MLP     vs bench/mpmath_rayleigh.py
#   4. the default `verify theorem` suite (352 claims, the ladder over the whole run on every net;
#      issue 8's target: ~15 s on 2 cores), wall time in the default build
# for the default build and the `mpfr` feature (needs bash scripts/mpfr.sh). Up to 512 bits
# `--arith mp` runs in `Fixed` (src/scalar/fixed.rs) in both builds; the benchmark also times the
# general tier (dashu-float in the default build, MPFR with the feature), what runs above 512 bits.
#
#   bash bench/arith.sh            # ~5 minutes, most of it building
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
if ! "$py" -c 'import mpmath, gmpy2' 2>/dev/null; then
  python3 -m venv .venv
  "$py" -m pip install --quiet --disable-pip-version-check mpmath gmpy2
fi
mkdir -p target/bench-bin
cargo build --release --quiet && cp target/release/verify target/bench-bin/verify-dashu
bash scripts/mpfr.sh
cargo build --release --quiet --features mpfr && cp target/release/verify target/bench-bin/verify-mpfr

# best of 3 wall times of a command, in seconds
best() {
  python3 - "$@" <<'PY'
import subprocess, sys, time
times = []
for _ in range(3):
    start = time.perf_counter()
    subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
    times.append(time.perf_counter() - start)
print(f"{min(times):.3f}")
PY
}
ratio() { python3 -c "print(f'{$1 / $2:.1f}')"; }

toy=(toy --loss normalized-quadratic --no-plots --quiet)
echo "machine: $(nproc) cores, $(uname -m); load $(cut -d' ' -f1-3 /proc/loadavg)"

rational=$(best target/bench-bin/verify-dashu "${toy[@]}" --arith rational --steps 8)
fractions=$(python3 bench/fractions_toy.py --repeat 3 | sed -E 's/.*: ([0-9.]+) s.*/\1/')
echo "rational toy, 8 steps: explr $rational s, fractions $fractions s: $(ratio "$fractions" "$rational")x"

mp_dashu=$(best target/bench-bin/verify-dashu "${toy[@]}" --arith mp --precision 256 --steps 20000)
mp_mpfr=$(best target/bench-bin/verify-mpfr "${toy[@]}" --arith mp --precision 256 --steps 20000)
mpmath=$("$py" bench/mpmath_toy.py --repeat 3 | sed -E 's/.*regimes: ([0-9.]+) s.*/\1/')
echo "256-bit toy, 20000 steps: explr default build $mp_dashu s ($(ratio "$mpmath" "$mp_dashu")x), mpfr build $mp_mpfr s ($(ratio "$mpmath" "$mp_mpfr")x), mpmath $mpmath s"

mpmath_rayleigh=$("$py" bench/mpmath_rayleigh.py | sed -E 's/.*: ([0-9.]+) steps.*/\1/')
for tier in "" mpfr; do
  features=()
  [ -n "$tier" ] && features=(--features "$tier")
  out=$(cargo bench --quiet --bench theorem "${features[@]}" -- --noplot 2>/dev/null | grep -E '^mp256|thrpt' || true)
  # criterion's middle throughput estimate, e.g. "138.88 K"
  middle='s/.*\[[0-9.]+ +[KM]?elem\/s +([0-9.]+) +([KM]?)elem\/s.*/\1 \2/'
  for kind in fixed run; do
    rayleigh=$(echo "$out" | grep -A1 "${kind}_rayleigh" | grep thrpt | head -1 | sed -E "$middle")
    mlp=$(echo "$out" | grep -A1 "${kind}_mlp" | grep thrpt | head -1 | sed -E "$middle")
    echo "256-bit steps/s (${tier:-default} build, $kind): Rayleigh $rayleigh (mpmath $mpmath_rayleigh), BN-MLP $mlp"
  done
done

suite=$(best target/bench-bin/verify-dashu theorem --no-plots --quiet)
echo "default theorem suite: $suite s wall on $(nproc) cores (default build)"
