#!/usr/bin/env bash
# One short GPU check for whoever has a GPU for a few minutes; results in one
# folder to paste into docs/benchmarks.md:
#   1. environment (tools/env_report.py: Python, torch, CUDA, GPU, which of our
#      pinned packages are installed and import), nvidia-smi;
#   2. tools/benchmark.py on the paper config (training cycle and inference per
#      fast path, ratios to fp32);
#   3. a 20-cycle smoke training of the paper model with --amp on a synthetic
#      256x176 set written into the folder (no data or weights downloaded).
# Works offline. Steps 2-3 need mmengine, mmcv and mmagic importable. Where
# our plain import fails, step 1 is repeated through tools/run_unpinned.py
# (a stand-in for mmcv's compiled ops where only mmcv-lite is installed, and
# NumPy 2's missing numpy.bool8 for MMagic 1.2.0); if that imports, steps 2-3
# run through it too, else step 1 says what fails and the script stops there
# (docs/benchmarks.md).
#
#   bash tools/gpu_check.sh [OUT_DIR]            # default work_dirs/gpu_check
#   bash tools/gpu_check.sh --cpu-dry-run [OUT_DIR]
#       every step on the CPU with the demo config and tiny repeats (checks the
#       plumbing on a machine without a GPU, about a minute)
#   bash tools/gpu_check.sh --print [--cpu-dry-run] [OUT_DIR]
#       print the commands, run nothing
# PYTHON selects the interpreter (default: python); OPTIONS the benchmark's
# fast-path options (default: the GPU set below, no compile: minutes each).
set -euo pipefail

usage() {
    echo "usage: bash $0 [--cpu-dry-run] [--print] [OUT_DIR]" >&2
    exit 2
}

DRY_RUN=0
PRINT_ONLY=0
OUT=
for arg in "$@"; do
    case "$arg" in
        --cpu-dry-run) DRY_RUN=1 ;;
        --print) PRINT_ONLY=1 ;;
        -h|--help) usage ;;
        -*) echo "unknown option: $arg" >&2; usage ;;
        *) if [ -n "$OUT" ]; then echo "one OUT_DIR only" >&2; usage; fi
           OUT=$arg ;;
    esac
done

REPO=$(cd "$(dirname "$0")/.." && pwd)
OUT=$(realpath -m "${OUT:-work_dirs/gpu_check}")
PYTHON=${PYTHON:-python}
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"

if [ "$DRY_RUN" = 1 ]; then
    DEVICE=cpu
    CONFIG=$REPO/configs/ratenet/ratenet_demo_1xb4-1600cycles_synthetic-64x44.py
    CYCLES=2
    OPTIONS=${OPTIONS:-fp32 bf16}
    BENCH_ARGS=(--train-warmup 1 --train-repeats 1 --infer-batch-sizes 1
                --infer-warmup 1 --infer-repeats 1 --data-samples 4
                --loader-batches 2)
    SYNTHETIC="dict(num_identities=4, poses_per_identity=3, num_test_identities=1, seed=0, image_format='png')"
else
    DEVICE=cuda
    CONFIG=$REPO/configs/ratenet/ratenet_full_1xb7-40kcycles_deepfashion-256x176.py
    CYCLES=20
    OPTIONS=${OPTIONS:-fp32 bf16 fp16 channels_last cudnn_benchmark bf16+channels_last+cudnn_benchmark}
    BENCH_ARGS=()
    SYNTHETIC="dict(num_identities=16, poses_per_identity=4, num_test_identities=2, seed=0, image_format='png')"
fi

UNPINNED=$REPO/tools/run_unpinned.py
ENV_CMD=("$PYTHON" "$REPO/tools/env_report.py" --out "$OUT/env.json")
# shellcheck disable=SC2206  # OPTIONS is a space-separated list
BENCH_CMD=("$PYTHON" "$REPO/tools/benchmark.py" "$CONFIG" --device "$DEVICE"
           --options $OPTIONS "${BENCH_ARGS[@]}" --out "$OUT/benchmark.json")
