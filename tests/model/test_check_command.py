"""`reviewbot model check`: what compose's `model` one-shot runs before any worker starts."""

from typer.testing import CliRunner

from reviewbot.cli import app


def test_a_servable_checkpoint_is_loaded_and_classifies_two_reviews(tiny_checkpoint, monkeypatch):
    monkeypatch.setenv("REVIEWBOT_MODEL_CHECKPOINT", str(tiny_checkpoint))
    result = CliRunner().invoke(app, ["model", "check"])
    assert result.exit_code == 0, result.output
    assert str(tiny_checkpoint) in result.output
    assert "threshold 0.480" in result.output
    assert "two test reviews:" in result.output


def test_a_missing_checkpoint_is_one_clear_line_and_exit_1(tmp_path):
    result = CliRunner().invoke(app, ["model", "check", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert "does not exist" in result.output
    assert "Traceback" not in result.output
