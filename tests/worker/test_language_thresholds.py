"""Per-language thresholds end to end: `train` chooses one per language on validation, the
checkpoint carries them, the worker (on the real Redis) decides each review by its detected
language's threshold and says which, and SQLite and Postgres keep which one it was. A checkpoint
with one threshold still serves, as "overall"."""

from pathlib import Path

import pyarrow as pa
import pyarrow.csv
import pytest
import sqlalchemy

from model import ModelSettings
from model.checkpoint import read_meta
from reviewbot.messages import Review, Source
from storage import open_store
from training.settings import TrainingSettings
from training.train import train

EN = [
    "a wonderful film with a moving story and great acting",
    "the worst movie I have seen this year, boring and far too long",
    "funny, smart and beautifully shot, I loved every minute",
    "predictable, loud and empty: a waste of two hours of my life",
]
ES = [
    "una película maravillosa, la recomiendo a todos mis amigos",
    "aburrida, lenta y sin ninguna gracia; no la vean nunca",
    "me encantó la música y la fotografía es preciosa de verdad",
    "un desastre de guion y unos actores que no se lo creen",
]
REVIEWS = {
    "en": "What a lovely film, the actors are wonderful and the story is moving.",
    "es": "Qué película tan bonita, los actores están geniales y la historia emociona.",
    "other": "Un film magnifique, les acteurs sont formidables et l'histoire est belle.",
}


def _bilingual_csv(path: Path) -> Path:
    rows = []
    for i in range(40):
        for language, phrases, said in (
            ("en", EN, "said viewer"),
            ("es", ES, "dijo la espectadora"),
        ):
            k = i % len(phrases)
            # Even phrases are positive; the numbered tail keeps every text unique.
            rows.append({"text": f"{phrases[k]}, {said} {i}", "label": int(k % 2 == 0)})
    pyarrow.csv.write_csv(pa.Table.from_pylist(rows), path)
    return path


@pytest.fixture(scope="module")
def bilingual_checkpoint(tmp_path_factory: pytest.TempPathFactory, tiny_checkpoint: Path) -> Path:
    """Pooled head on the tiny random encoder, with an English and a Spanish threshold."""
    tmp = tmp_path_factory.mktemp("bilingual")
    settings = TrainingSettings(
        base_model=str(tiny_checkpoint),
        data_cache=tmp / "cache",
        head_prefix="query: ",
        val_fraction=0.3,
        test_fraction=0.2,
        language_threshold_min_rows=10,
    )
    result = train(str(_bilingual_csv(tmp / "reviews.csv")), tmp / "checkpoint", settings)
    return result.path


def _stored(url: str) -> dict[str, tuple[float, str, str]]:
    engine = sqlalchemy.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            sqlalchemy.text("SELECT review_id, threshold, threshold_scope, label FROM predictions")
        ).all()
    engine.dispose()
    return {row[0]: (row[1], row[2], row[3]) for row in rows}


def _serve(running_worker, client, url: str) -> dict:
    store = open_store(url)
    reviews = {
        language: Review(text=text, source=Source.API, user_id=language)
        for language, text in REVIEWS.items()
    }
    with running_worker(store=store):
        ids = {language: client.submit(review) for language, review in reviews.items()}
        verdicts = {
            language: client.wait_result(review_id, timeout=30)
            for language, review_id in ids.items()
        }
    store.close()
    return {"ids": ids, "verdicts": verdicts, "stored": _stored(url)}


class TestBilingualCheckpoint:
    @pytest.fixture
    def model_settings(self, bilingual_checkpoint: Path) -> ModelSettings:
        return ModelSettings(checkpoint=bilingual_checkpoint, device="cpu", cpu_threads=1)

    def test_each_language_is_decided_by_its_own_threshold_and_stored_with_it(
        self, bilingual_checkpoint, running_worker, client, database_url
    ):
        meta = read_meta(bilingual_checkpoint)
        assert set(meta.thresholds) == {"en", "es"}, meta.model_extra["language_thresholds"]
        assert meta.pooling is not None and meta.pooling.prefix == "query: "
        served = _serve(running_worker, client, database_url)
        for language, scope, threshold in (
            ("en", "en", meta.thresholds["en"]),
            ("es", "es", meta.thresholds["es"]),
            ("other", "overall", meta.threshold),  # too few French rows for its own
        ):
            prediction = served["verdicts"][language].prediction
            assert prediction.language == language
            assert (prediction.threshold, prediction.threshold_scope) == (threshold, scope)
            assert (prediction.label == "positive") == (prediction.p_positive >= threshold)
            stored = served["stored"][served["ids"][language]]
            assert stored == (threshold, scope, prediction.label.value)

    def test_stored_metrics_decide_each_language_by_its_threshold(self, bilingual_checkpoint):
        meta = read_meta(bilingual_checkpoint)
        per_language = meta.metrics["test"]["per_language"]
        for language in ("en", "es"):
            assert per_language[language]["threshold"] == meta.thresholds[language]
            assert per_language[language]["threshold_scope"] == language
        assert meta.metrics["test"]["at_threshold"]["thresholds"] == meta.thresholds


def test_a_checkpoint_with_one_threshold_serves_every_language_with_it(
    tiny_checkpoint, running_worker, client, database_url
):
    """The model_settings of tests/worker/conftest.py: the tiny checkpoint, one threshold."""
    assert read_meta(tiny_checkpoint).thresholds == {}
    served = _serve(running_worker, client, database_url)
    for language in REVIEWS:
        prediction = served["verdicts"][language].prediction
        assert (prediction.threshold, prediction.threshold_scope) == (0.48, "overall")
        assert served["stored"][served["ids"][language]][:2] == (0.48, "overall")