TRAIN_CMD=("$PYTHON" "$REPO/tools/train.py" "$OUT/smoke_config.py"
           --work-dir "$OUT/smoke_train" --amp)

if [ "$PRINT_ONLY" = 1 ]; then
    echo "${ENV_CMD[*]}"
    echo "${BENCH_CMD[*]}"
    echo "${TRAIN_CMD[*]}"
    exit 0
fi

mkdir -p "$OUT"
SUMMARY=$OUT/summary.txt
: > "$SUMMARY"

step() {  # step NAME LOG COMMAND...: run, log, record status and seconds
    local name=$1 log=$2 start status
    shift 2
    echo "== $name: $*" | tee -a "$SUMMARY"
    start=$(date +%s)
    set +e
    "$@" > "$log" 2>&1
    status=$?
    set -e
    echo "   exit $status after $(( $(date +%s) - start )) s, log $log" \
        | tee -a "$SUMMARY"
    return $status
}

if command -v nvidia-smi > /dev/null; then
    nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1 || true
fi
if ! step environment "$OUT/env.txt" "${ENV_CMD[@]}"; then
    # mmcv without its compiled ops (mmcv-lite) and NumPy 2 are enough for
    # RATE-Net through the launcher that bridges both.
    ENV_CMD=("$PYTHON" "$UNPINNED" "$REPO/tools/env_report.py"
             --out "$OUT/env_unpinned.json")
    if ! step environment_unpinned "$OUT/env_unpinned.txt" \
            "${ENV_CMD[@]}"; then
        echo "Some packages training needs do not import (see 'imports' in" \
            "$OUT/env_unpinned.json); benchmark and smoke training skipped." \
            | tee -a "$SUMMARY"
        exit 1
    fi
    echo "   the next steps run through tools/run_unpinned.py" \
        | tee -a "$SUMMARY"
    BENCH_CMD=("${BENCH_CMD[0]}" "$UNPINNED" "${BENCH_CMD[@]:1}")
    TRAIN_CMD=("${TRAIN_CMD[0]}" "$UNPINNED" "${TRAIN_CMD[@]:1}")
fi

if [ "$DEVICE" = cuda ] && ! "$PYTHON" -c \
        'import sys, torch; sys.exit(not torch.cuda.is_available())' \
        > /dev/null 2>&1; then
    # Without this the benchmark failed on CUDA and the smoke run trained the
    # paper model on the CPU for tens of minutes.
    echo "No CUDA device is visible (torch.cuda.is_available() is False):" \
        "this script times the GPU path. Run it where a GPU is, or check the" \
        "script here with --cpu-dry-run." | tee -a "$SUMMARY"
    exit 1
fi

FAILED=
step benchmark "$OUT/benchmark.txt" "${BENCH_CMD[@]}" || FAILED+=" benchmark"

cat > "$OUT/smoke_config.py" <<EOF
# Written by tools/gpu_check.sh: $CYCLES cycles of $(basename "$CONFIG") on a
# synthetic set, random VGG19 (no download), no validation.
_base_ = ['$CONFIG']
data_root = '$OUT/synthetic_data'
model = dict(perceptual_loss=dict(pretrained=None))
train_dataloader = dict(
    num_workers=2,
    persistent_workers=True,
    dataset=dict(data_root=data_root, synthetic=$SYNTHETIC))
train_cfg = dict(max_iters=$CYCLES, val_interval=$CYCLES)
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = None
test_cfg = None
test_evaluator = None
custom_hooks = [dict(type='RandomStateHook')]
default_hooks = dict(
    logger=dict(interval=5), checkpoint=dict(interval=$CYCLES))
EOF
step smoke_train "$OUT/smoke_train.txt" "${TRAIN_CMD[@]}" \
    || FAILED+=" smoke_train"

if [ -n "$FAILED" ]; then
    echo "FAILED:$FAILED; logs in $OUT" | tee -a "$SUMMARY"
    exit 1
fi
echo "all steps passed; paste $OUT/benchmark.txt into docs/benchmarks.md" \
    | tee -a "$SUMMARY"
