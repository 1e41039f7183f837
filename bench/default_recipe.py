"""How the default checkpoint's recipe was chosen: which written review sets it trains on, with
what weight, from which layers, and whether Spanish gets a threshold of its own.

Chosen on validation rows only (vader-movies, es-movies-dev + es-movies-train, en-movies-train:
each set's own 10% validation split, as `reviewbot train` splits); `vader-movies` test,
`es-movies-test`, `en-movies-test` and the two holdouts (a writer who saw none of the other
sets) are reported, never used to choose. Features come from bench/head_variants.py's cache
($REVIEWBOT_HOME/bench-features, computed on first use).

    python bench/default_recipe.py              # weights x layers table, then thresholds
"""

import argparse

import numpy as np

from head_variants import features, pooled

SETS = {
    "vader": "vader-movies",
    "es_dev": "es-movies-dev",
    "es_train": "es-movies-train",
    "en_train": "en-movies-train",
    "es_test": "es-movies-test",
    "en_test": "en-movies-test",
    "es_hold": "es-movies-holdout",
    "en_hold": "en-movies-holdout",
}
TRAINED = ("vader", "es_dev", "es_train", "en_train")
WEIGHTS = ((0, 0, 0), (10, 0, 0), (1, 1, 1), (3, 3, 3), (5, 5, 5), (8, 8, 8), (10, 10, 10))
LAYERS = {"last": (-1,), "last, -4, -7": (-1, -4, -7), "last, -5": (-1, -5), "last 4": (-1, -2, -3, -4)}


def load_sets() -> tuple[dict, dict, dict]:
    """Every set's rows, their "query: " features (bench/head_variants.py's cache), and the
    row numbers of each trained set's train / validation / test parts, split as `reviewbot
    train` splits them."""
    from reviewbot.settings import CommonSettings
    from training.data import load_data
    from training.settings import TrainingSettings
    from training.splits import split

    cache_dir = CommonSettings().home_dir() / "bench-features"
    data = {k: load_data(n, TrainingSettings().cache_dir())[0] for k, n in SETS.items()}
    raw = {k: features(data[k].texts, "query: ", cache_dir / f"{SETS[k]}-query.npz") for k in SETS}
    parts = {}
    for k in TRAINED:
        splits, _ = split(data[k], 0.1, 0.15, 0)
        where = {t: i for i, t in enumerate(data[k].texts)}
        parts[k] = {
            p: np.array([where[t] for t in getattr(splits, p).texts])
            for p in ("train", "validation", "test")
        }
    return data, raw, parts


def main() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score
    from sklearn.model_selection import StratifiedShuffleSplit

    from training.threshold import choose_threshold

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--resplits", type=int, default=8)
    args = parser.parse_args()
    data, raw, parts = load_sets()

    def fit(x_of, weights):
        rows = [(k, w) for k, w in zip(TRAINED, (1, *weights), strict=True) if w]
        xs = [x_of[k][parts[k]["train"]] for k, _ in rows]
        ys = [data[k].labels[parts[k]["train"]] for k, _ in rows]
        ws = [np.full(len(y), w, float) for (_, w), y in zip(rows, ys, strict=True)]
        model = LogisticRegression(C=1.0, max_iter=5000)
        return model.fit(np.concatenate(xs), np.concatenate(ys), sample_weight=np.concatenate(ws))

    print("| layers | weights (es-dev, es-train, en-train) | vader val | en-chat val | es val "
          "| mean val | vader test | en-test | en-holdout | es-test | es-holdout |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for layer_name, layers in LAYERS.items():
        x_of = {k: pooled(raw[k], "mean", layers, True) for k in SETS}
        for weights in WEIGHTS:
            model = fit(x_of, weights)

            def p(k, part=None, model=model, x_of=x_of):
                x = x_of[k] if part is None else x_of[k][parts[k][part]]
                return model.predict_proba(x)[:, 1]

            def y(k, part=None):
                return data[k].labels if part is None else data[k].labels[parts[k][part]]

            val = {
                "vader": accuracy_score(y("vader", "validation"), p("vader", "validation") >= 0.5),
                "en": accuracy_score(y("en_train", "validation"), p("en_train", "validation") >= 0.5),
                "es": accuracy_score(
                    np.concatenate([y("es_dev", "validation"), y("es_train", "validation")]),
                    np.concatenate([p("es_dev", "validation"), p("es_train", "validation")]) >= 0.5,
                ),
            }
            tests = [accuracy_score(y("vader", "test"), p("vader", "test") >= 0.5)]
            tests += [accuracy_score(y(k), p(k) >= 0.5) for k in ("en_test", "en_hold", "es_test", "es_hold")]
            cells = [*val.values(), np.mean(list(val.values())), *tests]
            print(f"| {layer_name} | {weights} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")

    # Spanish threshold of its own, chosen (max F1) on ~145 Spanish validation rows, against 0.5
    # (the weighted regression's own calibration): re-split the Spanish rows several times.
    x_of = {k: pooled(raw[k], "mean", (-1, -4, -7), True) for k in SETS}
    es_x = np.concatenate([x_of["es_dev"], x_of["es_train"]])
    es_y = np.concatenate([data["es_dev"].labels, data["es_train"].labels])
    others = [("vader", x_of["vader"][parts["vader"]["train"]], 1.0), ("en_train", x_of["en_train"], 5.0)]
    held = {k: (x_of[k], data[k].labels) for k in ("es_test", "es_hold")}
    chosen, accuracy = [], {"own": [], "0.5": []}
    resplits = StratifiedShuffleSplit(args.resplits, test_size=145, random_state=0)
    for fit_rows, val_rows in resplits.split(es_x, es_y):
        xs = [x for _, x, _ in others] + [es_x[fit_rows]]
        ys = [data[k].labels[parts[k]["train"]] if k == "vader" else data[k].labels for k, _, _ in others]
        ys.append(es_y[fit_rows])
        ws = [np.full(len(yy), w) for (_, _, w), yy in zip(others, ys, strict=False)]
        ws.append(np.full(len(fit_rows), 5.0))
        model = LogisticRegression(C=1.0, max_iter=5000).fit(
            np.concatenate(xs), np.concatenate(ys), sample_weight=np.concatenate(ws)
        )
        own = choose_threshold(es_y[val_rows], model.predict_proba(es_x[val_rows])[:, 1]).threshold
        chosen.append(own)
        for name, t in (("own", own), ("0.5", 0.5)):
            accuracy[name].append(
                [accuracy_score(yy, model.predict_proba(xx)[:, 1] >= t) for xx, yy in held.values()]
            )
    print(f"\nSpanish threshold chosen on 145 validation rows, {args.resplits} re-splits: "
          f"mean {np.mean(chosen):.3f}, sd {np.std(chosen):.3f}")
    for name, values in accuracy.items():
        mean, worst = np.mean(values, 0), np.min(values, 0)
        print(f"  at {name:>3}: es-test {mean[0]:.3f} (worst {worst[0]:.3f}), "
              f"es-holdout {mean[1]:.3f} (worst {worst[1]:.3f})")


if __name__ == "__main__":
    main()
