"""`reviewbot average`: two tiny checkpoints of one model averaged, served, and refused when
one of them trained on the rows the average is measured on."""

from pathlib import Path

import pyarrow as pa
import pyarrow.csv
import pytest
import torch
from safetensors.torch import load_file
from typer.testing import CliRunner

from model import load
from model.checkpoint import read_meta
from training.average import average
from training.errors import DataError
from training.train import DataOptions, train

from .conftest import NEGATIVE, POSITIVE
from .test_train import _settings


def _csv(path: Path, language: str, n: int = 60) -> Path:
    rows = [
        {"text": f"{(POSITIVE if i % 2 else NEGATIVE)[i % 8]} ({language} {i})", "label": i % 2}
        for i in range(n)
    ]
    pyarrow.csv.write_csv(pa.Table.from_pylist(rows), path)
    return path


@pytest.fixture(scope="module")
def parents(tmp_path_factory: pytest.TempPathFactory, tiny_checkpoint: Path):
    """FIRST trained on one file, SECOND on it and another: the same split of the first file."""
    root = tmp_path_factory.mktemp("average")
    english, spanish = _csv(root / "english.csv", "en"), _csv(root / "spanish.csv", "es")
    settings = _settings(tiny_checkpoint, root, head_layers=2)
    first = train(str(english), root / "first", settings).path
    second = train([str(english), str(spanish)], root / "second", settings).path
    return root, [str(english), str(spanish)], first, second


def test_the_average_is_the_weighted_mean_and_serves(parents, tmp_path: Path) -> None:
    _, data, first, second = parents
    result = average(first, second, tmp_path / "soup", data, shares=(0.3, 0.7))
    training = result.meta.model_extra["training"]
    assert training["mode"] == "average"
    assert set(training["validation_f1_by_share"]) == {"0.3", "0.7"}
    kept = training["share_of_second"]
    assert training["validation_f1_by_share"][str(kept)] == max(
        training["validation_f1_by_share"].values()
    )
    for name in ("model.safetensors", "pooled_head.safetensors"):
        a, b, mean = (load_file(folder / name) for folder in (first, second, result.path))
        assert mean.keys() == b.keys()
        for key in b:
            torch.testing.assert_close(mean[key], (1 - kept) * a[key] + kept * b[key])
    # Measured on SECOND's split, thresholds chosen on its validation rows, served as trained.
    assert result.meta.model_extra["data_hash"] == read_meta(second).model_extra["data_hash"]
    classifier = load(result.path)
    assert classifier.threshold == result.meta.threshold
    assert [p.label for p in classifier.predict(["great film", "boring"])] in (
        [a, b] for a in ("positive", "negative") for b in ("positive", "negative")
    )
    assert not any(p.name.startswith("share-") for p in result.path.iterdir())
    assert [p.name for p in tmp_path.iterdir()] == ["soup"]


def test_a_parent_that_trained_on_the_test_rows_is_refused(
    parents, tiny_checkpoint: Path, tmp_path: Path
) -> None:
    root, data, _, second = parents
    other_seed = train(
        data[0], tmp_path / "seed1", _settings(tiny_checkpoint, root, head_layers=2, seed=1)
    ).path
    with pytest.raises(DataError, match=r"trained on \d+ rows of this split's validation or test"):
        average(other_seed, second, tmp_path / "soup", data)
    assert not (tmp_path / "soup").exists()


def test_a_parent_trained_on_a_subsample_is_checked_on_the_rows_it_trained_on(
    parents, tiny_checkpoint: Path, tmp_path: Path
) -> None:
    """--train-size / --test-size are not settings: they are read back from the split's sizes."""
    root, data, _, second = parents
    small = train(
        data[0], tmp_path / "small", _settings(tiny_checkpoint, root, head_layers=2),
        DataOptions(train_size=20, test_size=5),
    ).path  # fmt: skip
    assert read_meta(small).model_extra["splits"]["sizes"]["train"] == 20
    result = average(small, second, tmp_path / "soup", data)
    assert result.meta.model_extra["training"]["parents"][0]["path"] == str(small.resolve())


def test_the_command_reports_bad_input_in_one_line(parents, tmp_path: Path) -> None:
    from reviewbot.cli import app

    root, data, first, second = parents
    runner = CliRunner()
    args = ["average", str(first), str(root), "--out", str(tmp_path / "x")]
    result = runner.invoke(app, [*args, *(f"--data={d}" for d in data)])
    assert result.exit_code == 1 and "reviewbot.json missing" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(
        app,
        ["average", str(first), str(second), "--out", str(tmp_path / "y"), "--share", "1.5"]
        + [f"--data={d}" for d in data],
    )
    assert result.exit_code == 1 and "between 0 and 1" in result.output
