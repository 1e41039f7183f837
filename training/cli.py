"""`reviewbot train`, `evaluate` and `average`. Heavy imports live inside the commands."""

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from model.cli import model_app
from training.builtin import BUILTINS
from training.settings import Objective

if TYPE_CHECKING:
    from rich.console import Console


class Mode(StrEnum):
    head = "head"
    full = "full"


class Pooling(StrEnum):
    mean = "mean"
    first_token = "first-token"


class Mapping(StrEnum):
    auto = "auto"
    fresh_rotten = "fresh-rotten"
    stars = "stars"
    score = "score"
    pn = "pn"
    binary = "binary"


DATA_HELP = (
    "A .csv, .tsv, .jsonl or .parquet file, or a built-in dataset: " + ", ".join(BUILTINS) + "."
)
TRAIN_DATA_HELP = DATA_HELP + " Repeat to train on several at once (e.g. English and Spanish)."
TEXT_HELP = "Text column (default: detected)."
LABEL_HELP = "Label column (default: detected)."
GROUP_HELP = "Group column, e.g. the movie id: no group is in two splits (default: detected)."
MAPPING_HELP = "How labels become positive/negative (default: detected from the values)."
# Options `train` and `average` share.
OUT_OPTION = typer.Option(..., "--out", help="Checkpoint folder to write.")
OBJECTIVE_OPTION = typer.Option(
    Objective.f1,
    "--threshold-objective",
    help="Maximize F1, or reach a target precision or recall, on validation.",
)
TARGET_OPTION = typer.Option(None, "--target", help="The precision or recall to reach.")
ALSO_EVALUATE_OPTION = typer.Option(
    [], "--also-evaluate", help="Also measure on this dataset (repeatable), e.g. evomsa-es."
)
OVERWRITE_OPTION = typer.Option(False, "--overwrite", help="Replace --out if it exists.")


@contextmanager
def _reported_as_one_line(console: "Console", *errors: type[Exception]) -> Iterator[None]:
    """Bad input, one of `errors`, ends the command as one red line and exit status 1, never a
    traceback."""
    try:
        yield
    except errors as exc:
        from rich.markup import escape

        console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc


