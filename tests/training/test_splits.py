"""Seeded splits: by group without leakage, stratified otherwise, subsampled on request."""

import numpy as np
import pytest

from training.data import Examples
from training.splits import Splits, assert_no_group_leakage, split


def _examples(n: int = 400, groups: bool = True) -> Examples:
    rng = np.random.default_rng(1)
    return Examples(
        texts=[f"review {i}" for i in range(n)],
        labels=rng.integers(0, 2, n),
        groups=[f"movie {i % 57}" for i in range(n)] if groups else None,
    )


def test_group_split_puts_every_movie_in_one_split_only() -> None:
    splits, summary = split(_examples(), val_fraction=0.1, test_fraction=0.2, seed=3)
    sets = [set(part.groups) for part in (splits.train, splits.validation, splits.test)]
    assert not (sets[0] & sets[1] or sets[0] & sets[2] or sets[1] & sets[2])
    assert sum(map(len, sets)) == 57
    assert summary.kind == "by group"
    assert sum(summary.sizes.values()) == 400
    # Every row is in exactly one split.
    texts = splits.train.texts + splits.validation.texts + splits.test.texts
    assert sorted(texts) == sorted(_examples().texts)


def test_leakage_check_catches_a_shared_group() -> None:
    a = Examples(["x"], np.array([1]), ["m1"])
    b = Examples(["y"], np.array([0]), ["m2"])
    with pytest.raises(AssertionError, match="both train and test"):
        assert_no_group_leakage(Splits(train=a, validation=b, test=a))


def test_stratified_split_keeps_the_class_balance_and_is_seeded() -> None:
    examples = _examples(groups=False)
    splits, summary = split(examples, val_fraction=0.1, test_fraction=0.2, seed=0)
    assert summary.kind == "stratified by label"
    assert summary.sizes == {"train": 280, "validation": 40, "test": 80}
    overall = examples.labels.mean()
    for part in (splits.train, splits.validation, splits.test):
        assert abs(part.labels.mean() - overall) < 0.03
    again, _ = split(examples, val_fraction=0.1, test_fraction=0.2, seed=0)
    other, _ = split(examples, val_fraction=0.1, test_fraction=0.2, seed=1)
    assert again.test.texts == splits.test.texts
    assert other.test.texts != splits.test.texts


def test_subsampling_sizes_train_and_test_only() -> None:
    splits, summary = split(_examples(), 0.1, 0.2, seed=0, train_size=100, test_size=30)
    assert (summary.sizes["train"], summary.sizes["test"]) == (100, 30)
    assert summary.sizes["validation"] > 0
    assert_no_group_leakage(splits)


def test_each_source_is_split_as_it_would_be_alone() -> None:
    """Adding a source to a run leaves the other sources' test and validation rows as they were,
    so runs with and without the Spanish files are measured on the same English rows."""
    rng = np.random.default_rng(2)
    english = [f"english {i}" for i in range(300)]
    spanish = [f"spanish {i}" for i in range(120)]
    labels_en, labels_es = rng.integers(0, 2, 300), rng.integers(0, 2, 120)
    alone = {
        name: split(Examples(texts, labels), 0.1, 0.15, seed=4)[0]
        for name, texts, labels in (("en", english, labels_en), ("es", spanish, labels_es))
    }
    both, summary = split(
        Examples(
            english + spanish,
            np.concatenate([labels_en, labels_es]),
            sources=["en.csv"] * 300 + ["es.csv"] * 120,
        ),
        0.1,
        0.15,
        seed=4,
    )
    assert summary.kind == "stratified by label, each source on its own"
    for part in ("train", "validation", "test"):
        joined = getattr(both, part).texts
        for name, prefix in (("en", "english"), ("es", "spanish")):
            own = [t for t in joined if t.startswith(prefix)]
            assert sorted(own) == sorted(getattr(alone[name], part).texts), (part, name)
    # Each source keeps its label balance in every part.
    for part in (both.validation, both.test):
        for prefix, labels in (("english", labels_en), ("spanish", labels_es)):
            mine = [
                lab for t, lab in zip(part.texts, part.labels, strict=True) if t.startswith(prefix)
            ]
            assert abs(np.mean(mine) - labels.mean()) < 0.06


def test_a_source_too_small_to_stratify_still_splits() -> None:
    examples = Examples(
        [f"big {i}" for i in range(100)] + ["tiny pos", "tiny neg 1", "tiny neg 2"] + ["one"],
        np.array([i % 2 for i in range(100)] + [1, 0, 0] + [1]),
        sources=["big"] * 100 + ["tiny"] * 3 + ["single"],
    )
    splits, summary = split(examples, 0.1, 0.2, seed=0)
    assert sum(summary.sizes.values()) == 104
    assert "one" in splits.train.texts
