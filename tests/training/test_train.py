"""End to end on tiny random models: the checkpoint `reviewbot train` writes is what model/ serves."""

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv
import pytest

from model import load
from model.checkpoint import content_hash, read_meta
from training.data import load_data
from training.errors import DataError
from training.evaluate import evaluate
from training.settings import TrainingSettings
from training.splits import split
from training.train import train

from .conftest import review_rows


@pytest.fixture(scope="module")
def tiny_bert_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random BERT (the backbone's architecture, with a pooler) and a tokenizer."""
    import torch
    from transformers import BertConfig, BertModel

    from model.tiny import train_tokenizer

    torch.manual_seed(0)
    tokenizer = train_tokenizer()
    config = BertConfig(
        vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=64, max_position_embeddings=512, pad_token_id=tokenizer.pad_token_id,
    )  # fmt: skip
    out = tmp_path_factory.mktemp("tiny-bert")
    BertModel(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def _settings(base: Path, tmp_path: Path, **overrides) -> TrainingSettings:
    values = {
        "base_model": str(base),
        "data_cache": tmp_path / "cache",
        "head_epochs": 40,
        "val_fraction": 0.2,
        "test_fraction": 0.25,
    }
    return TrainingSettings(**(values | overrides))


@pytest.mark.parametrize("base", ["tiny_bert_base", "tiny_checkpoint"])
def test_head_mode_checkpoint_serves_the_fitted_head(
    base: str, request: pytest.FixtureRequest, reviews_csv: Path, tmp_path: Path
) -> None:
    result = train(
        str(reviews_csv), tmp_path / "out", _settings(request.getfixturevalue(base), tmp_path)
    )
    # The head fitted on cached embeddings and the saved model served end to end agree.
    np.testing.assert_allclose(result.head_validation_p, result.served_validation_p, atol=1e-5)
    classifier = load(result.path)
    meta = read_meta(result.path)
    assert classifier.threshold == meta.threshold == result.meta.threshold
    assert classifier.model.config.id2label == {0: "NEGATIVE", 1: "POSITIVE"}
    extra = meta.model_extra
    assert extra["data"]["columns"] == {
        "text": "review_content",
        "label": "review_type",
        "group": "rotten_tomatoes_link",
    }
    assert extra["splits"]["kind"] == "by group"
    assert extra["content_hash"] == content_hash(result.path, meta)
    for name in ("accuracy", "f1", "precision", "recall", "roc_auc", "confusion_matrix"):
        assert (
            name in meta.metrics["test"]["at_threshold"] and name in meta.metrics["test"]["at_0.5"]
        )
    assert set(meta.metrics["test"]["per_language"]) <= {"en", "es", "other"}
    for plot in extra["plots"]:
        assert (result.path / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (tmp_path / "out.partial").exists()
    # A worker container running as another user can read a mounted checkpoint.
    assert all(f.stat().st_mode & 0o444 == 0o444 for f in result.path.rglob("*") if f.is_file())


def test_head_layer_step_picks_every_nth_layer_down_from_the_last(
    tiny_bert_base: Path, reviews_csv: Path, tmp_path: Path
) -> None:
    settings = _settings(tiny_bert_base, tmp_path, head_layers=2, head_layer_step=2)
    result = train(str(reviews_csv), tmp_path / "out", settings)
    assert read_meta(result.path).pooling.layers == (-1, -3)  # of 3 hidden states
    np.testing.assert_allclose(result.head_validation_p, result.served_validation_p, atol=1e-5)

    too_deep = _settings(tiny_bert_base, tmp_path, head_layers=2, head_layer_step=3)
    with pytest.raises(DataError, match="reaches 4 layers down; the base model has 3"):
        train(str(reviews_csv), tmp_path / "deep", too_deep)
    assert not (tmp_path / "deep").exists()


def test_threshold_is_chosen_on_validation_only(tiny_checkpoint: Path, tmp_path: Path) -> None:
    """Flipping every test label changes the test metrics but not the threshold."""
    rows = review_rows()
    settings = _settings(tiny_checkpoint, tmp_path)
    examples, _ = load_data(_csv(tmp_path / "a.csv", rows), tmp_path)
    splits, _ = split(examples, settings.val_fraction, settings.test_fraction, settings.seed)
    test_movies = set(splits.test.groups)
    flipped = [
        row | {"review_type": {"Fresh": "Rotten", "Rotten": "Fresh"}[row["review_type"]]}
        if row["rotten_tomatoes_link"] in test_movies
        else row
        for row in rows
    ]
    first = train(str(tmp_path / "a.csv"), tmp_path / "first", settings)
    second = train(_csv(tmp_path / "b.csv", flipped), tmp_path / "second", settings)
    assert first.meta.threshold == second.meta.threshold
    one, two = (r.meta.metrics["test"]["at_threshold"] for r in (first, second))
    assert one["n"] == two["n"] == len(splits.test)
    assert one["accuracy"] + two["accuracy"] == pytest.approx(1.0)


def test_evaluate_recomputes_the_stored_test_metrics(
    tiny_checkpoint: Path, reviews_csv: Path, tmp_path: Path
) -> None:
    settings = _settings(tiny_checkpoint, tmp_path)
    result = train(str(reviews_csv), tmp_path / "out", settings)
    examples, _ = load_data(reviews_csv, tmp_path)
    splits, _ = split(examples, settings.val_fraction, settings.test_fraction, settings.seed)
    test_rows = [
        {"text": t, "label": int(y)}
        for t, y in zip(splits.test.texts, splits.test.labels, strict=True)
    ]
    measured = evaluate(
        result.path, _csv(tmp_path / "test.csv", test_rows), settings, plots_dir=tmp_path / "plots"
    )
    assert measured["at_threshold"] == result.meta.metrics["test"]["at_threshold"]
    assert all(Path(plot).is_file() for plot in measured["plots"])


@pytest.mark.parametrize("pooling", ["first-token", "mean"])
def test_full_mode_fine_tunes_and_keeps_the_best_checkpoint(
    pooling: str, tiny_checkpoint: Path, reviews_csv: Path, tmp_path: Path
) -> None:
    from sklearn.metrics import f1_score

    settings = _settings(
        tiny_checkpoint, tmp_path, mode="full", epochs=2, batch_size=16, learning_rate=1e-3,
        head_pooling=pooling, head_layers=2,
    )  # fmt: skip
    result = train(str(reviews_csv), tmp_path / "out", settings)
    training = result.meta.model_extra["training"]
    assert training["mode"] == "full" and training["head_pooling"] == pooling
    assert training["precision"] == "fp32"  # CPU
    assert training["frozen_word_embeddings"] is True  # auto on CPU
    evaluations = [entry for entry in training["log_history"] if "eval_f1" in entry]
    assert training["best_validation_f1"] == max(entry["eval_f1"] for entry in evaluations)
    assert training["best_step"] in [entry["step"] for entry in evaluations]
    # The saved folder is the best round's model: served, it scores that round's F1 again.
    examples, _ = load_data(reviews_csv, tmp_path)
    validation = split(examples, settings.val_fraction, settings.test_fraction, settings.seed)[0]
    served_f1 = f1_score(validation.validation.labels, result.served_validation_p >= 0.5)
    assert served_f1 == pytest.approx(training["best_validation_f1"], abs=1e-6)
    classifier = load(result.path)
    assert classifier.threshold == result.meta.threshold
    assert not any(result.path.glob("checkpoint-*")) and not (result.path / "trainer").exists()
    if pooling == "first-token":
        assert classifier.head is None and result.meta.pooling is None
        return
    # The pooled head fitted on the frozen encoder first, then trained with it; served as a
    # head-mode checkpoint is (its pooling stored, the encoder a plain transformers folder).
    assert training["linear_probe"]["head"] == "logistic regression"
    assert classifier.head is not None and result.meta.pooling.layers == (-1, -2)
    base = load(tiny_checkpoint).model.base_model.state_dict()
    tuned = classifier.model.state_dict()
    moved = [k for k in tuned if k in base and not torch_equal(tuned[k], base[k])]
    assert any("encoder.layer.1" in k for k in moved)


def _scored_reviews(path: Path) -> Path:
    """The review rows with a rater-style mean score instead of fresh/rotten: +-0.6 to +-3.4."""
    rows = [
        {"text": row["review_content"], "score": (1 if row["review_type"] == "Fresh" else -1)
         * (0.6 + (i % 5) * 0.7)}
        for i, row in enumerate(review_rows())
    ]  # fmt: skip
    pyarrow.csv.write_csv(pa.Table.from_pylist(rows), path)
    return path


def test_full_mode_trains_score_rows_towards_soft_targets(
    tiny_checkpoint: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = str(_scored_reviews(tmp_path / "scored.csv"))
    runs = {}
    for pooling, slope in (("mean", 0.0), ("mean", 1.2), ("first-token", 1.2)):
        settings = _settings(
            tiny_checkpoint, tmp_path, mode="full", epochs=1, batch_size=16, learning_rate=1e-3,
            head_pooling=pooling, score_target_slope=slope,
        )  # fmt: skip
        result = train(data, tmp_path / f"{pooling}-{slope}", settings)
        runs[pooling, slope] = result.meta.model_extra["training"]
    hard, soft, first_token = runs["mean", 0.0], runs["mean", 1.2], runs["first-token", 1.2]
    assert (hard["soft_targets"], soft["soft_targets"]) == (False, True)
    assert soft["settings"]["score_target_slope"] == 1.2  # recorded with the other settings
    # Same seed, rows and order: only the targets differ, so the training loss does.
    losses = [[e["loss"] for e in run["log_history"] if "loss" in e] for run in (hard, soft)]
    assert losses[0] and losses[0] != losses[1]
    # The first-token head's two-class loss takes 0/1: the slope is not applied, and says so.
    assert first_token["soft_targets"] is False
    assert "score_target_slope ignored: the first-token head" in caplog.text


def torch_equal(a, b) -> bool:
    import torch

    return a.shape == b.shape and bool(torch.equal(a, b))


def test_an_existing_output_is_not_replaced_without_overwrite(
    tiny_checkpoint: Path, reviews_csv: Path, tmp_path: Path
) -> None:
    from training.errors import DataError

    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    with pytest.raises(DataError, match="--overwrite"):
        train(str(reviews_csv), tmp_path / "out", _settings(tiny_checkpoint, tmp_path))
    assert (tmp_path / "out" / "keep.txt").read_text() == "mine"


def _csv(path: Path, rows: list[dict]) -> Path:
    pyarrow.csv.write_csv(pa.Table.from_pylist(rows), path)
    return path


def test_an_unavailable_extra_dataset_is_reported_not_fatal(
    tiny_checkpoint: Path, reviews_csv: Path, tmp_path: Path
) -> None:
    result = train(
        str(reviews_csv),
        tmp_path / "out",
        _settings(tiny_checkpoint, tmp_path),
        also_evaluate=(str(tmp_path / "gone.csv"),),
    )
    assert "does not exist" in result.meta.metrics["extra"][str(tmp_path / "gone.csv")]["error"]
    assert load(result.path).threshold == result.meta.threshold


def test_a_failed_run_leaves_nothing_behind(tiny_checkpoint: Path, tmp_path: Path) -> None:
    from training.errors import DataError

    rows = [{"text": f"review {i}", "label": ["great", "awful", "meh"][i % 3]} for i in range(30)]
    with pytest.raises(DataError, match="--label-mapping"):
        train(
            str(_csv(tmp_path / "bad.csv", rows)),
            tmp_path / "out",
            _settings(tiny_checkpoint, tmp_path),
        )
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.partial").exists()


def test_several_sources_keep_their_share_and_weights_reach_the_head(
    tiny_checkpoint: Path, tmp_path: Path
) -> None:
    """English and Spanish files trained together: each split holds both in proportion; a
    weight on the Spanish source is recorded and changes the fitted head."""
    from training.train import DataOptions

    english = [r for r in review_rows(20, 4) if not any(w in r["review_content"] for w in "ñá")]
    spanish = [
        {"text": f"{text} (reseña {i})", "label": int(positive)}
        for i in range(30)
        for text, positive in (("una película maravillosa", True), ("aburrida y lenta", False))
    ]
    sources = [str(_csv(tmp_path / "en.csv", english)), str(_csv(tmp_path / "es.csv", spanish))]
    settings = _settings(tiny_checkpoint, tmp_path)
    plain = train(sources, tmp_path / "plain", settings)
    weighted = train(
        sources, tmp_path / "weighted", settings, DataOptions(source_weights=((sources[1], 10.0),))
    )
    parts = weighted.meta.model_extra["data"]["parts"]
    assert [part["source"] for part in parts] == sources
    assert weighted.meta.model_extra["training"]["source_weights"] == {sources[1]: 10.0}
    assert not np.allclose(plain.served_validation_p, weighted.served_validation_p)
    # Each source's own test rows are measured too, at the chosen thresholds.
    test = weighted.meta.metrics["test"]
    assert list(test["per_source"]) == sources
    assert sum(part["n"] for part in test["per_source"].values()) == test["at_threshold"]["n"]
    with pytest.raises(DataError, match="not among the --data sources"):
        train(sources, tmp_path / "bad", settings, DataOptions(source_weights=(("nope", 2.0),)))


def test_other_modes_repeat_a_weighted_sources_training_rows() -> None:
    from training.data import Examples
    from training.train import repeat_weighted, row_weights

    examples = Examples(
        ["a", "b", "c"], np.array([1, 0, 1]), sources=["english.csv", "spanish.csv", "spanish.csv"]
    )
    weights = {"spanish.csv": 2.5}
    assert row_weights(examples, weights).tolist() == [1.0, 2.5, 2.5]
    repeated = repeat_weighted(examples, weights)
    # Each Spanish row twice, and one of the two (half of them) a third time.
    assert repeated.texts.count("a") == 1
    assert sorted([repeated.texts.count("b"), repeated.texts.count("c")]) == [2, 3]
    assert repeat_weighted(examples, {}) is examples


def test_a_weight_below_one_keeps_that_share_of_a_sources_rows_seeded() -> None:
    from training.data import Examples
    from training.train import repeat_weighted

    texts = [f"en {i}" for i in range(100)] + [f"es {i}" for i in range(10)]
    sources = ["vader-movies"] * 100 + ["es-movies-train"] * 10
    examples = Examples(texts, np.arange(110) % 2, sources=sources)
    weights = {"vader-movies": 0.3, "es-movies-train": 2.0}
    kept = repeat_weighted(examples, weights, seed=1)
    english = [text for text in kept.texts if text.startswith("en")]
    assert len(english) == len(set(english)) == 30
    assert sorted(text for text in kept.texts if text.startswith("es")) == sorted(texts[100:] * 2)
    assert repeat_weighted(examples, weights, seed=1).texts == kept.texts
    assert repeat_weighted(examples, weights, seed=2).texts != kept.texts
