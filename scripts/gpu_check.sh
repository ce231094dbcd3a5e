#!/usr/bin/env bash
# GPU check of the transformer paths on one CUDA machine (about 3 minutes on an H100; each step has a time limit,
# 330 s in all):
#   1. python -m bench.benchmark --pool on CUDA: bf16 and fp32 (token-budget batches), each compared with
#      fp32 (largest probability difference, changed decisions), then bf16/fp32 with fixed 1024-sentence batches;
#   2. a 1-epoch MiniLM fine-tune on BABE (mixed precision), timed, with its fp32-reference metrics;
#   3. the MiniLM token tagger: 1 epoch on 300 BABE training documents, then prediction on the test split.
# Everything goes to $OUT (gpu_check.log, pool_budget.md, pool_fixed.md, finetune.json, tagger.json, env.txt).
#
# Run it through the wheels and data packed by shared/tools/device-prep.sh, in the project root:
#   ../shared/tools/device-prep.sh babe ptc-semeval2020-task11 szeged-uncertainty-wikiweasel basil
#   # wheels this check does not import, or that the device has already: keeps .device under 64 MiB
#   rm -f .device/whl/{ray,onnx,onnxruntime,grpcio,virtualenv,py_spy,openai,aiohttp,botocore,boto3,s3transfer}-*.whl
#   then, on the device, with carry [".device"] and timeout_s 480:  bash .device/run.sh bash scripts/gpu_check.sh
# The device's MiniLM has random weights (device-prep): its accuracy figures mean nothing, its speed does.
set -uo pipefail
OUT=${OUT:-/tmp/gpu_check}
mkdir -p "$OUT"
exec > >(tee -a "$OUT/gpu_check.log") 2>&1
WORK=$(mktemp -d /tmp/gpu_check.XXXXXX)
CACHE="$WORK/cache"
PY=${PYTHON:-python3}
# a dry run without a GPU: DEVICE=cpu POOL_LIMIT=200 JOB_ARGS="subset.eval=40 model.max_steps_per_epoch=2"
DEVICE=${DEVICE:-cuda}
POOL_ARGS=${POOL_LIMIT:+--pool-limit $POOL_LIMIT}
read -r -a JOB_EXTRA <<< "${JOB_ARGS:-}"
status=0
step() { echo; echo "=== [$(date +%T)] $*"; }
run() {  # run LIMIT_S CMD...: a step that may fail without stopping the others
  local limit=$1; shift
  timeout "$limit" "$@"
  local rc=$?
  [ $rc -eq 0 ] || { echo "!!! step failed with exit status $rc: $*"; status=1; }
  return 0
}

step "environment"
"$PY" - <<'PY' | tee "$OUT/env.txt"
import os, platform, torch, transformers
print("python", platform.python_version(), "torch", torch.__version__, "transformers", transformers.__version__)
print("cuda available:", torch.cuda.is_available())
if torch.cuda.is_available():
    print("device:", torch.cuda.get_device_name(0), "bf16:", torch.cuda.is_bf16_supported(), "cpus:", os.cpu_count())
print("NEWSBIAS_DATA_DIR:", os.environ.get("NEWSBIAS_DATA_DIR"), sorted(os.listdir(os.environ.get("NEWSBIAS_DATA_DIR", "."))))
PY
[ "$DEVICE" != cuda ] || "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" \
  || { echo "!!! no CUDA device: nothing to check"; exit 1; }

step "1a. sentence pool, token-budget batches: bf16 and fp32 against fp32"
run 100 "$PY" -m bench.benchmark --pool $POOL_ARGS --precisions bf16 fp32 --compare-fp32 --cache-dir "$CACHE" \
  "model.device=$DEVICE" > "$OUT/pool_budget.md"
cat "$OUT/pool_budget.md"

step "1b. sentence pool, fixed batches of 1024 sentences: bf16 and fp32"
run 60 "$PY" -m bench.benchmark --pool $POOL_ARGS --precisions bf16 fp32 --cache-dir "$CACHE" \
  "model.device=$DEVICE" model.max_tokens_per_batch=null model.batch_size=1024 > "$OUT/pool_fixed.md"
cat "$OUT/pool_fixed.md"

job() {  # job NAME LIMIT_S OVERRIDES...: one harness run; its metrics to $OUT/NAME.json
  local name=$1 limit=$2; shift 2
  local started=$(date +%s.%N)
  run "$limit" "$PY" -m bench corpus=babe task=loaded_language resume=false progress=false \
    "tracking.uri=sqlite:///$WORK/mlflow.db" "cache.dir=$CACHE" "hydra.run.dir=$WORK/$name" "model.device=$DEVICE" \
    "$@" "${JOB_EXTRA[@]}"
  local seconds=$("$PY" -c "import time; print(f'{time.time() - $started:.1f}')")
  "$PY" - "$WORK/$name/artifacts/metrics.json" "$OUT/$name.json" "$seconds" <<'PY'
import json, sys
source, target, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
try:
    metrics = json.load(open(source))
except OSError as exc:
    print(f"!!! no metrics ({exc})")
    sys.exit(0)
try:  # training metrics sit beside the saved model
    metrics.update(json.load(open(source.replace("metrics.json", "model/bench_training.json")))["metrics"])
except OSError:
    pass
keep = {k: v for k, v in metrics.items() if k.startswith(("train.", "inference.", "fp32_reference.", "sentence.",
                                                            "span."))}
keep["wall_seconds_whole_run"] = seconds
json.dump(keep, open(target, "w"), indent=2, sort_keys=True)
for key in ("train.seconds", "train.seconds_in_loop", "train.examples", "inference.seconds",
            "inference.documents_per_second", "sentence.f1", "span.overlap.f1",
            "fp32_reference.max_score_difference", "fp32_reference.changed_decisions",
            "fp32_reference.delta.sentence.f1", "wall_seconds_whole_run"):
    if key in keep:
        print(f"{key:42} {keep[key]}")
PY
}

step "2. MiniLM fine-tune on BABE, 1 epoch, mixed precision (bf16 autocast)"
job finetune 90 model=minilm model.epochs=1

step "3. MiniLM token tagger: 1 epoch on 300 training documents, predict the test split"
job tagger 80 model=minilm_tagger model.epochs=1 subset.train=300

step "done (exit status $status; outputs in $OUT)"
rm -rf "$WORK"
exit $status
