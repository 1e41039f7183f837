"""`reviewbot average`: two fine-tunes of the same backbone averaged weight by weight (a "model
soup", as WiSE-FT averages a fine-tune with its start), the share chosen on validation.

check both folders (same architecture, same pooling) -> rebuild the split of `data` -> check
that neither checkpoint trained on a row of its validation or test split (each one's own split
is rebuilt from its reviewbot.json and must reproduce its data hash) -> for each share s, write
(1 - s) x FIRST + s x SECOND and measure it through the served path as `reviewbot train` does
(thresholds chosen on validation, then test and extra sets) -> keep the share with the best
validation F1 -> reviewbot.json says both parents and every share's validation F1.

Why: an English-only fine-tune and a bilingual one start from the same backbone, so their
weights average into a model that keeps most of each one's gains (docs/training.md measures it).
"""

import json
import logging
import shutil
import time
from pathlib import Path
from typing import Any

from model.checkpoint import META_FILE, CheckpointMeta, read_meta, write_meta
from training.errors import DataError
from training.settings import TrainingSettings
from training.splits import Splits
from training.train import (
    DataOptions,
    MetaBase,
    ThresholdOptions,
    TrainResult,
    finish,
    prepare,
    write_checkpoint,
)

log = logging.getLogger(__name__)

#: The weight files averaged; every other file of the folder is SECOND's.
WEIGHT_FILES = ("model.safetensors", "pooled_head.safetensors")


def average(
    first: Path,
    second: Path,
    out: Path,
    data: list[str],
    shares: tuple[float, ...] = (0.5,),
    threshold_options: ThresholdOptions | None = None,
    also_evaluate: tuple[str, ...] = (),
    overwrite: bool = False,
) -> TrainResult:
    started = time.perf_counter()
    threshold_options = threshold_options or ThresholdOptions()
    if not shares or any(not 0 < share < 1 for share in shares):
        raise DataError(f"--share wants values between 0 and 1 (SECOND's share), got {shares}")
    parents = (Path(first).expanduser().resolve(), Path(second).expanduser().resolve())
    metas = [_read_parent(path) for path in parents]
    if metas[0].pooling != metas[1].pooling:
        raise DataError(f"{parents[0]} and {parents[1]} pool differently; only like can average")
    settings = _split_settings(metas[1])
    prepared = prepare(data, settings, DataOptions())
    for path, meta in zip(parents, metas, strict=True):
        # A parent trained on exactly this data and split (usually SECOND) is checked against
        # the split just built rather than a second load of the same files.
        same = (
            _sources(meta) == list(data)
            and _split_settings(meta) == settings
            and meta.model_extra["splits"]["sizes"] == prepared[2].sizes
        )
        _check_unseen(path, meta, prepared[0], prepared[0] if same else None)
    weights = [_load_weights(path) for path in parents]
    if {k: v.shape for k, v in weights[0].items()} != {k: v.shape for k, v in weights[1].items()}:
        raise DataError(f"{parents[0]} and {parents[1]} have different weights; not the same model")

    parent_hashes = [
        {"path": str(path), "content_hash": meta.model_extra.get("content_hash")}
        for path, meta in zip(parents, metas, strict=True)
    ]

    def build(staging: Path) -> TrainResult:
        # Each share is measured in a folder of its own inside staging (so a failure leaves
        # nothing behind); the best one's files then become the checkpoint.
        tried: dict[str, float] = {}
        best: tuple[float, Path] | None = None
        for share in sorted(set(shares)):
            folder = staging / f"share-{share}"
            shutil.copytree(parents[1], folder, ignore=shutil.ignore_patterns("plots", META_FILE))
            _write_average(weights, share, folder)
            training = {
                "mode": "average",
                "parents": parent_hashes,
                "share_of_second": share,
            }
            meta, _ = finish(
                folder, prepared, settings, threshold_options, also_evaluate,
                MetaBase(metas[1].base_model, metas[1].pooling, training), started,
            )  # fmt: skip
            tried[str(share)] = meta.metrics["validation"]["at_threshold"]["f1"]
            log.info("share %.2f of %s: validation F1 %.4f", share, parents[1], tried[str(share)])
            if best is None or tried[str(share)] > best[0]:
                if best is not None:
                    shutil.rmtree(best[1])
                best = (tried[str(share)], folder)
            else:
                shutil.rmtree(folder)
        assert best is not None
        for file in best[1].iterdir():
            file.rename(staging / file.name)
        best[1].rmdir()
        meta = read_meta(staging)
        meta.model_extra["training"]["validation_f1_by_share"] = tried
        write_meta(staging, meta)
        return TrainResult(staging, meta)

    return write_checkpoint(out, overwrite, build)