def train_command(
    data: list[str] = typer.Option(..., "--data", help=TRAIN_DATA_HELP),
    out: Path = OUT_OPTION,
    mode: Mode | None = typer.Option(
        None,
        "--mode",
        help="head: frozen encoder, minutes on a CPU; full: fine-tune everything.",
        show_default="head",
    ),
    base_model: str | None = typer.Option(
        None,
        "--base-model",
        help="Model name or folder to start from.",
        show_default="the offline backbone",
    ),
    data_weight: list[str] = typer.Option(
        [],
        "--data-weight",
        help="SOURCE=WEIGHT: weight of each training row of that --data source (repeatable), "
        "e.g. es-movies-dev=10; fine-tunes see its rows WEIGHT times an epoch on average "
        "(0.3: a seeded 30% of them).",
    ),
    text_column: str | None = typer.Option(None, "--text-column", help=TEXT_HELP),
    label_column: str | None = typer.Option(None, "--label-column", help=LABEL_HELP),
    group_column: str | None = typer.Option(None, "--group-column", help=GROUP_HELP),
    label_mapping: Mapping = typer.Option(Mapping.auto, "--label-mapping", help=MAPPING_HELP),
    dead_zone: float | None = typer.Option(
        None,
        "--dead-zone",
        help="score mapping: |score| below this is dropped.",
        show_default="0.5",
    ),
    train_size: int | None = typer.Option(
        None, "--train-size", help="Stratified subsample of the training split."
    ),
    test_size: int | None = typer.Option(
        None, "--test-size", help="Stratified subsample of the test split."
    ),
    val_fraction: float | None = typer.Option(None, "--val-fraction", show_default="0.1"),
    test_fraction: float | None = typer.Option(None, "--test-fraction", show_default="0.15"),
    seed: int | None = typer.Option(None, "--seed", show_default="0"),
    epochs: float | None = typer.Option(None, "--epochs", help="full mode.", show_default="3"),
    learning_rate: float | None = typer.Option(
        None, "--learning-rate", help="full mode.", show_default="5e-5"
    ),
    batch_size: int | None = typer.Option(
        None, "--batch-size", help="full mode.", show_default="32"
    ),
    max_length: int | None = typer.Option(
        None, "--max-length", help="Tokens kept per review.", show_default="256"
    ),
    freeze_embeddings: str | None = typer.Option(
        None,
        "--freeze-embeddings",
        help="auto (CPU only), yes or no; full mode.",
        show_default="auto",
    ),
    freeze_layers: int | None = typer.Option(
        None,
        "--freeze-layers",
        help="full mode: also keep the embeddings and the first N encoder layers fixed.",
        show_default="0",
    ),
    score_target_slope: float | None = typer.Option(
        None,
        "--score-target-slope",
        help="full mode, score labels: train towards sigmoid(SLOPE x score) instead of 0/1.",
        show_default="0: 0/1",
    ),
    head_pooling: Pooling | None = typer.Option(
        None,
        "--head-pooling",
        help="mean (pooled e5 embeddings + logistic regression; full mode fine-tunes the "
        "encoder under it) or first-token (the model's own head).",
        show_default="mean",
    ),
    head_prefix: str | None = typer.Option(
        None, "--head-prefix", help='mean pooling: "auto", "none" or a text.', show_default="auto"
    ),
    head_layers: int | None = typer.Option(
        None, "--head-layers", help="mean pooling: features from N layers.", show_default="1"
    ),
    head_layer_step: int | None = typer.Option(
        None,
        "--head-layer-step",
        help="mean pooling: take every Nth layer down from the last.",
        show_default="1",
    ),
    head_c: float | None = typer.Option(
        None, "--head-c", help="mean pooling: inverse regularisation.", show_default="1.0"
    ),
    language_threshold_min_rows: int | None = typer.Option(
        None,
        "--language-threshold-min-rows",
        help="Validation rows a language needs for a threshold of its own.",
        show_default="300",
    ),
    objective: Objective = OBJECTIVE_OPTION,
    target: float | None = TARGET_OPTION,
    also_evaluate: list[str] = ALSO_EVALUATE_OPTION,
    overwrite: bool = OVERWRITE_OPTION,
) -> None:
    """Train a checkpoint: threshold chosen on validation, metrics measured on test."""
    from rich.console import Console

    from training.errors import DataError
    from training.report import print_training
    from training.settings import TrainingSettings
    from training.train import DataOptions, ThresholdOptions, train

    overrides = {
        "mode": mode, "base_model": base_model, "dead_zone": dead_zone, "val_fraction": val_fraction,
        "test_fraction": test_fraction, "seed": seed, "epochs": epochs, "learning_rate": learning_rate,
        "batch_size": batch_size, "max_length": max_length, "freeze_embeddings": freeze_embeddings,
        "head_pooling": head_pooling.value if head_pooling else None, "head_prefix": head_prefix,
        "head_layers": head_layers, "head_layer_step": head_layer_step, "head_c": head_c,
        "freeze_layers": freeze_layers, "language_threshold_min_rows": language_threshold_min_rows,
        "score_target_slope": score_target_slope,
    }  # fmt: skip
    console = Console()
    with _reported_as_one_line(console, DataError, ValueError):
        settings = TrainingSettings(
            **{key: value for key, value in overrides.items() if value is not None}
        )
        result = train(
            list(data),
            out,
            settings,
            DataOptions(
                text_column,
                label_column,
                group_column,
                label_mapping.value,
                train_size,
                test_size,
                _parse_weights(data_weight),
            ),
            ThresholdOptions(objective, target),
            tuple(also_evaluate),
            overwrite,
        )
    print_training(console, result.path, result.meta)


