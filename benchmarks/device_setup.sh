# Sourced by the GPU scripts in benchmarks/: set up molgdl on a CUDA machine without RDKit/pydantic (the device
# tool's machine). Installs the carried wheels (.whl/) and molgdl with the named plugins into /tmp/site.
#   source benchmarks/device_setup.sh molgdl-datasets molgdl-models ...
set -euo pipefail
OUT=${OUT:-/tmp/out}
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site MOLGDL_CACHE_DIR=/tmp/molgdl-cache PYTHONUNBUFFERED=1
python3 -m pip install -q --no-index --no-deps --no-build-isolation --no-cache-dir --target /tmp/site \
  . $(printf 'plugins/%s ' "$@")
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
