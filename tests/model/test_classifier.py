import json
import shutil
from pathlib import Path

import pytest

from model import CheckpointError, ModelSettings, load
from model.checkpoint import META_FILE
from model.classifier import padded_length, plan_batches
from reviewbot.messages import Label, Language

TEXTS = [
    "a great film with a moving story",
    "boring",
    "the worst movie I have seen this year, far too long and with wooden acting everywhere",
    "una película maravillosa, la recomiendo",
    "aburrida, lenta y sin ninguna gracia; no la vean, de verdad, es un desastre total",
    "ok",
    "predictable, loud and empty: a waste of two hours " * 3,
    "me encantó",
    "charming performances but a thin plot",
    "terrible",
] * 8


@pytest.fixture(scope="module")
def classifier(tiny_checkpoint: Path):
    return load(tiny_checkpoint)


def test_loads_threshold_and_version(classifier, tiny_checkpoint):
    assert classifier.threshold == 0.48
    assert classifier.version.startswith(tiny_checkpoint.name + "-")
    assert load(tiny_checkpoint).version == classifier.version


def test_prediction_fields(classifier):
    [prediction] = classifier.predict(["a great film with a moving story"])
    assert prediction.label == (
        Label.POSITIVE if prediction.p_positive >= prediction.threshold else Label.NEGATIVE
    )
    assert 0.0 <= prediction.p_positive <= 1.0
    assert prediction.language == Language.EN
    assert prediction.n_tokens == len(
        classifier.tokenizer("a great film with a moving story")["input_ids"]
    )
    assert not prediction.truncated
    assert prediction.model_version == classifier.version


def test_same_label_alone_and_batched_near_the_threshold(tiny_checkpoint):
    """Put the threshold in the middle of the scores so that many reviews sit right at it."""
    classifier = load(tiny_checkpoint, ModelSettings(max_batch_tokens=512, max_batch_requests=7))
    batched = classifier.predict(TEXTS)
    scores = sorted(prediction.p_positive for prediction in batched)
    classifier.threshold = scores[len(scores) // 2]
    batched = classifier.predict(TEXTS)
    alone = [classifier.predict([text])[0] for text in TEXTS]
    assert {p.label for p in batched} == {Label.POSITIVE, Label.NEGATIVE}
    assert sum(abs(p.p_positive - classifier.threshold) < 1e-3 for p in batched) >= 5
    assert [p.label for p in alone] == [p.label for p in batched]
    assert max(abs(a.p_positive - b.p_positive) for a, b in zip(alone, batched)) < 1e-4


def test_order_of_results_follows_input_despite_sorting(classifier):
    texts = TEXTS[:10]
    forward = classifier.predict(texts)
    backward = classifier.predict(texts[::-1])
    assert [p.p_positive for p in backward] == [p.p_positive for p in forward][::-1]


def test_truncates_long_reviews_and_flags_them(tiny_checkpoint):
    classifier = load(tiny_checkpoint, ModelSettings(max_length=16))
    long_text = "a great film with a moving story " * 20
    encoded = classifier.encode([long_text, "boring"])
    assert len(encoded.ids[0]) == 16
    assert encoded.ids[0][0] == classifier.tokenizer.bos_token_id
    assert encoded.ids[0][-1] == classifier.tokenizer.eos_token_id
    assert encoded.n_tokens[0] > 16
    assert encoded.truncated == [True, False]
    [prediction, _] = classifier.score(encoded)
    assert prediction.truncated and prediction.n_tokens == encoded.n_tokens[0]


def test_plan_batches_respects_budgets_and_sorts():
    lengths = [40, 3, 17, 250, 9, 64, 33, 8]
    plan = plan_batches(lengths, max_tokens=128, max_requests=3)
    assert sorted(i for batch in plan for i in batch) == list(range(len(lengths)))
    flat = [lengths[i] for batch in plan for i in batch]
    assert flat == sorted(lengths)
    for batch in plan:
        assert len(batch) <= 3
        assert len(batch) == 1 or len(batch) * padded_length(max(lengths[i] for i in batch)) <= 128


def test_padded_length_is_a_multiple_of_eight():
    assert [padded_length(n) for n in (1, 8, 9, 16, 17)] == [8, 8, 16, 16, 24]


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist") as error:
        load(tmp_path / "nope")
    assert str(tmp_path / "nope") in str(error.value)


@pytest.mark.parametrize(
    ("remove", "problem"),
    [
        ("config.json", "no config.json"),
        ("model.safetensors", "no model weights"),
        ("tokenizer.json", "no tokenizer"),
    ],
)
def test_incomplete_folder_is_named(tiny_checkpoint, tmp_path, remove, problem):
    folder = _copy(tiny_checkpoint, tmp_path / "ckpt")
    (folder / remove).unlink()
    with pytest.raises(CheckpointError, match=problem) as error:
        load(folder)
    assert str(folder) in str(error.value)


@pytest.mark.parametrize("threshold", [0.0, 1.0, 1.5, -0.2])
def test_threshold_outside_unit_interval_is_refused(tiny_checkpoint, tmp_path, threshold):
    folder = _copy(tiny_checkpoint, tmp_path / "ckpt")
    (folder / META_FILE).write_text(json.dumps({"threshold": threshold}))
    with pytest.raises(CheckpointError, match="outside \\(0, 1\\)") as error:
        load(folder)
    assert META_FILE in str(error.value)


def test_missing_meta_defaults_to_half_with_a_warning(tiny_checkpoint, tmp_path, caplog):
    folder = _copy(tiny_checkpoint, tmp_path / "ckpt")
    (folder / META_FILE).unlink()
    assert load(folder).threshold == 0.5
    assert "default threshold" in caplog.text


def test_tokenizer_model_mismatch_is_named(tiny_checkpoint, tmp_path):
    folder = _copy(tiny_checkpoint, tmp_path / "ckpt")
    config = json.loads((folder / "config.json").read_text())
    config["vocab_size"] = 50
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="mismatch|could not be loaded"):
        load(folder)