def _parse_weights(values: list[str]) -> tuple[tuple[str, float], ...]:
    from training.errors import DataError

    weights = []
    for value in values:
        name, _, weight = value.rpartition("=")
        try:
            weights.append((name, float(weight)))
        except ValueError:
            raise DataError(f"--data-weight wants SOURCE=WEIGHT, got {value!r}") from None
        if not name:
            raise DataError(f"--data-weight wants SOURCE=WEIGHT, got {value!r}")
    return tuple(weights)


def evaluate_command(
    checkpoint: Path = typer.Argument(..., help="Checkpoint folder."),
    data: str = typer.Option(..., "--data", help=DATA_HELP),
    text_column: str | None = typer.Option(None, "--text-column", help=TEXT_HELP),
    label_column: str | None = typer.Option(None, "--label-column", help=LABEL_HELP),
    label_mapping: Mapping = typer.Option(Mapping.auto, "--label-mapping", help=MAPPING_HELP),
    dead_zone: float | None = typer.Option(None, "--dead-zone", show_default="0.5"),
    plots: Path | None = typer.Option(
        None, "--plots", help="Folder to write PR, F1 and confusion-matrix PNGs into."
    ),
    json_out: Path | None = typer.Option(
        None, "--json", help="Also write the metrics to this JSON file."
    ),
) -> None:
    """Measure a checkpoint, at its stored threshold, on any labelled data."""
    import json

    from rich.console import Console

    from model import CheckpointError
    from training.errors import DataError
    from training.evaluate import evaluate
    from training.report import print_evaluation
    from training.settings import TrainingSettings
    from training.train import DataOptions

    console = Console()
    with _reported_as_one_line(console, DataError, CheckpointError, ValueError):
        settings = TrainingSettings(**({"dead_zone": dead_zone} if dead_zone is not None else {}))
        result = evaluate(
            checkpoint,
            data,
            settings,
            DataOptions(text_column, label_column, None, label_mapping.value),
            plots,
        )
    if json_out is not None:
        json_out.write_text(json.dumps(result, indent=2) + "\n")
    print_evaluation(console, result)


def average_command(
    first: Path = typer.Argument(..., help="A checkpoint folder `reviewbot train` wrote."),
    second: Path = typer.Argument(
        ..., help="Another, of the same model, trained on the same split; its files are kept."
    ),
    data: list[str] = typer.Option(
        ...,
        "--data",
        help="The data whose validation split chooses, and test split measures "
        "(repeatable, as for train; usually SECOND's).",
    ),
    out: Path = OUT_OPTION,
    share: list[float] = typer.Option(
        [0.5],
        "--share",
        help="SECOND's share of each weight (repeatable: the best on validation F1 is kept).",
    ),
    objective: Objective = OBJECTIVE_OPTION,
    target: float | None = TARGET_OPTION,
    also_evaluate: list[str] = ALSO_EVALUATE_OPTION,
    overwrite: bool = OVERWRITE_OPTION,
) -> None:
    """Average two fine-tunes of one model weight by weight; thresholds chosen on validation."""
    from rich.console import Console

    from model import CheckpointError
    from training.average import average
    from training.errors import DataError
    from training.report import print_training
    from training.train import ThresholdOptions

    console = Console()
    with _reported_as_one_line(console, DataError, CheckpointError, ValueError):
        result = average(
            first, second, out, list(data), tuple(share), ThresholdOptions(objective, target),
            tuple(also_evaluate), overwrite,
        )  # fmt: skip
    print_training(console, result.path, result.meta)


def default_command() -> None:
    """Print the default checkpoint's folder, training it first if missing.

    The pooled head on the offline backbone, fine-tuned briefly on English and Spanish reviews
    (training/default.py): ~8 minutes on 2 CPU cores, once.
    """
    from training.default import ensure_default_checkpoint

    typer.echo(ensure_default_checkpoint())


def register(app: typer.Typer) -> None:
    """Add this room's commands to the root `reviewbot` app."""
    app.command("train")(train_command)
    app.command("evaluate")(evaluate_command)
    app.command("average")(average_command)
    # `reviewbot model default` lives with the model commands but is training's to build.
    model_app.command("default")(default_command)
