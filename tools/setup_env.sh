#!/usr/bin/env bash
# Idempotent set-up of the project virtualenv (.venv) with the pinned OpenMMLab stack.
#
#   bash tools/setup_env.sh            # what `make setup` runs
#
# - torch 2.13.0 CPU (the wheel the machine provides); never torchvision (see README, "No torchvision").
# - mmcv 2.1.0 is built from source with its C++ ops once and the wheel is cached in
#   $MOBILEBENCH_CACHE (default ~/.cache/mobilebench/wheels); later runs install the cached wheel.
# - A stamp file records the hash of the requirement files, so a second run is a no-op in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3.11}
VENV=${VENV:-.venv}
CACHE=${MOBILEBENCH_CACHE:-$HOME/.cache/mobilebench/wheels}
C=requirements/constraints.txt
STAMP=$VENV/.mobilebench-setup
HASH=$(cat requirements/*.txt tools/setup_env.sh pyproject.toml 2>/dev/null | sha256sum | cut -c1-16)

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$HASH" ] && "$VENV/bin/python" -c "import mmcv.ops, mmdet, mmpose, mmaction, mmpretrain, insightface, backbones, mobilebench" 2>/dev/null; then
  echo "[setup] $VENV is up to date"
  exit 0
fi

command -v "$PY" >/dev/null || PY=python3
"$PY" -c 'import sys; assert sys.version_info[:2] == (3, 11), f"Python 3.11 is required, found {sys.version}"'
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
PIP="$VENV/bin/python -m pip --disable-pip-version-check -q"
export PIP_CONSTRAINT=$PWD/$C

echo "[setup] base tools and torch (CPU)"
$PIP install --upgrade pip "setuptools<82" wheel ninja psutil
$PIP install torch==2.13.0 numpy
# CUDA ops only when the installed torch sees a GPU (the CPU wheel never does)
if "$VENV/bin/python" -c "import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then CUDA=1; else CUDA=0; fi
if [ "$CUDA" = 1 ]; then
  # mmcv's CUDA ops need the CUDA toolkit (nvcc) matching torch; compile them for this machine's GPU only
  "$VENV/bin/python" -c "from torch.utils.cpp_extension import CUDA_HOME; import sys; sys.exit(0 if CUDA_HOME else 1)" || {
    echo "[setup] torch sees a GPU but no CUDA toolkit (nvcc) was found: install it or set CUDA_HOME" >&2; exit 1; }
  export TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-$("$VENV/bin/python" -c "import torch; print('%d.%d' % torch.cuda.get_device_capability())")}
fi
$PIP install mmengine==0.10.7 addict yapf

echo "[setup] mmcv 2.1.0 with ops"
mkdir -p "$CACHE"
TAG=$([ "$CUDA" = 1 ] && echo "cuda-sm${TORCH_CUDA_ARCH_LIST//[^0-9]/}" || echo cpu)  # a CUDA wheel fits its GPU arch only
WHEEL=$(ls "$CACHE"/$TAG/mmcv-2.1.0-*.whl 2>/dev/null | head -n1 || true)
if [ -z "$WHEEL" ]; then
  echo "[setup] no cached mmcv wheel in $CACHE/$TAG: building from source (about 16 min on 2 CPU cores)"
  mkdir -p "$CACHE/$TAG"
  MMCV_WITH_OPS=1 FORCE_CUDA=$CUDA MAX_JOBS=${MAX_JOBS:-$(nproc)} \
    $PIP wheel --no-build-isolation --no-deps --no-binary mmcv -w "$CACHE/$TAG.partial" mmcv==2.1.0
  mv "$CACHE/$TAG.partial"/mmcv-2.1.0-*.whl "$CACHE/$TAG/"
  rmdir "$CACHE/$TAG.partial" 2>/dev/null || true
  WHEEL=$(ls "$CACHE"/$TAG/mmcv-2.1.0-*.whl | head -n1)
fi
$PIP install --no-deps "$WHEEL"

echo "[setup] mmdet, mmpose, mmaction2 and runtime dependencies"
$PIP install mmdet==3.3.0
$PIP install --no-deps mmpose==1.3.2 mmaction2==1.2.0
$PIP install -r requirements/runtime.txt
$PIP install cython
if ! "$VENV/bin/python" -c "import xtcocotools._mask" 2>/dev/null || \
   ! "$VENV/bin/python" -c "import xtcocotools.coco" 2>/dev/null; then
  $PIP install --no-binary xtcocotools --no-build-isolation xtcocotools==1.14.3
fi
$PIP install --no-deps --no-build-isolation -e .

if "$VENV/bin/python" -c "import torchvision" 2>/dev/null; then
  echo "[setup] removing torchvision (no CPU build exists; it breaks mmengine's Runner)"
  $PIP uninstall -y torchvision
fi
"$VENV/bin/python" -c "import mmcv.ops, mmdet, mmpose, mmaction, mmpretrain, insightface, backbones, mobilebench; print('[setup] stack OK')"
if [ "$CUDA" = 1 ]; then
  "$VENV/bin/python" -c "import torch; from mmcv.ops import nms; b = torch.tensor([[0., 0., 9., 9.], [1., 1., 9., 9.]], device='cuda'); assert nms(b, torch.tensor([.9, .8], device='cuda'), .5)[1].tolist() == [0]; print('[setup] mmcv CUDA ops OK')"
fi
echo "$HASH" > "$STAMP"