def _read_parent(path: Path) -> CheckpointMeta:
    if not (path / META_FILE).is_file():
        raise DataError(f"{path} is not a checkpoint `reviewbot train` wrote ({META_FILE} missing)")
    meta = read_meta(path)
    if not (meta.model_extra or {}).get("splits"):
        raise DataError(f"{path}'s {META_FILE} does not say how its data was split")
    return meta


def _split_settings(meta: CheckpointMeta) -> TrainingSettings:
    """The split settings of the run that wrote `meta`."""
    saved = meta.model_extra["training"]["settings"]
    keys = ("seed", "val_fraction", "test_fraction", "dead_zone", "max_length",
            "language_threshold_min_rows")  # fmt: skip
    return TrainingSettings(**{key: saved[key] for key in keys if key in saved})


def _split_options(meta: CheckpointMeta) -> DataOptions:
    """The run's --train-size and --test-size, read back from its split's sizes (a size at or
    above a whole split keeps it whole, so an unsubsampled run rebuilds the same way)."""
    sizes = meta.model_extra["splits"]["sizes"]
    return DataOptions(train_size=sizes["train"], test_size=sizes["test"])


def _sources(meta: CheckpointMeta) -> list[str]:
    data = meta.model_extra["data"]
    parts = data.get("parts") or []
    return [part["source"] for part in parts] if parts else [data["source"]]


def _check_unseen(
    path: Path, meta: CheckpointMeta, splits: Splits, own: Splits | None = None
) -> None:
    """Refuse a parent that trained on a row the average is validated or tested on. Its own
    split (`own`, else rebuilt from its reviewbot.json) must reproduce its data hash: one that
    does not (the data changed, or columns were chosen by hand) cannot be checked, so it is
    refused."""
    from training import hashing

    if own is None:
        own, _, _ = prepare(_sources(meta), _split_settings(meta), _split_options(meta))
    if hashing.data_hash(own) != meta.model_extra.get("data_hash"):
        raise DataError(
            f"{path}'s split could not be rebuilt from its {META_FILE} (its data hash differs), "
            "so it cannot be checked for rows of this split's validation or test"
        )
    held = set(splits.validation.texts) | set(splits.test.texts)
    seen = held.intersection(own.train.texts)
    if seen:
        example = json.dumps(min(seen)[:60], ensure_ascii=False)
        raise DataError(
            f"{path} trained on {len(seen)} rows of this split's validation or test "
            f"(e.g. {example}); average checkpoints trained on the same split"
        )


def _load_weights(path: Path) -> dict[str, Any]:
    from safetensors.torch import load_file

    files = [name for name in WEIGHT_FILES if (path / name).is_file()]
    if "model.safetensors" not in files:
        raise DataError(f"{path} has no model.safetensors to average")
    return {
        f"{name}/{key}": value for name in files for key, value in load_file(path / name).items()
    }


def _write_average(weights: list[dict[str, Any]], share: float, folder: Path) -> None:
    """(1 - share) x first + share x second, in fp32, stored in second's dtypes."""
    from safetensors.torch import save_file

    first, second = weights
    for name in WEIGHT_FILES:
        keys = [key for key in second if key.startswith(name + "/")]
        if not keys:
            continue
        save_file(
            {
                key.split("/", 1)[1]: (
                    (1 - share) * first[key].float() + share * second[key].float()
                )
                .to(second[key].dtype)
                .contiguous()
                for key in keys
            },
            folder / name,
            metadata={"format": "pt"},
        )
