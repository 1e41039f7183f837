"""Head-mode variants on the offline backbone: pooling, prefix, layers, normalisation, C, and how
the Spanish review set is used. Prints one line per variant; docs/training.md has the table.

Every variant is chosen on `vader-movies` validation and `es-movies-dev` (5-fold when the
Spanish rows are also trained on); `vader-movies` test, `es-movies-test` and `en-movies-test`
are only reported, never used to choose.

Features (every layer's mean-pooled state and the last layer's first token, per prefix) are
computed once into $REVIEWBOT_HOME/bench-features (~10 min per prefix on 2 idle CPU cores).

    python bench/head_variants.py                    # features for both prefixes, all variants
    python bench/head_variants.py --prefixes query   # only with e5's "query: "
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np

PREFIXES = {"query": "query: ", "none": ""}
SPANISH_DEV, SPANISH_TEST, ENGLISH_TEST = "es-movies-dev", "es-movies-test", "en-movies-test"
CS = (0.3, 1.0, 3.0, 10.0)
LAYER_CHOICES = {
    "last": (-1,),
    "last 2": (-1, -2),
    "last 4": (-1, -2, -3, -4),
    "mean of last 4": ((-1, -2, -3, -4),),
}


def features(texts: list[str], prefix: str, cache: Path) -> dict[str, np.ndarray]:
    """Mean-pooled states of all 13 hidden layers (fp16) and the last layer's first token."""
    if cache.exists():
        return dict(np.load(cache))
    import torch
    from transformers import AutoModel, AutoTokenizer

    from model.backbone import build_backbone
    from model.classifier import pad_rows, plan_batches

    folder = build_backbone()
    tokenizer, encoder = AutoTokenizer.from_pretrained(folder), AutoModel.from_pretrained(folder)
    encoder.eval()
    ids = tokenizer([prefix + t for t in texts], truncation=True, max_length=256)["input_ids"]
    layers = encoder.config.num_hidden_layers + 1
    mean = np.zeros((len(ids), layers, encoder.config.hidden_size), np.float32)
    first = np.zeros((len(ids), encoder.config.hidden_size), np.float32)
    started = time.perf_counter()
    with torch.inference_mode():
        for batch in plan_batches([len(r) for r in ids], 16384, 64):
            x, m = (torch.from_numpy(a) for a in pad_rows([ids[i] for i in batch], 1))
            hidden = encoder(input_ids=x, attention_mask=m, output_hidden_states=True).hidden_states
            weights = m[:, None, :, None].float()
            stacked = torch.stack(hidden, 1)
            mean[batch] = ((stacked * weights).sum(2) / weights.sum(2)).numpy()
            first[batch] = hidden[-1][:, 0].numpy()
    print(f"# features of {len(ids)} texts ({prefix!r}): {time.perf_counter() - started:.0f} s")
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, mean=mean.astype(np.float16), cls=first)
    return {"mean": mean.astype(np.float16), "cls": first}


def pooled(data: dict[str, np.ndarray], pooling: str, layers: tuple, normalize: bool) -> np.ndarray:
    if pooling == "first-token":
        return data["cls"]
    parts = []
    for layer in layers:
        vector = data["mean"][:, list(layer) if isinstance(layer, tuple) else layer]
        vector = vector.astype(np.float32)
        if vector.ndim == 3:
            vector = vector.mean(1)
        if normalize:
            vector = vector / np.linalg.norm(vector, axis=1, keepdims=True)
        parts.append(vector)
    return np.concatenate(parts, 1)


def fit(x, y, c, weight=None):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = LogisticRegression(C=c, max_iter=5000)
    # Unnormalised features (first token, raw means) need scaling; unit vectors do not.
    if x.std(0).max() > 1:
        model = make_pipeline(StandardScaler(), model)
        return model.fit(x, y, logisticregression__sample_weight=weight)
    return model.fit(x, y, sample_weight=weight)


