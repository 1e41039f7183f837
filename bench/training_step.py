"""Seconds per full fine-tuning step of the offline backbone, word embeddings trainable vs frozen.

Why training/ freezes the word embeddings on CPU: the backbone has ~118M parameters, 96M of
them in the 250,002 x 384 word embedding matrix. AdamW reads and writes that whole matrix and
its two moment buffers every step, while a batch of reviews touches a few hundred rows.

    python bench/training_step.py [--steps 6] [--batch 32]

Prints the mean step time of both variants (measured alternately in one run, on the same
batches of vader-movies snippets) and their ratio.
"""

import argparse
import statistics
import time

import torch
from transformers import DataCollatorWithPadding

from training.base import load_base, resolve_base
from training.data import load_data
from training.settings import TrainingSettings


def step_seconds(model, optimizer, batch) -> float:
    started = time.perf_counter()
    loss = model(**batch).loss
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    settings = TrainingSettings()
    examples, _ = load_data("vader-movies", settings.cache_dir())
    base = resolve_base(settings.base_model)
    collate = None
    variants = {}
    for frozen in (False, True):
        torch.manual_seed(0)
        model, tokenizer = load_base(base)
        model.train()
        model.get_input_embeddings().weight.requires_grad_(not frozen)
        trainable = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(trainable, lr=5e-5, weight_decay=0.01)
        collate = collate or DataCollatorWithPadding(tokenizer, pad_to_multiple_of=8)
        variants[frozen] = (model, optimizer, sum(p.numel() for p in trainable))
    times: dict[bool, list[float]] = {False: [], True: []}
    for step in range(args.steps + 1):
        texts = examples.texts[step * args.batch : (step + 1) * args.batch]
        labels = examples.labels[step * args.batch : (step + 1) * args.batch]
        encoded = tokenizer(texts, truncation=True, max_length=settings.max_length)
        batch = collate(
            [{"input_ids": ids, "labels": int(y)} for ids, y in zip(encoded["input_ids"], labels)]
        )
        for frozen, (model, optimizer, _) in variants.items():
            seconds = step_seconds(model, optimizer, batch)
            if step:  # the first step allocates the optimizer state
                times[frozen].append(seconds)
    print(
        f"torch threads: {torch.get_num_threads()}, batch {args.batch}, {args.steps} timed steps each"
    )
    for frozen in (False, True):
        print(
            f"word embeddings {'frozen   ' if frozen else 'trainable'}: {variants[frozen][2] / 1e6:6.1f}M trainable "
            f"parameters, {statistics.mean(times[frozen]):.3f} s/step (median {statistics.median(times[frozen]):.3f})"
        )
    print(
        f"speed-up from freezing: {statistics.mean(times[False]) / statistics.mean(times[True]):.2f}x"
    )


if __name__ == "__main__":
    main()
