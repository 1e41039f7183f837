#!/usr/bin/env bash
# Issue 13's measurement of averaging: an English-only full fine-tune and the bilingual one
# (bench/full_finetune_bilingual.sh), trained on the same vader-movies rows, then averaged weight
# by weight by `reviewbot average` at an even share. docs/training.md ("The same rows for both,
# then averaged", and its second seed): the average keeps the bilingual run's Spanish, but over
# two seeds adds no English to it. 30-45 minutes on 2 CPU cores, minutes on a GPU.
#
#   bench/full_finetune_average.sh [OUT_DIR] [extra `reviewbot train` options for both runs]
#   SHARES="0.3 0.5 0.7" bench/full_finetune_average.sh ...  # the share validation F1 picks
#
# Writes OUT_DIR/english, OUT_DIR/bilingual and OUT_DIR/average (the one to serve), and prints
# each run's report and wall time. Both runs take the same --seed (the split follows it), so the
# average is validated and tested on rows neither parent trained on; `reviewbot average`
# refuses anything else.
set -euo pipefail
OUT=${1:-checkpoints/full-average}
shift || true
export REVIEWBOT=${REVIEWBOT:-reviewbot}
HELD_OUT=(es-movies-test en-movies-test es-movies-holdout en-movies-holdout)
SHARE_OPTIONS=()
for share in ${SHARES:-0.5}; do SHARE_OPTIONS+=(--share "$share"); done
start=$(date +%s)
"$REVIEWBOT" train --data vader-movies --out "$OUT/english" --overwrite --mode full --epochs 4 \
    --head-layers 3 --head-layer-step 3 "${HELD_OUT[@]/#/--also-evaluate=}" "$@"
echo "english: $(( $(date +%s) - start )) s"
EVALUATE=0 bash "$(dirname "$0")/full_finetune_bilingual.sh" "$OUT/bilingual" "$@"
echo "english + bilingual: $(( $(date +%s) - start )) s"
"$REVIEWBOT" average "$OUT/english" "$OUT/bilingual" --data vader-movies --data es-movies-dev \
    --data es-movies-train --data en-movies-train "${SHARE_OPTIONS[@]}" \
    "${HELD_OUT[@]/#/--also-evaluate=}" --out "$OUT/average" --overwrite
echo "wall time: $(( $(date +%s) - start )) s"
