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
