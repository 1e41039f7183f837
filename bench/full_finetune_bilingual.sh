#!/usr/bin/env bash
# Full fine-tune of the offline backbone on English + Spanish movie reviews, then the per-language
# measurement on the held-out review sets. Meant for a GPU: training/ picks bf16 on GPUs that
# support it (fp16 otherwise, fp32 on a CPU, where this takes hours; see docs/training.md).
#
#   bench/full_finetune_bilingual.sh [OUT_DIR] [extra `reviewbot train` options...]
#   EVALUATE=0 bench/full_finetune_bilingual.sh ...   # without the per-set evaluations
#
# Trains on vader-movies and the written chat-style sets (each of their rows repeated twice), with
# the default checkpoint's pooled head (last, 4th and 7th layer from the top) fitted first and
# then fine-tuned with the encoder, as the CPU run in docs/training.md did. Prints the training
# report, the wall time, and `reviewbot evaluate` on the held-out sets and evomsa-es
# (per-language tables, reliability diagrams under OUT_DIR/eval-*).
set -euo pipefail
OUT=${1:-checkpoints/full-bilingual}
shift || true
REVIEWBOT=${REVIEWBOT:-reviewbot}
python -c 'import torch; print("device:", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
           "| bf16:", torch.cuda.is_available() and torch.cuda.is_bf16_supported())'
start=$(date +%s)
HELD_OUT=(es-movies-test en-movies-test es-movies-holdout en-movies-holdout evomsa-es)
"$REVIEWBOT" train --data vader-movies --data es-movies-dev --data es-movies-train \
    --data en-movies-train --data-weight es-movies-dev=2 --data-weight es-movies-train=2 \
    --data-weight en-movies-train=2 --out "$OUT" --overwrite --mode full --epochs 4 \
    --head-layers 3 --head-layer-step 3 \
    "${HELD_OUT[@]/#/--also-evaluate=}" "$@"
echo "wall time: $(( $(date +%s) - start )) s"
# EVALUATE=0: the training report's tables only (they score every held-out set too), without
# the per-set runs of `reviewbot evaluate` and their plots (~30 s each on an H100, mostly loading).
[ "${EVALUATE:-1}" = 0 ] && exit 0
for data in "${HELD_OUT[@]}"; do
    "$REVIEWBOT" evaluate "$OUT" --data "$data" --plots "$OUT/eval-$data" --json "$OUT/eval-$data.json"
done
