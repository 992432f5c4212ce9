#!/usr/bin/env bash
# images/s of `verify train` against bench/reference_torch.py on the same CPU, data, thread count
# and memory layout (CIFAR-shaped synthetic data, no augmentation, step decay, both networks, each
# in the default contiguous layout and in channels-last), alternating the two programs ROUNDS
# times and printing each figure and the ratio of the medians. Both use the paper's frozen head
# (the reference's architecture). The reference runs as PyTorch users run it (glibc's default
# heap policy; `verify train` sets its own, src/train/enabled/alloc.rs).
#
#   eval "$(bash scripts/libtorch.sh --env)"; cargo build --release --features tch
#   bash bench/train_cpu.sh [THREADS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-1}
rounds=${2:-3}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for spec in "convnet synthetic:4096,256" "preresnet32 synthetic:512,64"; do
  set -- $spec
  model=$1 data=$2
  for layout in "" --channels-last; do
  ours=() ref=()
  for r in $(seq "$rounds"); do
    rm -rf "$out/run"
    ours+=("$(./target/release/verify train --model "$model" --data "$data" --epochs 2 --milestones 1 \
      --compare step --head frozen --no-augment --threads "$threads" --quiet --no-plots --out "$out/run" \
      $layout | awk '/^throughput/ {print $3}')")
    size=${data#synthetic:}
    ref+=("$(python3 bench/reference_torch.py --data "synthetic:$size" --model "$model" --epochs 2 \
      --milestones 1 --threads "$threads" $layout 2>/dev/null | awk '/images\/s/ {print $(NF-1)}')")
  done
  o=$(printf '%s\n' "${ours[@]}" | median)
  p=$(printf '%s\n' "${ref[@]}" | median)
  echo "$model ${layout:---contiguous} ($threads thread(s)): verify train ${ours[*]} images/s, PyTorch ${ref[*]}; median ratio $(awk -v o="$o" -v p="$p" 'BEGIN {printf "%.2f", o / p}')"
  done
done
