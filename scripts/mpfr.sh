#!/usr/bin/env bash
# Installs what the `mpfr` feature links: the system's GMP and MPFR development files (Debian /
# Ubuntu: libgmp-dev, libmpfr-dev; a few seconds). The default build needs neither.
#
#   bash scripts/mpfr.sh && cargo build --release --features mpfr
set -euo pipefail
if dpkg -s libgmp-dev libmpfr-dev >/dev/null 2>&1; then
  exit 0
fi
sudo_or_not=""
if [ "$(id -u)" -ne 0 ]; then
  sudo_or_not="sudo"
fi
$sudo_or_not apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_or_not apt-get install -y -qq libgmp-dev libmpfr-dev >/dev/null
