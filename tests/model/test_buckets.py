"""Fixed-shape buckets (the CUDA-graph path), run eagerly on the CPU over the same buffers."""

from pathlib import Path

import numpy as np
import pytest
import torch

from model import ModelSettings, load
from model.buckets import MIN_ROWS, BucketRunner, bucket_rows, bucket_widths
from tests.model.test_classifier import TEXTS


@pytest.fixture(scope="module")
def classifier(tiny_checkpoint: Path):
    return load(tiny_checkpoint, ModelSettings(device="cpu", max_length=64))


def runner_for(classifier, max_rows: int = 256, max_tokens: int = 16384) -> BucketRunner:
    return BucketRunner(
        classifier._forward,
        classifier.device,
        classifier.pad_id,
        classifier.settings.max_length,
        max_rows,
        max_tokens,
    )


def test_bucket_shapes_cover_every_length_within_the_token_budget():
    assert bucket_widths(256) == [16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256]
    assert bucket_widths(100)[-1] == 104  # max_length rounded up to a multiple of 8
    assert bucket_rows(64, 256, 16384) == [8, 16, 32, 64, 128, 256]
    assert bucket_rows(256, 256, 16384) == [8, 16, 32, 64]
    assert bucket_rows(160, 256, 16384) == [8, 16, 32, 64, 102]  # the budget itself
    for width in bucket_widths(256):
        assert all(rows * width <= 16384 for rows in bucket_rows(width, 256, 16384))


def test_passes_fill_buckets_and_keep_every_review_once(classifier):
    runner = runner_for(classifier, max_rows=16, max_tokens=1024)
    lengths = [5, 60, 17, 3, 33, 64, 9] * 10
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    passes = runner.passes(lengths, order)
    assert sorted(i for chunk in passes for i in chunk) == list(range(len(lengths)))
    for chunk in passes:
        rows, width = runner.shape_for(len(chunk), max(lengths[i] for i in chunk))
        assert len(chunk) <= rows and rows * width <= 1024


def test_bucketed_scores_match_the_plain_path_and_keep_the_labels(classifier):
    encoded = classifier.encode(TEXTS)
    plain = classifier.probabilities(encoded.ids)
    runner = runner_for(classifier, max_rows=32, max_tokens=2048)
    bucketed = runner.probabilities(encoded.ids)
    np.testing.assert_allclose(bucketed, plain, atol=1e-5)
    decide = classifier.decide
    for p, q, language in zip(plain, bucketed, encoded.languages, strict=True):
        assert decide(p, language, 1, False).label == decide(q, language, 1, False).label
    # a lone review (padded to MIN_ROWS rows) scores as it does in a batch
    alone = runner.probabilities(encoded.ids[:1])
    assert abs(alone[0] - bucketed[0]) < 1e-5
    assert runner.shape_for(1, len(encoded.ids[0]))[0] == MIN_ROWS


def test_buffers_are_allocated_once_per_bucket(classifier):
    runner = runner_for(classifier)
    ids = classifier.encode(TEXTS[:8]).ids
    runner.probabilities(ids)
    buffers = {shape: bucket.host_ids.data_ptr() for shape, bucket in runner.buckets.items()}
    runner.probabilities(ids)
    assert {s: b.host_ids.data_ptr() for s, b in runner.buckets.items()} == buffers


def test_on_the_cpu_no_graph_is_captured_and_passes_stay_eager(classifier):
    assert classifier.buckets is None  # the CUDA path is only built on a GPU
    classifier.warmup()
    assert classifier.predict(["a great film"])[0].p_positive >= 0


def test_a_failed_capture_falls_back_to_eager_passes(tiny_checkpoint, caplog):
    classifier = load(tiny_checkpoint, ModelSettings(device="cpu", max_length=64))
    runner = runner_for(classifier)

    def broken() -> None:
        raise RuntimeError("operation not permitted when stream is capturing")

    runner.capture = broken
    classifier.buckets = runner
    before = classifier.predict(TEXTS[:4])
    classifier.warmup()
    assert classifier.buckets is None
    assert "CUDA graphs not captured" in caplog.text
    assert classifier.predict(TEXTS[:4]) == before


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_graphs_give_the_eager_labels(tiny_checkpoint):
    eager = load(tiny_checkpoint, ModelSettings(device="cuda", cuda_graphs=False))
    graphs = load(tiny_checkpoint, ModelSettings(device="cuda"))
    graphs.warmup()
    assert graphs.buckets is not None and graphs.buckets.captured
    a, b = eager.predict(TEXTS), graphs.predict(TEXTS)
    # bf16: p may move by ~1e-3 between shapes (model/buckets.py); labels away from it agree
    for x, y in zip(a, b, strict=True):
        assert abs(x.p_positive - y.p_positive) < 2e-2
        if abs(x.p_positive - x.threshold) > 2e-2:
            assert x.label == y.label
