#!/usr/bin/env bash
# Provisions libtorch (PyTorch 2.11.0, which tch 0.24.0 pairs with) from PyPI into .venv and prints
# the environment to build explr with the `tch` feature. About 4.6 GB and a minute or two.
#
#   bash scripts/libtorch.sh            # then: eval "$(bash scripts/libtorch.sh --env)"
#   cargo build --release --features tch          # CPU (the CUDA wheel runs on CPU too)
#   cargo build --release --features tch,cuda     # link libtorch_cuda for GPUs
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import torch, sys; sys.exit(torch.__version__.split("+")[0] != "2.11.0")' 2>/dev/null; then
  if [ "${1:-}" != "--env" ]; then
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check torch==2.11.0
  fi
fi
lib=$("$venv/bin/python" -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
echo "export VIRTUAL_ENV=$PWD/$venv PATH=$PWD/$venv/bin:\$PATH LIBTORCH_USE_PYTORCH=1 LD_LIBRARY_PATH=$lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
