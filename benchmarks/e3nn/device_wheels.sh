#!/usr/bin/env bash
# Run HERE (a machine with pip and internet), once, before benchmarks/e3nn/device_throughput.sh: fills .whl/ (ignored by
# git through .git/info/exclude) with what the device machine lacks (its image: Python 3.12, torch 2.11+cu130, e3nn,
# PyG, Lightning; no pydantic, no cuEquivariance):
#   - wheels installed by benchmarks/device_setup.sh: pydantic and its helpers (typing-extensions too), platformdirs,
#     cuequivariance and cuequivariance-torch (pure Python);
#   - .whl/cue_ops.tar.xz: the two CUDA 13 ops wheels of cuEquivariance (cuequivariance-ops-cu13 and
#     cuequivariance-ops-torch-cu13, 74 MB as wheels, over the device tool's 64 MiB carry limit) unpacked and
#     recompressed with xz, unpacked into /tmp/site by device_throughput.sh.
# Then, with the device tool: run(command="bash benchmarks/e3nn/device_throughput.sh", carry=[".whl"], timeout_s=540)
set -euo pipefail
cd "$(dirname "$0")/../.."
exclude=$(git rev-parse --git-path info/exclude)
grep -qx '/.whl/' "$exclude" 2>/dev/null || echo '/.whl/' >> "$exclude"
mkdir -p .whl
CUE=${CUE_VERSION:-0.13.0}
platforms=(--platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_24_x86_64
           --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64)
download() {
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    "${platforms[@]}" -d "$1" "${@:2}"
}
download .whl pydantic==2.14.4 pydantic-core==2.50.5 annotated-types==0.8.0 typing-inspection==0.4.5 \
  platformdirs==4.14.9 typing-extensions==4.16.0 "cuequivariance==$CUE" "cuequivariance-torch==$CUE"
if [ ! -f .whl/cue_ops.tar.xz ]; then
  tmp=$(mktemp -d)
  download "$tmp/wheels" "cuequivariance-ops-cu13==$CUE" "cuequivariance-ops-torch-cu13==$CUE"
  mkdir "$tmp/site"
  for w in "$tmp"/wheels/*.whl; do python3 -m zipfile -e "$w" "$tmp/site"; done
  tar -C "$tmp/site" -cf - . | xz -6 -T0 > .whl/cue_ops.tar.xz.part
  mv .whl/cue_ops.tar.xz.part .whl/cue_ops.tar.xz
  rm -rf "$tmp"
fi
du -sh .whl
