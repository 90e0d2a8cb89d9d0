#!/usr/bin/env bash
# Unpacks Debian's OpenBLAS (OpenMP build) into bench/.openblas, where bench/run.ts puts it first on
# the PyTorch row's LD_LIBRARY_PATH: Debian's python3-torch links netlib's reference BLAS, about
# 11x slower than what a PyTorch user has. Needs apt-get (no root: it only downloads and unpacks).
set -euo pipefail
cd "$(dirname "$0")"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
(cd "$scratch" && apt-get download libopenblas0-openmp >/dev/null)
rm -rf .openblas
dpkg -x "$scratch"/libopenblas0-openmp_*.deb .openblas
echo "OpenBLAS in $(pwd)/.openblas/usr/lib/x86_64-linux-gnu/openblas-openmp"
