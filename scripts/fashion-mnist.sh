#!/usr/bin/env bash
# Installs Fashion-MNIST (60,000 + 10,000 28x28 images, gzipped IDX) from Debian's package
# dataset-fashion-mnist into /usr/share/datasets/fashion-mnist (31 MB), which
# `verify train --data fashion-mnist` reads directly.
set -euo pipefail
dir=/usr/share/datasets/fashion-mnist
if [ -s "$dir/train-images-idx3-ubyte.gz" ]; then
  echo "$dir"
  exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
$sudo apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq dataset-fashion-mnist >/dev/null
echo "$dir"
