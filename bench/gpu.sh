#!/usr/bin/env bash
# images/s of `verify train` against bench/reference_torch.py for PreResNet32 on CIFAR-shaped data
# on a CUDA GPU: the same network, update rule, batch size and data, alternating the two programs
# ROUNDS times, under two precision policies (f32, and channels-last with bf16 convolutions against
# torch.autocast(bfloat16) + channels_last); prints each figure and the ratio of the medians (the
# goal: >= 1.0x PyTorch eager). Both use the paper's frozen head, the reference's architecture.
#
# Build here (this machine has Rust; the GPU machine may not) and carry the binary:
#   eval "$(bash scripts/libtorch.sh --env)"; cargo build --release --features tch,cuda
# On the GPU machine (python3 with torch 2.11.0 and CUDA):
#   bash bench/gpu.sh [ROUNDS] [TRAIN_IMAGES]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
images=${2:-20000}
lib=$(python3 -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
export LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
python3 -c 'import torch; assert torch.cuda.is_available(), "no CUDA device"; print("device:", torch.cuda.get_device_name(0), "torch", torch.__version__)'
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for policy in "off" "bf16 channels-last"; do
  ours_flags=(--autocast "${policy%% *}") ref_flags=(--autocast "${policy%% *}")
  if [ "$policy" != "${policy%% *}" ]; then ours_flags+=(--channels-last); ref_flags+=(--channels-last); fi
  ours=() ref=()
  for r in $(seq "$rounds"); do
    rm -rf "$out/run"
    ours+=("$(./target/release/verify train --model preresnet32 --head frozen --data "synthetic:$images,1000" \
      --epochs 2 --milestones 1 --compare step --no-augment --device cuda --quiet --no-plots \
      --out "$out/run" "${ours_flags[@]}" | awk '/^throughput/ {print $3}')")
    ref+=("$(python3 bench/reference_torch.py --data "synthetic:$images,1000" --model preresnet32 \
      --epochs 2 --milestones 1 --device cuda "${ref_flags[@]}" 2>/dev/null | awk '/images\/s/ {print $(NF-1)}')")
  done
  o=$(printf '%s\n' "${ours[@]}" | median)
  p=$(printf '%s\n' "${ref[@]}" | median)
  echo "preresnet32 on cuda, policy $policy: verify train ${ours[*]} images/s, PyTorch eager ${ref[*]}; median ratio $(awk -v o="$o" -v p="$p" 'BEGIN {printf "%.2f", o / p}')"
done