def main() -> None:
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

    from reviewbot.settings import CommonSettings
    from training.data import load_data
    from training.settings import TrainingSettings
    from training.splits import split
    from training.threshold import choose_threshold

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prefixes", default="query,none")
    parser.add_argument("--cs", default=",".join(map(str, CS)))
    parser.add_argument(
        "--spanish-only", action="store_true", help="only the ways of using es-movies-dev"
    )
    args = parser.parse_args()
    cache_dir = CommonSettings().home_dir() / "bench-features"
    data_cache = TrainingSettings().cache_dir()
    vader, _ = load_data("vader-movies", data_cache)
    splits, _ = split(vader, 0.1, 0.15, 0)  # exactly the splits `reviewbot train` makes
    where = {text: i for i, text in enumerate(vader.texts)}
    index = {
        name: np.array([where[t] for t in getattr(splits, name).texts])
        for name in ("train", "validation", "test")
    }
    others = {
        name: load_data(name, data_cache)[0] for name in (SPANISH_DEV, SPANISH_TEST, ENGLISH_TEST)
    }

    def report(name, pred, t):
        return {
            f"{name} acc": round(accuracy_score(pred[0], pred[1] >= t), 4),
            f"{name} F1": round(f1_score(pred[0], pred[1] >= t), 4),
            f"{name} AUC": round(roc_auc_score(pred[0], pred[1]), 4),
        }

    for prefix_name in args.prefixes.split(","):
        prefix = PREFIXES[prefix_name]
        cached = {
            "vader": features(vader.texts, prefix, cache_dir / f"vader-{prefix_name}.npz"),
            **{
                name: features(ex.texts, prefix, cache_dir / f"{name}-{prefix_name}.npz")
                for name, ex in others.items()
            },
        }
        if prefix_name == "query":
            spanish_usage(cached, vader, index, others, report)
        if args.spanish_only:
            continue
        variants = [("first-token", (-1,), False)]
        variants += [("mean", layers, True) for layers in LAYER_CHOICES.values()]
        variants += [("mean", (-1,), False)]
        for pooling, layers, normalize in variants:
            x = pooled(cached["vader"], pooling, layers, normalize)
            xo = {n: pooled(cached[n], pooling, layers, normalize) for n in others}
            for c in map(float, args.cs.split(",")):
                model = fit(x[index["train"]], vader.labels[index["train"]], c)
                p = {k: model.predict_proba(x[v])[:, 1] for k, v in index.items()}
                po = {n: model.predict_proba(xo[n])[:, 1] for n in others}
                t = choose_threshold(vader.labels[index["validation"]], p["validation"]).threshold
                line = {
                    "prefix": prefix_name,
                    "pooling": pooling,
                    "layers": next(k for k, v in LAYER_CHOICES.items() if v == layers),
                    "normalize": normalize,
                    "C": c,
                    "threshold": round(t, 4),
                    **report("vader val", (vader.labels[index["validation"]], p["validation"]), t),
                    **report("vader test", (vader.labels[index["test"]], p["test"]), t),
                    **report("es dev", (others[SPANISH_DEV].labels, po[SPANISH_DEV]), t),
                    **report("es test", (others[SPANISH_TEST].labels, po[SPANISH_TEST]), t),
                    **report("en test", (others[ENGLISH_TEST].labels, po[ENGLISH_TEST]), t),
                }
                print(json.dumps(line), flush=True)


def spanish_usage(cached, vader, index, others, report) -> None:
    """The default pooling (query prefix, last layer, normalised, C=1) and the ways of using the
    Spanish dev rows: not at all; for a Spanish threshold only; trained on (weight w) with an
    overall or a Spanish threshold (the latter from 5-fold out-of-fold predictions, so that it
    is not chosen on rows the head was fitted to); language mean-centering."""
    from sklearn.model_selection import StratifiedKFold

    from training.threshold import choose_threshold

    x = pooled(cached["vader"], "mean", (-1,), True)
    xo = {n: pooled(cached[n], "mean", (-1,), True) for n in others}
    y = vader.labels
    es_x, es_y = xo[SPANISH_DEV], others[SPANISH_DEV].labels
    x_train, y_train = x[index["train"]], y[index["train"]]
    folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(es_x, es_y))

    def line(name, model_for, es_threshold_from, centre=None):
        """model_for(train_es_rows) -> model; es threshold from 'overall', 'dev' or 'oof'."""
        shift = centre or (lambda a, language: a)
        model = model_for(np.arange(len(es_y)))
        p_val = model.predict_proba(shift(x[index["validation"]], "en"))[:, 1]
        t = choose_threshold(y[index["validation"]], p_val).threshold
        oof = np.zeros(len(es_y))
        for fit_rows, held in folds:
            fold_model = model_for(fit_rows)
            oof[held] = fold_model.predict_proba(shift(es_x[held], "es"))[:, 1]
        if es_threshold_from == "overall":
            t_es = t
        elif es_threshold_from == "dev":  # the head never saw the dev rows
            t_es = choose_threshold(es_y, model.predict_proba(shift(es_x, "es"))[:, 1]).threshold
        else:
            t_es = choose_threshold(es_y, oof).threshold
        p_test = model.predict_proba(shift(x[index["test"]], "en"))[:, 1]
        p_es = model.predict_proba(shift(xo[SPANISH_TEST], "es"))[:, 1]
        p_en = model.predict_proba(shift(xo[ENGLISH_TEST], "en"))[:, 1]
        print(json.dumps({
            "spanish use": name, "threshold": round(t, 4), "es threshold": round(t_es, 4),
            **report("es dev (5-fold)", (es_y, oof), t_es),
            **report("vader test", (y[index["test"]], p_test), t),
            **report("es test", (others[SPANISH_TEST].labels, p_es), t_es),
            **report("en test", (others[ENGLISH_TEST].labels, p_en), t),
        }), flush=True)  # fmt: skip

    vader_only = fit(x_train, y_train, 1.0)
    line("none", lambda rows: vader_only, "overall")
    line("Spanish threshold on es-dev", lambda rows: vader_only, "dev")
    for weight in (1.0, 5.0, 10.0):

        def with_spanish(rows, weight=weight):
            features = np.concatenate([x_train, es_x[rows]])
            labels = np.concatenate([y_train, es_y[rows]])
            weights = np.concatenate([np.ones(len(y_train)), np.full(len(rows), weight)])
            return fit(features, labels, 1.0, weights)

        line(f"trained on, weight {weight:g}, overall threshold", with_spanish, "overall")
        line(f"trained on, weight {weight:g}, Spanish threshold (out of fold)", with_spanish, "oof")
    # Mean-centering: each language's mean from its own unlabelled text (English: the training
    # snippets; Spanish: the dev texts, labels unused), subtracted, then renormalised.
    means = {"en": x_train.mean(0), "es": es_x.mean(0)}

    def centre(a, language):
        shifted = a - means[language]
        return shifted / np.linalg.norm(shifted, axis=1, keepdims=True)

    centred = fit(centre(x_train, "en"), y_train, 1.0)
    line("mean-centering, overall threshold", lambda rows: centred, "overall", centre)


if __name__ == "__main__":
    main()
