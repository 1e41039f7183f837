"""Beyond the default head (logistic regression on 3 layers): more layers, a per-language head,
and an MLP, on the default recipe's data and weights. One line per variant; docs/training.md has
the table. Chosen on validation rows only, as bench/default_recipe.py (whose features it reuses);
the test sets and the holdouts are reported, never used to choose.

    python bench/head_classifiers.py
"""

import time

import numpy as np
from default_recipe import SETS, TRAINED, load_sets
from head_variants import pooled

WEIGHTS = {"vader": 1, "es_dev": 5, "es_train": 5, "en_train": 5}
LAYER_CHOICES = {
    "-1, -4, -7 (the default)": (-1, -4, -7),
    "-1 .. -6": (-1, -2, -3, -4, -5, -6),
    "every 2nd of 12": (-1, -3, -5, -7, -9, -11),
    "all 12": tuple(range(-1, -13, -1)),
}


def main() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score
    from sklearn.neural_network import MLPClassifier

    data, raw, parts = load_sets()

    def training_rows(x_of, keys, repeat=False):
        """Features, labels and weights of the training parts; `repeat`: weights as repeats
        (the MLP takes no sample weights)."""
        xs, ys, ws = [], [], []
        for k in keys:
            x, y = x_of[k][parts[k]["train"]], data[k].labels[parts[k]["train"]]
            times = WEIGHTS[k] if repeat else 1
            xs += [x] * times
            ys += [y] * times
            ws += [np.full(len(y), 1.0 if repeat else WEIGHTS[k])] * times
        return np.concatenate(xs), np.concatenate(ys), np.concatenate(ws)

    def rows(x_of, k, part):
        return x_of[k] if part is None else x_of[k][parts[k][part]]

    def labels(k, part=None):
        return data[k].labels if part is None else data[k].labels[parts[k][part]]

    def report(name, p):
        """`p(k, part)`: P(positive) of set k's part (None: the whole set), decided at 0.5."""

        def accuracy(k, part=None):
            return accuracy_score(labels(k, part), p(k, part) >= 0.5)

        spanish = [("es_dev", "validation"), ("es_train", "validation")]
        es_val = accuracy_score(
            np.concatenate([labels(*s) for s in spanish]),
            np.concatenate([p(*s) for s in spanish]) >= 0.5,
        )
        val = [accuracy("vader", "validation"), accuracy("en_train", "validation"), es_val]
        tests = [accuracy("vader", "test")]
        tests += [accuracy(k) for k in ("en_test", "en_hold", "es_test", "es_hold")]
        cells = " | ".join(f"{c:.3f}" for c in [*val, np.mean(val), *tests])
        print(f"| {name} | {cells} |", flush=True)

    print("| head | vader val | en-chat val | es val | mean val | vader test | en-test "
          "| en-holdout | es-test | es-holdout |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    for layer_name, layers in LAYER_CHOICES.items():
        x_of = {k: pooled(raw[k], "mean", layers, True) for k in SETS}
        for c in (0.3, 1.0, 3.0):
            model = LogisticRegression(C=c, max_iter=5000)
            x, y, w = training_rows(x_of, TRAINED)
            model.fit(x, y, sample_weight=w)
            report(
                f"regression, {layer_name}, C = {c}",
                lambda k, part, m=model, x_of=x_of: m.predict_proba(rows(x_of, k, part))[:, 1],
            )
    x_of = {
        k: pooled(raw[k], "mean", LAYER_CHOICES["-1, -4, -7 (the default)"], True) for k in SETS
    }
    english = LogisticRegression(C=1.0, max_iter=5000).fit(
        *training_rows(x_of, ("vader", "en_train"))[:2]
    )
    spanish = LogisticRegression(C=1.0, max_iter=5000).fit(
        *training_rows(x_of, ("es_dev", "es_train"))[:2]
    )
    report(
        "a regression per language (Spanish sets: one fitted on the Spanish rows only)",
        lambda k, part: (spanish if k.startswith("es") else english).predict_proba(
            rows(x_of, k, part)
        )[:, 1],
    )
    for hidden, alpha in (((256,), 1e-3), ((256,), 1e-2), ((512,), 1e-2)):
        started = time.time()
        x, y, _ = training_rows(x_of, TRAINED, repeat=True)
        mlp = MLPClassifier(hidden, alpha=alpha, early_stopping=True, random_state=0, max_iter=200)
        mlp.fit(x, y)
        report(
            f"MLP {hidden[0]} hidden, alpha = {alpha}, default layers ({time.time() - started:.0f} s)",
            lambda k, part, m=mlp: m.predict_proba(rows(x_of, k, part))[:, 1],
        )


if __name__ == "__main__":
    main()
