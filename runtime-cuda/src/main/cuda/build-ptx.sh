#!/usr/bin/env bash
# Compiles t4j's CUDA kernels to PTX for the runtime-cuda jar (run by Maven in generate-resources).
# Usage: build-ptx.sh OUTPUT_DIR. Without nvcc it says so and builds nothing: the backend then reports itself
# unavailable ("built without nvcc") and everything else still builds and passes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$1"
nvcc_bin="$(command -v nvcc || true)"
for dir in "${CUDA_HOME:-}" "${CUDA_PATH:-}" /usr/local/cuda; do
  if [ -z "$nvcc_bin" ] && [ -n "$dir" ] && [ -x "$dir/bin/nvcc" ]; then nvcc_bin="$dir/bin/nvcc"; fi
done
if [ -z "$nvcc_bin" ]; then
  echo "[t4j] nvcc not found (PATH, CUDA_HOME, /usr/local/cuda): runtime-cuda is built without kernels" >&2
  exit 0
fi
mkdir -p "$out"
target="$out/kernels.ptx"
# rebuild only when a kernel source is newer than the PTX
if [ -f "$target" ] && [ -z "$(find "$here" -newer "$target" \( -name '*.cu' -o -name '*.cuh' \) -print -quit)" ]; then
  exit 0
fi
# compute_75 (Turing) is the oldest target CUDA 13 supports; the driver JIT-compiles the PTX for newer GPUs.
"$nvcc_bin" -ptx -arch=compute_75 -O3 -o "$target.tmp" "$here/t4j_kernels.cu"
mv "$target.tmp" "$target"
echo "[t4j] built $(grep -c '^\.visible \.entry' "$target") CUDA kernels with $("$nvcc_bin" --version | tail -1)" >&2
