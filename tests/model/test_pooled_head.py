"""A checkpoint with a pooled head and per-language thresholds: served as the folder says, the
encoder still a plain transformers folder; old one-threshold checkpoints load unchanged."""

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from model import CheckpointError, load
from model.checkpoint import META_FILE, CheckpointMeta, content_hash, read_meta, write_meta
from model.pooled_head import PooledHead, pool
from model.pooling import HEAD_FILE, Pooling
from reviewbot.messages import Language, Prediction

TEXTS = [
    "a great film with a moving story",
    "una película maravillosa, la recomiendo",
    "aburrida, lenta y sin ninguna gracia",
    "terrible",
    "predictable, loud and empty: a waste of two hours " * 3,
]


@pytest.fixture(scope="module")
def pooled_checkpoint(tiny_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny checkpoint's encoder alone, a random regression head, two language thresholds."""
    from transformers import AutoModel

    out = tmp_path_factory.mktemp("pooled") / "checkpoint"
    encoder = AutoModel.from_pretrained(tiny_checkpoint)
    encoder.save_pretrained(out)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        if (tiny_checkpoint / name).exists():
            shutil.copy(tiny_checkpoint / name, out / name)
    generator = torch.Generator().manual_seed(0)
    hidden = encoder.config.hidden_size
    PooledHead(torch.randn(2 * hidden, generator=generator) * 3, 0.1).save(out)
    write_meta(
        out,
        CheckpointMeta(
            threshold=0.5,
            thresholds={"en": 0.3, "es": 0.7},
            pooling=Pooling(prefix="query: ", layers=(-1, -2), normalize=True),
        ),
    )
    return out


def test_served_probabilities_are_the_pooled_regression(pooled_checkpoint):
    from transformers import AutoModel, AutoTokenizer

    classifier = load(pooled_checkpoint)
    served = np.array([p.p_positive for p in classifier.predict(TEXTS)])
    # By hand, from the folder with plain transformers: prefix, mean of the last two layers.
    tokenizer = AutoTokenizer.from_pretrained(pooled_checkpoint)
    encoder = AutoModel.from_pretrained(pooled_checkpoint).eval()
    head = PooledHead.load(pooled_checkpoint)
    expected = []
    for text in TEXTS:
        batch = tokenizer("query: " + text, return_tensors="pt")
        with torch.no_grad():
            states = encoder(**batch, output_hidden_states=True).hidden_states
            parts = [
                torch.nn.functional.normalize(states[layer][0].mean(0), dim=-1)
                for layer in (-1, -2)
            ]
            expected.append(float(head(torch.cat(parts)[None])[0]))
    np.testing.assert_allclose(served, np.round(expected, 4), atol=2e-4)


def test_each_language_is_decided_by_its_threshold(pooled_checkpoint):
    classifier = load(pooled_checkpoint)
    for prediction in classifier.predict(TEXTS):
        expected = {Language.EN: (0.3, "en"), Language.ES: (0.7, "es")}.get(
            prediction.language, (0.5, "overall")
        )
        assert (prediction.threshold, prediction.threshold_scope) == expected
        assert (prediction.label == "positive") == (prediction.p_positive >= prediction.threshold)


def test_the_prefix_is_not_counted_as_the_reviews_tokens(pooled_checkpoint, tiny_checkpoint):
    pooled, plain = load(pooled_checkpoint), load(tiny_checkpoint)
    assert [p.n_tokens for p in pooled.predict(TEXTS)] == [p.n_tokens for p in plain.predict(TEXTS)]


def test_pooling_masks_padding():
    states = torch.tensor([[[1.0, 0.0], [3.0, 0.0], [100.0, 100.0]]])
    mask = torch.tensor([[1, 1, 0]])
    pooled = pool((states,), mask, Pooling(layers=(-1,), normalize=False))
    assert pooled.tolist() == [[2.0, 0.0]]


def test_a_missing_head_file_is_named(pooled_checkpoint, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(pooled_checkpoint, broken)
    (broken / HEAD_FILE).unlink()
    with pytest.raises(CheckpointError, match=HEAD_FILE):
        load(broken)


def test_a_language_threshold_outside_the_unit_interval_is_refused(pooled_checkpoint, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(pooled_checkpoint, broken)
    meta = json.loads((broken / META_FILE).read_text())
    meta["thresholds"]["es"] = 1.5
    (broken / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="threshold es 1.5"):
        load(broken)


def test_a_one_threshold_checkpoint_keeps_its_version(tiny_checkpoint):
    """The version formula of checkpoints from before per-language thresholds and pooling."""
    meta = read_meta(tiny_checkpoint)
    assert meta.thresholds == {} and meta.pooling is None
    digest = hashlib.sha256()
    for name in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"):
        if (tiny_checkpoint / name).is_file():
            digest.update(name.encode())
            digest.update((tiny_checkpoint / name).read_bytes())
    digest.update(f"threshold={meta.threshold:.6f}".encode())
    old_hash = f"sha256:{digest.hexdigest()}"
    assert content_hash(tiny_checkpoint, meta) == old_hash
    short = hashlib.sha256(f"{old_hash}|{meta.threshold:.6f}".encode()).hexdigest()[:12]
    assert load(tiny_checkpoint).version == f"{tiny_checkpoint.name}-{short}"


def test_a_prediction_payload_without_a_threshold_scope_reads_as_overall():
    old = {
        "label": "positive", "p_positive": 0.9, "threshold": 0.48, "language": "es",
        "n_tokens": 5, "truncated": False, "model_version": "v1",
    }  # fmt: skip
    assert Prediction.model_validate_json(json.dumps(old)).threshold_scope == "overall"
