"""`reviewbot train`, `reviewbot evaluate` and `reviewbot model default` as a person runs them."""

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reviewbot.cli import app

runner = CliRunner()


def test_train_then_evaluate(
    tiny_checkpoint: Path, reviews_csv: Path, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("REVIEWBOT_TRAINING_DATA_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        ["train", "--data", str(reviews_csv), "--out", str(out), "--base-model", str(tiny_checkpoint),
         "--val-fraction", "0.2", "--test-fraction", "0.25", "--threshold-objective", "recall", "--target", "0.9"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "review_content (known name)" in result.output
    assert "threshold" in result.output and str(out) in result.output.replace("\n", "")
    meta = json.loads((out / "reviewbot.json").read_text())
    assert meta["threshold_choice"]["objective"] == "recall"
    assert meta["threshold_choice"]["validation_recall"] >= 0.9

    metrics_file = tmp_path / "metrics.json"
    result = runner.invoke(
        app,
        ["evaluate", str(out), "--data", str(reviews_csv), "--json", str(metrics_file),
         "--plots", str(tmp_path / "plots")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    measured = json.loads(metrics_file.read_text())
    assert measured["at_threshold"]["threshold"] == meta["threshold"]
    assert measured["at_threshold"]["n"] == meta["data"]["rows_kept"]
    # A table per detected language with the threshold that decided it, and a reliability
    # diagram per language.
    assert "Per detected language" in result.output and "threshold used" in result.output
    languages = set(measured["per_language"])
    assert languages and languages <= {"en", "es", "other"}
    for language, values in measured["per_language"].items():
        assert {"accuracy", "f1", "roc_auc", "threshold", "threshold_scope"} <= set(values)
        diagram = tmp_path / "plots" / f"reliability_{language}.png"
        assert diagram.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_input_gets_a_clear_message(tiny_checkpoint: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["train", "--data", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 1
    assert "does not exist" in result.output
    result = runner.invoke(app, ["evaluate", str(tmp_path / "missing"), "--data", "x.csv"])
    assert result.exit_code == 1
    assert "does not exist" in result.output
    # A setting's option is checked as the setting is: one line naming it, no traceback.
    result = runner.invoke(
        app,
        ["train", "--data", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "out"),
         "--score-target-slope", "-1"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "score_target_slope" in result.output and "Traceback" not in result.output


def test_model_default_prints_an_existing_default_without_rebuilding(
    tiny_checkpoint: Path, tmp_path: Path, monkeypatch
) -> None:
    from training.default import ensure_default_checkpoint, is_complete

    monkeypatch.setenv("REVIEWBOT_HOME", str(tmp_path))
    from model.paths import default_checkpoint_dir

    target = default_checkpoint_dir()
    target.parent.mkdir(parents=True)
    shutil.copytree(tiny_checkpoint, target)
    assert is_complete(target)
    result = runner.invoke(app, ["model", "default"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(target)
    assert ensure_default_checkpoint() == target
    (target / "model.safetensors").unlink()
    assert not is_complete(target)


@pytest.mark.slow
@pytest.mark.timeout(2400)  # ~8 min on 2 idle cores; the same with other work beside it can triple
@pytest.mark.skipif(
    os.environ.get("REVIEWBOT_TEST_TRAIN_DEFAULT") != "1",
    reason="trains the real default checkpoint (~8 min on 2 cores); set REVIEWBOT_TEST_TRAIN_DEFAULT=1",
)
def test_default_checkpoint_is_built_from_the_offline_backbone(tmp_path: Path, monkeypatch) -> None:
    """The real thing: backbone + pooled head, fine-tuned with the encoder on vader-movies and the
    written chat-style reviews, held to issue 13's bars (vader-movies test >= 0.83, Spanish
    reviews never trained on or chosen with >= 0.88) and a little under what it measured on the
    other held-out sets (docs/training.md: 0.876 vader-movies test, es 0.889 / 0.924 and en
    0.938 / 0.956 on the test sets / holdouts)."""
    from model import load
    from training.default import ensure_default_checkpoint

    home = Path(os.environ.get("REVIEWBOT_HOME", "~/.cache/reviewbot")).expanduser()
    monkeypatch.setenv("REVIEWBOT_HOME", str(tmp_path))
    if (home / "backbones").is_dir():  # reuse an already built backbone rather than rebuild it
        (tmp_path / "backbones").symlink_to(home / "backbones")
    path = ensure_default_checkpoint()
    classifier = load(path)
    metrics = classifier.meta.metrics
    assert classifier.meta.pooling is not None and classifier.meta.pooling.prefix == "query: "
    assert metrics["test"]["per_source"]["vader-movies"]["accuracy"] >= 0.83
    extra = {name: values["at_threshold"]["accuracy"] for name, values in metrics["extra"].items()}
    assert extra["es-movies-test"] >= 0.87 and extra["es-movies-holdout"] >= 0.88
    assert extra["en-movies-test"] >= 0.90 and extra["en-movies-holdout"] >= 0.92
    predictions = classifier.predict(
        ["A wonderful, moving film.", "Dull, boring and far too long.",
         "Una película preciosa, la recomiendo.", "Un tostón, me dormí a la media hora."]
    )  # fmt: skip
    assert [p.label for p in predictions] == ["positive", "negative", "positive", "negative"]
