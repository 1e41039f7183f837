"""CPU (or GPU) throughput of `model.load(...).predict` on the offline backbone with a random head.

Builds a checkpoint folder from the multilingual-e5-small backbone
(AutoModelForSequenceClassification with a fresh 2-label head + save_pretrained + reviewbot.json),
then classifies N short reviews
(i) in one `predict` call (sorted, length-bucketed batches) and (ii) one review per call, the
baseline, measured in the same run on the same classifier.

    python bench/model_predict.py                      # 1,000 reviews, backbone from REVIEWBOT_HOME
    python bench/model_predict.py --reviews 5000 --single 200 --backbone /path/to/backbone
"""

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

OPENERS_EN = ["Honestly,", "I think", "Overall", "To be fair,", "Well,", ""]
BODIES_EN = [
    "a great film with a moving story",
    "the worst movie I have seen this year",
    "boring, predictable and far too long",
    "charming performances but a thin plot",
    "an instant classic, funny and smart",
    "loud, empty and a waste of two hours",
    "the soundtrack is wonderful and the photography gorgeous",
    "wooden acting and terrible dialogue",
]
OPENERS_ES = ["Sinceramente,", "Creo que es", "En general,", "La verdad,", ""]
BODIES_ES = [
    "una película maravillosa, la recomiendo",
    "aburrida, lenta y sin ninguna gracia",
    "el guion es flojo pero los actores están geniales",
    "me encantó la música y la fotografía",
    "un desastre total, no la vean",
]
ENDINGS = ["", "!", "...", " 10/10", " 😍", " 👎", ". Would not watch again.", ". ¡Qué bien!"]


def short_reviews(n: int, seed: int = 0) -> list[str]:
    """N short EN/ES reviews of one to three clauses (about 8-40 tokens)."""
    rng = random.Random(seed)
    reviews = []
    for _ in range(n):
        spanish = rng.random() < 0.4
        openers, bodies = (OPENERS_ES, BODIES_ES) if spanish else (OPENERS_EN, BODIES_EN)
        clauses = rng.sample(bodies, rng.randint(1, 3))
        text = f"{rng.choice(openers)} {', '.join(clauses)}{rng.choice(ENDINGS)}"
        reviews.append(text.strip())
    return reviews


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviews", type=int, default=1000, help="reviews in the batched run")
    parser.add_argument("--single", type=int, default=1000, help="reviews in the 1-by-1 baseline")
    parser.add_argument(
        "--backbone", type=Path, help="backbone folder [default: build or reuse the cached one]"
    )
    parser.add_argument("--device", default="cpu", help="cpu, cuda, auto")
    args = parser.parse_args()

    import torch
    from transformers.utils import logging as hf_logging

    from model import ModelSettings, load
    from model.backbone import build_backbone, random_head_checkpoint

    hf_logging.disable_progress_bar()
    backbone = args.backbone or build_backbone()
    reviews = short_reviews(args.reviews)
    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = random_head_checkpoint(backbone, Path(tmp) / "e5-random-head")
        classifier = load(checkpoint, ModelSettings(device=args.device))
        print(f"device {classifier.device}, torch threads {torch.get_num_threads()}")
        classifier.predict(reviews[:64])  # warm up kernels and the language detector

        started = time.perf_counter()
        encoded = classifier.encode(reviews)
        encoded_at = time.perf_counter()
        predictions = classifier.score(encoded)
        batched = time.perf_counter() - started
        assert len(predictions) == len(reviews)
        tokens = encoded.n_tokens
        print(
            f"reviews {len(reviews)}, tokens mean {statistics.mean(tokens):.1f} "
            f"max {max(tokens)}, positive {sum(p.label == 'positive' for p in predictions)}"
        )
        print(
            f"batched predict: {len(reviews) / batched:8.1f} reviews/s  ({batched:.2f} s; "
            f"encode {encoded_at - started:.2f} s, score {batched - (encoded_at - started):.2f} s)"
        )

        latencies = []
        for text in reviews[: args.single]:
            started = time.perf_counter()
            classifier.predict([text])
            latencies.append(time.perf_counter() - started)
        single = len(latencies) / sum(latencies)
        p50, p95, p99 = (percentile(latencies, q) * 1e3 for q in (50, 95, 99))
        print(
            f"one at a time:   {single:8.1f} reviews/s  "
            f"(latency p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms)"
        )
        print(f"batched / one-at-a-time: {len(reviews) / batched / single:.1f}x")


if __name__ == "__main__":
    main()
