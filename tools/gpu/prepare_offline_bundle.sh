#!/usr/bin/env bash
# Prepare everything an offline CUDA machine needs to run the suite, on a machine with internet.
#
#   bash tools/gpu/prepare_offline_bundle.sh [OUT]          # OUT defaults to build/gpu_bundle (git-ignored)
#
# Target: Linux x86_64, Python 3.12 (override: PY_VERSION=3.11), with a CUDA torch, torchvision, numpy,
# scipy, matplotlib, opencv-python-headless and rich already installed (they are NOT downloaded: a second
# torch would shadow the machine's CUDA build). Downloaded:
#   OUT/wheels/   binary wheels for that Python (pip download --only-binary=:all: --no-deps): the pinned
#                 OpenMMLab packages (requirements/constraints.txt) and their pure-Python / binary needs
#   OUT/sdist/    the mmcv 2.1.0 and xtcocotools source tarballs (built there by tools/gpu/build_mmcv.sh)
#   OUT/SHA256SUMS
# Carry OUT and the repository to the GPU machine, then run tools/gpu/gpu_check.sh there.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-build/gpu_bundle}
PY_VERSION=${PY_VERSION:-3.12}
PY=${PYTHON:-$([ -x .venv/bin/python ] && echo .venv/bin/python || echo python3)}
pin() { grep -E "^$1==" requirements/constraints.txt | head -n1; }

mkdir -p "$OUT/wheels" "$OUT/sdist"
PLATFORMS=(--platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64
           --platform manylinux_2_5_x86_64 --platform manylinux1_x86_64 --platform linux_x86_64 --platform any)
# pinned stack (from constraints.txt) + what mmengine / mmdet / mmpose / mmaction2 import at run time and the
# GPU image lacks (and pytest, for the equality tests there); mmpose and mmaction2 are installed --no-deps
# (chumpy, torchvision) as on the CPU stack.
PACKAGES=("$(pin mmengine)" "$(pin mmdet)" "$(pin mmpose)" "$(pin mmaction2)"
          addict yapf platformdirs termcolor pyyaml terminaltables pycocotools shapely six tqdm
          json_tricks munkres einops importlib_metadata zipp decord ninja pytest iniconfig pluggy packaging pygments
          cython setuptools==80.9.0)  # mmcv 2.1.0's setup.py imports pkg_resources; cython builds xtcocotools
echo "[bundle] ${#PACKAGES[@]} packages for Python $PY_VERSION -> $OUT/wheels"
"$PY" -m pip download --no-deps --only-binary=:all: --python-version "$PY_VERSION" "${PLATFORMS[@]}" \
  --dest "$OUT/wheels" "${PACKAGES[@]}"
# source only: mmcv (its CUDA ops are compiled there, for the machine's torch) and xtcocotools (mmpose's COCO
# API; no Python 3.12 wheel at the pinned version). pip prepares their metadata while downloading, which needs
# torch, numpy and cython in the running environment: the project venv of `make setup` has them.
echo "[bundle] mmcv and xtcocotools sources -> $OUT/sdist"
for pkg in "$(pin mmcv)" "$(pin xtcocotools)"; do
  "$PY" -m pip download --no-deps --no-binary=:all: --no-build-isolation "$pkg" --dest "$OUT/sdist"
done
ls "$OUT"/sdist/mmcv-*.tar.gz "$OUT"/sdist/xtcocotools-*.tar.gz >/dev/null
(cd "$OUT" && find wheels sdist -type f | sort | xargs sha256sum > SHA256SUMS)
echo "[bundle] done: $(ls "$OUT/wheels" | wc -l) wheels, $(du -sh "$OUT" | cut -f1) in $OUT"
