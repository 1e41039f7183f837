#!/usr/bin/env bash
# On a GPU machine of the `device` tool: the GPU measurements of issues 13 and 14, from the kit
# that bench/device/pack.py split into parts (docs/device.md has the calls in order).
#
#   bash bench/device/measure.sh check      # which parts have landed; the machine's torch and GPU
#   bash bench/device/measure.sh worker     # the CUDA-graph tests, then bench/worker_throughput.py
#   bash bench/device/measure.sh worker4    # the same bench with 4 worker processes on the GPU
#                                           # (workerN: N processes; worker8 and so on)
#   bash bench/device/measure.sh finetune   # bench/full_finetune_bilingual.sh in bf16
#   bash bench/device/measure.sh average    # bench/full_finetune_average.sh in bf16 (English-only
#                                           # and bilingual fine-tunes, then their average)
#
# Order of effects: the parts carried by earlier calls stay in .device/ while the machine is
# warm; the first step that needs the kit checks every part against kit.sha256, unpacks them
# into $KIT_HOME (once), and builds the backbone there (once). Each step's output is copied
# under $OUT (at most 8 files come back): <step>.txt, and for finetune and average their
# metrics (and finetune's plots) as one archive. WORKER_ARGS and FINETUNE_ARGS replace the
# steps' default arguments (a CPU rehearsal uses them to run small). PROFILE=1 adds py-spy's
# samples of the workers' GIL-holding threads over the drain: <step>-gil.txt.
set -uo pipefail
cd "$(dirname "$0")/../.."
PARTS=.device
KIT_HOME=${KIT_HOME:-/tmp/reviewbot-kit}
OUT=${OUT:-$KIT_HOME/out}
DEVICE=${DEVICE:-cuda}
mkdir -p "$OUT"

report_machine() {
    nvidia-smi -L 2>/dev/null || echo "no nvidia-smi"
    python3 -c 'import sys, torch, transformers, tokenizers
print("python", sys.version.split()[0], "| torch", torch.__version__, "| transformers",
      transformers.__version__, "| tokenizers", tokenizers.__version__)
print("cuda:", torch.cuda.is_available() and torch.cuda.get_device_name(0),
      "| bf16:", torch.cuda.is_available() and torch.cuda.is_bf16_supported())'
    echo "cores: $(nproc)"
}

unpack_kit() {
    if [ -f "$KIT_HOME/.unpacked" ]; then return 0; fi
    if [ ! -f "$PARTS/kit.sha256" ] || ! (cd "$PARTS" && sha256sum --quiet -c kit.sha256); then
        echo "the kit is incomplete: carry each of .device/kit.tgz.part-* (one a call, the last"
        echo "with .device/kit.sha256) while the machine stays warm; present now:"
        ls -la "$PARTS" 2>/dev/null
        return 3
    fi
    mkdir -p "$KIT_HOME/bin"
    # The parts kit.sha256 names, in its order (a stray part from another pack is left out).
    (cd "$PARTS" && cat $(awk '{print $2}' kit.sha256)) | tar xz -C "$KIT_HOME" || return 3
    # The console script pip would have written: the repository itself is on PYTHONPATH.
    printf '#!/bin/sh\nexec python3 -c "from reviewbot.cli import app; app(prog_name=\\"reviewbot\\")" "$@"\n' \
        >"$KIT_HOME/bin/reviewbot"
    # The image promises python3 only; bench/full_finetune_bilingual.sh calls `python`.
    # (A script, not a link: a link to a venv's python3 would lose the venv.)
    command -v python >/dev/null || printf '#!/bin/sh\nexec python3 "$@"\n' >"$KIT_HOME/bin/python"
    chmod +x "$KIT_HOME/bin/"*
    touch "$KIT_HOME/.unpacked"
}

use_kit() {
    unpack_kit || exit 3
    export PYTHONPATH="$PWD:$KIT_HOME/site" REVIEWBOT_HOME="$KIT_HOME/home" PYTHONUNBUFFERED=1
    export PATH="$KIT_HOME/bin:$KIT_HOME/site/bin:$PATH"
    reviewbot model build-backbone || exit 4
}

step=${1:-check}
case "$step" in
check)
    report_machine | tee "$OUT/check.txt"
    ls -la "$PARTS" | tee -a "$OUT/check.txt"
    ;;
worker | worker[0-9]*)
    use_kit
    report_machine >"$OUT/$step.txt"
    if [ "$step" = worker ]; then
        python3 -m pytest tests/model/test_buckets.py -q -p no:cacheprovider 2>&1 | tail -5 \
            | tee -a "$OUT/$step.txt"
    fi
    processes=${step#worker}
    processes=${processes:-1}
    # PROFILE=1: py-spy's samples of the GIL-holding threads over the drain, as collapsed stacks.
    profile=()
    [ "${PROFILE:-0}" = 1 ] && profile=(--profile-gil "$OUT/$step-gil.txt")
    # shellcheck disable=SC2086
    python3 bench/worker_throughput.py --worker-processes "$processes" "${profile[@]}" \
        ${WORKER_ARGS:---device $DEVICE --shape base --reviews 50000 --single 300 --light 200} \
        2>&1 | tee -a "$OUT/$step.txt"
    ;;
finetune)
    use_kit
    report_machine >"$OUT/finetune.txt"
    # shellcheck disable=SC2086
    bash bench/full_finetune_bilingual.sh "$KIT_HOME/full-bilingual" ${FINETUNE_ARGS:-} \
        2>&1 | tee -a "$OUT/finetune.txt"
    # (EVALUATE=0 leaves no eval-* folders: archive what there is.)
    # shellcheck disable=SC2046
    (cd "$KIT_HOME/full-bilingual" && tar czf "$OUT/finetune-metrics.tgz" $(ls -d ./*.json eval-* plots 2>/dev/null))
    ;;
average)
    use_kit
    report_machine >"$OUT/average.txt"
    # shellcheck disable=SC2086
    bash bench/full_finetune_average.sh "$KIT_HOME/full-average" ${FINETUNE_ARGS:-} \
        2>&1 | tee -a "$OUT/average.txt"
    (cd "$KIT_HOME/full-average" && tar czf "$OUT/average-metrics.tgz" ./*/reviewbot.json)
    ;;
*)
    echo "unknown step $step: check, worker, workerN (N processes), finetune or average" >&2
    exit 2
    ;;
esac
