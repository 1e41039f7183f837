"""A broken checkpoint folder gets one sentence naming the folder and the problem, and a
non-zero exit, everywhere one is loaded: `reviewbot worker`, `evaluate`, `rescore`."""

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from model import CheckpointError, load
from model.checkpoint import validate
from reviewbot.cli import app


def _threshold(folder: Path) -> None:
    meta = json.loads((folder / "reviewbot.json").read_text())
    (folder / "reviewbot.json").write_text(json.dumps(meta | {"threshold": 1.5}))


def _three_labels(folder: Path) -> None:
    config = json.loads((folder / "config.json").read_text())
    config["id2label"] = {"0": "NEGATIVE", "1": "NEUTRAL", "2": "POSITIVE"}
    config["label2id"] = {v: int(k) for k, v in config["id2label"].items()}
    (folder / "config.json").write_text(json.dumps(config))


def _no_weights(folder: Path) -> None:
    (folder / "model.safetensors").unlink()


def _garbage(name: str):
    def spoil(folder: Path) -> None:
        (folder / name).write_text("{garbage, not json\x1b[31m")

    return spoil


def _zeroed_header(folder: Path) -> None:
    weights = folder / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[:64] = bytes(64)
    weights.write_bytes(bytes(data))


def _truncated(folder: Path) -> None:
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])


def _random_bytes(folder: Path) -> None:
    import random

    weights = folder / "model.safetensors"
    weights.write_bytes(random.Random(0).randbytes(weights.stat().st_size))


BROKEN = {
    "threshold 1.5": (_threshold, "threshold"),
    "3 labels": (_three_labels, "3 labels"),
    "missing weights": (_no_weights, "no model weights"),
    "garbage reviewbot.json": (_garbage("reviewbot.json"), "reviewbot.json"),
    "garbage config.json": (_garbage("config.json"), "config.json"),
    "zeroed safetensors header": (_zeroed_header, "model.safetensors"),
    "truncated safetensors": (_truncated, "model.safetensors"),
    "random safetensors": (_random_bytes, "model.safetensors"),
}


@pytest.fixture(params=sorted(BROKEN))
def broken(request, tiny_checkpoint, tmp_path) -> tuple[Path, str]:
    spoil, said = BROKEN[request.param]
    folder = tmp_path / "broken-checkpoint"
    shutil.copytree(tiny_checkpoint, folder)
    spoil(folder)
    return folder, said


def one_sentence(result, folder: Path, said: str) -> None:
    output = result.output.strip()
    assert (
        result.exit_code not in (0, None)
        and result.exception is None
        or isinstance(result.exception, SystemExit)
    ), result.exception
    assert result.exit_code != 0
    assert "Traceback" not in output and "\x1b" not in output
    assert len(output.splitlines()) == 1, output
    assert str(folder) in output and said in output, output


def test_validate_and_load_raise_one_sentence(broken):
    folder, said = broken
    for check in (validate, load):
        with pytest.raises(CheckpointError) as caught:
            check(folder)
        message = str(caught.value)
        assert "\n" not in message and str(folder) in message and said in message, message


def test_worker_command(broken, tmp_path, monkeypatch):
    folder, said = broken
    monkeypatch.setenv("REVIEWBOT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("REVIEWBOT_MODEL_CHECKPOINT", str(folder))
    monkeypatch.setenv("REVIEWBOT_MODEL_DEVICE", "cpu")
    one_sentence(CliRunner().invoke(app, ["worker", "--no-store"]), folder, said)


def test_evaluate_command(broken, tmp_path):
    folder, said = broken
    data = tmp_path / "data.csv"
    data.write_text("text,label\ngreat film,1\nawful film,0\n")
    one_sentence(
        CliRunner().invoke(app, ["evaluate", str(folder), "--data", str(data)]), folder, said
    )


@pytest.mark.parametrize("inline", [True, False])
def test_rescore_command(broken, tmp_path, monkeypatch, inline):
    folder, said = broken
    monkeypatch.setenv("REVIEWBOT_HOME", str(tmp_path / "home"))
    args = ["rescore", "--since", "2026-01-01", "--checkpoint", str(folder)]
    one_sentence(CliRunner().invoke(app, args + (["--inline"] if inline else [])), folder, said)
