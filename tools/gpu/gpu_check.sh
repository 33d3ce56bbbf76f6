#!/usr/bin/env bash
# Build, check and measure the suite on an offline CUDA machine, in steps that fit short sessions.
#
#   bash tools/gpu/gpu_check.sh all     BUNDLE OUT   # everything below in order (about 8 min on an H100/H200)
#   bash tools/gpu/gpu_check.sh install BUNDLE       # wheels -> $SITE, build xtcocotools (seconds)
#   bash tools/gpu/gpu_check.sh start   BUNDLE       # start the mmcv CUDA build detached (about 5 min, 16 cores)
#   bash tools/gpu/gpu_check.sh wait    [SECONDS]    # poll the build until it ends or SECONDS pass (default 540)
#   bash tools/gpu/gpu_check.sh check   OUT          # mmcv.ops on CUDA + the fast-head equality tests on CUDA
#   bash tools/gpu/gpu_check.sh measure OUT          # speed JSONs: upstream vs fast, fp32 and bf16 AMP
#
# BUNDLE comes from tools/gpu/prepare_offline_bundle.sh (run where there is internet). The machine must have
# Python 3.12 with a CUDA torch, numpy, scipy, matplotlib, opencv and rich, and nvcc (CUDA_HOME). Nothing is
# installed system-wide: packages go to $SITE (default /tmp/mobilebench-site), the build to $WORK (default
# /tmp/mobilebench-gpu), and every step exports PYTHONPATH=$SITE:<repo>. Run from anywhere.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
SITE=${SITE:-/tmp/mobilebench-site}
WORK=${WORK:-/tmp/mobilebench-gpu}
PY=${PYTHON:-python3}
export PYTHONPATH="$SITE:$REPO${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p "$WORK"
step=${1:?usage: gpu_check.sh all|install|start|wait|check|measure ...}
shift

install() {
  local bundle=${1:?BUNDLE}
  (cd "$bundle" && sha256sum --quiet -c SHA256SUMS)
  "$PY" -m pip install -q --no-index --no-deps --target "$SITE" "$bundle"/wheels/*.whl
  rm -rf "$WORK/xtcocotools" && mkdir -p "$WORK/xtcocotools"
  tar -xzf "$bundle"/sdist/xtcocotools-*.tar.gz -C "$WORK/xtcocotools" --strip-components=1
  (cd "$WORK/xtcocotools" && PATH="$SITE/bin:$PATH" "$PY" setup.py -q build_ext --inplace >/dev/null \
     && cp -r xtcocotools "$SITE/")
  "$PY" -c "import mmengine, mmdet, xtcocotools.coco, torch; print('[install] ok, torch', torch.__version__, 'cuda', torch.version.cuda)"
}

start() {
  local bundle=${1:?BUNDLE}
  rm -rf "$WORK/mmcv" "$WORK/build.done" "$WORK/build.failed" && mkdir -p "$WORK/mmcv"
  tar -xzf "$bundle"/sdist/mmcv-*.tar.gz -C "$WORK/mmcv" --strip-components=1
  local arch
  arch=$("$PY" -c "import torch; print('%d.%d' % torch.cuda.get_device_capability())")
  "$PY" -c "from torch.utils.cpp_extension import CUDA_HOME; assert CUDA_HOME, 'no CUDA toolkit (nvcc) found: set CUDA_HOME'"
  echo "[start] building mmcv with CUDA ops for sm_${arch/./} in $WORK/mmcv (log: $WORK/build.log)"
  # detached: survives the end of this shell; `wait` polls the marker files
  (cd "$WORK/mmcv" && PATH="$SITE/bin:$PATH" MMCV_WITH_OPS=1 FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST="$arch" \
     MAX_JOBS=${MAX_JOBS:-$(nproc)} setsid nohup bash -c \
     "'$PY' setup.py -q bdist_wheel -d '$WORK/dist' && '$PY' -m pip install -q --no-index --no-deps --target '$SITE' '$WORK'/dist/mmcv-*.whl && touch '$WORK/build.done' || touch '$WORK/build.failed'" \
     >"$WORK/build.log" 2>&1 < /dev/null &)
}

wait_build() {
  local limit=${1:-540} t=0
  while [ ! -e "$WORK/build.done" ] && [ ! -e "$WORK/build.failed" ]; do
    if [ "$t" -ge "$limit" ]; then echo "[wait] still building after ${t}s (run wait again)"; return 2; fi
    sleep 10; t=$((t + 10))
  done
  if [ -e "$WORK/build.failed" ]; then tail -n 40 "$WORK/build.log"; echo "[wait] mmcv build FAILED"; return 1; fi
  echo "[wait] mmcv built: $(ls "$WORK"/dist)"
}

check() {
  local out=${1:?OUT}
  mkdir -p "$out"
  "$PY" - <<'PY' | tee "$out/check.txt"
import torch, mmcv
from mmcv.ops import nms
boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.], [20., 20., 30., 30.]], device='cuda')
dets, keep = nms(boxes, torch.tensor([0.9, 0.8, 0.7], device='cuda'), 0.5)
assert keep.is_cuda and keep.tolist() == [0, 2], keep
print('mmcv', mmcv.__version__, 'ops on', torch.cuda.get_device_name(), ': nms ok')
PY
  (cd "$REPO" && MOBILEBENCH_TEST_DEVICE=cuda "$PY" -m pytest -q -p no:cacheprovider tests/test_speed_heads.py) \
    | tee -a "$out/check.txt"
}

measure() {
  local out=${1:?OUT}
  mkdir -p "$out"
  cd "$REPO"
  [ -f data/demo/.complete ] || "$PY" tools/data/make_demo_data.py --out data/demo
  local common=(--device cuda --warmup 5 --repeats 20 --workers 8)
  for cfg in yolov3_416_asymmnet_small_x1.0_voc yolov3_416_mobilenetv2_x1.0_voc \
             ssdlite_320_asymmnet_small_x1.0_voc ssdlite_320_mobilenetv2_x1.0_voc; do
    for precision in fp32 amp; do
      "$PY" tools/analysis/speed.py "configs/detection/$cfg.py" "${common[@]}" --precision "$precision" \
        --batch-size 24 --modes model_step full_step inference head_loss --cfg-options data_root=data/demo/VOCdevkit/ \
        --out "$out/speed_cuda_${cfg}_${precision}.json" | tail -n 12
    done
  done
  "$PY" tools/analysis/speed.py configs/pose/simplebaseline_mobilenetv2_x1.0_coco-256x192.py "${common[@]}" \
    --batch-size 24 --cfg-options data_root=data/demo/coco_pose/ --out "$out/speed_cuda_simplebaseline_mobilenetv2.json" | tail -n 12
  "$PY" tools/analysis/speed.py configs/action/tsn_mobilenetv2_x1.0_hmdb51-video.py "${common[@]}" \
    --batch-size 32 --cfg-options data_root=data/demo/hmdb51/ --out "$out/speed_cuda_tsn_mobilenetv2.json" | tail -n 12
  "$PY" tools/analysis/speed.py configs/face/arcface_mobilenetv2_x1.0_ms1m-112.py "${common[@]}" \
    --batch-size 128 --cfg-options data_root=data/demo/faces/ --out "$out/speed_cuda_arcface_mobilenetv2.json" | tail -n 12
}

case "$step" in
  install) install "$@" ;;
  start) start "$@" ;;
  wait) wait_build "$@" ;;
  check) check "$@" ;;
  measure) measure "$@" ;;
  all) install "$1"; start "$1"; wait_build 540; check "$2"; measure "$2" ;;
  *) echo "unknown step $step"; exit 64 ;;
esac
