"""The Store: what the worker, the bots and the admin commands read and write."""

import contextlib
import logging
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Self

from sqlalchemy import Engine, Row, and_, case, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from reviewbot.messages import ApiKey, Label, Prediction, Review, Source, UsageStats, Verdict
from storage import bulk
from storage.checkpoints import Checkpointer
from storage.engine import dialect_of, unavailable_as_store_error, writing
from storage.schema import (
    ApiKeyRow,
    FeedbackRow,
    ModelVersion,
    OptOutRow,
    PredictionRow,
    ReviewRow,
)
from storage.settings import StorageSettings
from storage.write_turns import WriteTurns

log = logging.getLogger(__name__)

#: Ids per IN (...) list; SQLite caps bound parameters per statement.
ID_CHUNK = 500
#: Reviews read per query while streaming history, so no read transaction stays open for long.
PAGE_SIZE = 1000
#: Latest answered reviews the /stats median is taken over.
STATS_SAMPLE = 10_000
#: Joins a review to the prediction it was answered with (re-scoring adds others beside it).
_SERVED = (PredictionRow.review_id == ReviewRow.id) & PredictionRow.served


def _translating_errors(method: Callable) -> Callable:
    @wraps(method)
    def wrapper(self: "Store", *args, **kwargs):
        with unavailable_as_store_error(self.url):
            return method(self, *args, **kwargs)

    return wrapper


class Store:
    """Review history in SQLite or Postgres. Every write is one transaction and idempotent."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.url = engine.url.render_as_string(hide_password=False)
        self._insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[
            dialect_of(self.url)
        ]
        # Store methods write, or read a little (short transactions): on SQLite they begin
        # with BEGIN IMMEDIATE. Long reads (history pages, reports) use `_read`.
        self._session = sessionmaker(writing(engine), expire_on_commit=False)
        self._read = sessionmaker(engine, expire_on_commit=False)
        self._bulk = {
            table.name: bulk.BulkTable(table, engine.dialect)
            for table in (ReviewRow.__table__, PredictionRow.__table__)
        }
        # SQLite files: the batch writes' checkpoints run in a thread, not in their commits,
        # and writers take turns through a file lock instead of SQLite's sleeps (write_turns.py).
        database = engine.url.database
        sqlite_file = engine.dialect.name == "sqlite" and database not in (None, "", ":memory:")
        self._checkpoints = Checkpointer(database) if sqlite_file else None
        self._turns = (
            WriteTurns(database, StorageSettings().sqlite_busy_timeout_s) if sqlite_file else None
        )

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Session]:
        """A transaction that writes: on a SQLite file, in this writer's turn (write_turns.py)."""
        turn = self._turns.turn() if self._turns else contextlib.nullcontext()
        with turn, self._session.begin() as session:
            yield session

    # -- the worker's writes ---------------------------------------------------------------

    @_translating_errors
    def save_verdicts(self, verdicts: Sequence[Verdict]) -> None:
        """Store a batch of verdicts in one transaction; a redelivered review changes nothing.

        A review stored with an error takes the outcome of a later successful try (the worker
        retried it); a classified review keeps its first served answer.
        """
        verdicts = _one_per_review(verdicts)
        if not verdicts:
            return
        reviews = [_review_values(v.review) | _outcome_values(v) for v in verdicts]
        predictions = [
            _prediction_values(
                v.review.id,
                v.prediction,
                served=True,
                latency_ms=v.latency_ms,
                batch_size=v.batch_size,
                at=v.classified_at,
            )
            for v in verdicts
            if v.prediction is not None
        ]
        with self._writing() as session:
            # One statement per table (bulk.py): ~4x the rows/s of the ORM's executemany.
            connection = session.connection()
            bulk.insert(
                connection,
                self._bulk["reviews"],
                reviews,
                # A review stored with an error takes the outcome of a later successful try.
                "(id) DO UPDATE SET error = excluded.error, language = excluded.language, "
                "classified_at = excluded.classified_at WHERE t.error IS NOT NULL",
            )
            self._insert_predictions(session, predictions)
        self._written()

    @_translating_errors
    def save_predictions(self, pairs: Sequence[tuple[str, Prediction]]) -> None:
        """Store another model version's scores of stored reviews (re-scoring history); idempotent."""
        now = datetime.now(UTC)
        rows = [
            _prediction_values(review_id, p, served=False, latency_ms=None, batch_size=None, at=now)
            for review_id, p in pairs
        ]
        with self._writing() as session:
            self._insert_predictions(session, rows)
        self._written()

    def _written(self) -> None:
        if self._checkpoints is not None:
            self._checkpoints.written()

    def _insert_predictions(self, session: Session, rows: list[dict]) -> None:
        if not rows:
            return
        # Predictions reference their model version; versions the worker serves before anyone
        # registered them get a row with just their threshold, filled in by register_model.
        versions = {row["model_version"]: row["threshold"] for row in rows}
        now = datetime.now(UTC)
        session.execute(
            self._insert(ModelVersion.__table__).on_conflict_do_nothing(),
            [{"version": v, "threshold": t, "registered_at": now} for v, t in versions.items()],
        )
        # No conflict target: skips both a repeated (review, version) and a second served answer.
        bulk.insert(session.connection(), self._bulk["predictions"], rows, "DO NOTHING")

    @_translating_errors
    def mark_replied(self, review_ids: Sequence[str], at: datetime | None = None) -> None:
        """Record when the person got the answer; the first reply time stays."""
        at = at or datetime.now(UTC)
        with self._writing() as session:
            for chunk in _chunks(review_ids):
                session.execute(
                    update(ReviewRow)
                    .where(ReviewRow.id.in_(chunk), ReviewRow.replied_at.is_(None))
                    .values(replied_at=at)
                )

    # -- models and feedback ---------------------------------------------------------------

    @_translating_errors
    def register_model(self, version: str, path: str, threshold: float, metrics: dict) -> None:
        """Record a checkpoint's path, threshold and training metrics; registering again updates them."""
        values = {
            "version": version,
            "path": path,
            "threshold": threshold,
            "metrics": metrics,
            "registered_at": datetime.now(UTC),
        }
        stmt = self._insert(ModelVersion).values(values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[ModelVersion.version],
            set_={
                "path": stmt.excluded.path,
                "threshold": stmt.excluded.threshold,
                "metrics": stmt.excluded.metrics,
            },
        )
        with self._writing() as session:
            session.execute(stmt)

    @_translating_errors
    def add_feedback(self, review_id: str, user_id: str, label: Label) -> None:
        """Record which label a person says is right; their later answer replaces an earlier one.

        Raises KeyError when the review is not stored (unknown id, or already forgotten).
        """
        values = {
            "review_id": review_id,
            "user_id": user_id,
            "label": Label(label),
            "created_at": datetime.now(UTC),
        }
        stmt = self._insert(FeedbackRow).values(values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[FeedbackRow.review_id, FeedbackRow.user_id],
            set_={"label": stmt.excluded.label, "created_at": stmt.excluded.created_at},
        )
        with self._writing() as session:
            if session.get(ReviewRow, review_id) is None:
                raise KeyError(f"no stored review {review_id!r}")
            session.execute(stmt)

    @_translating_errors
    def remove_feedback(self, review_id: str, user_id: str) -> bool:
        """Withdraw a person's feedback on a review (a reaction taken back); whether there was one."""
        with self._writing() as session:
            removed = session.execute(
                delete(FeedbackRow).where(
                    FeedbackRow.review_id == review_id, FeedbackRow.user_id == user_id
                )
            ).rowcount
        return removed > 0

    # -- privacy ---------------------------------------------------------------------------

    @_translating_errors
    def set_opted_out(self, source: Source, user_id: str, opted_out: bool) -> None:
        """Record /optout (True) or /optin (False) of a person on a platform; idempotent."""
        with self._writing() as session:
            if not opted_out:
                session.execute(
                    delete(OptOutRow).where(
                        OptOutRow.source == Source(source), OptOutRow.user_id == user_id
                    )
                )
                return
            stmt = self._insert(OptOutRow).values(
                source=Source(source), user_id=user_id, opted_out_at=datetime.now(UTC)
            )
            session.execute(stmt.on_conflict_do_nothing())

    @_translating_errors
    def is_opted_out(self, source: Source, user_id: str) -> bool:
        with self._read() as session:
            return session.get(OptOutRow, (Source(source), user_id)) is not None

    def forget_user(self, source: Source, user_id: str) -> int:
        """Delete a person's reviews with their predictions and feedback, and the feedback they gave.

        Returns the number of reviews removed (`forget_user_reviews` returns their ids).
        """
        return len(self.forget_user_reviews(source, user_id))

    @_translating_errors
    def forget_user_reviews(self, source: Source, user_id: str) -> list[str]:
        """`forget_user`, returning the ids of the reviews removed (whose result keys and reply
        entries the caller erases from Redis). On SQLite the erased text is also gone from the
        file: secure_delete zeroes it in the pages, a checkpoint empties the WAL of older copies,
        and VACUUM drops the freed pages when no one else holds the database."""
        source = Source(source)
        own = select(ReviewRow.id).where(ReviewRow.source == source, ReviewRow.user_id == user_id)
        on_platform = select(ReviewRow.id).where(ReviewRow.source == source)
        with self._writing() as session:
            ids = list(session.scalars(own))
            # Explicit deletes rather than relying on ON DELETE CASCADE, which SQLite only
            # honours on connections that enabled foreign keys.
            session.execute(
                delete(FeedbackRow).where(
                    or_(
                        FeedbackRow.review_id.in_(own),
                        and_(
                            FeedbackRow.user_id == user_id, FeedbackRow.review_id.in_(on_platform)
                        ),
                    )
                )
            )
            session.execute(delete(PredictionRow).where(PredictionRow.review_id.in_(own)))
            session.execute(delete(ReviewRow).where(ReviewRow.id.in_(own)))
        log.info("forgot %d reviews of %s user %s", len(ids), source.value, user_id)
        if dialect_of(self.url) == "sqlite":
            self._erase_sqlite_leftovers()
        return ids

    def _erase_sqlite_leftovers(self) -> None:
        """Checkpoint the WAL into the file and truncate it (the WAL holds the pages as they were
        before the delete), then VACUUM, then truncate the WAL VACUUM wrote. A reader holding an
        old snapshot keeps its frames until it ends: logged, and the next checkpoint (SQLite's
        automatic one after 1000 pages, or the next forget) finishes the job."""
        with self.engine.connect() as connection:
            raw = connection.connection.driver_connection  # autocommit: no BEGIN from SQLAlchemy
            busy = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            try:
                raw.execute("VACUUM")
                busy = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            except sqlite3.OperationalError as error:  # locked by another writer: not needed
                log.info("VACUUM after forget skipped: %s", error)
        if busy:
            log.warning(
                "a reader kept the WAL from being checkpointed; erased text leaves it at the next "
                "checkpoint"
            )

    # -- the admins' figures (/stats of the bots) -------------------------------------------

    @_translating_errors
    def usage_stats(self, now: datetime | None = None) -> UsageStats:
        """Reviews today (UTC) and in the last 7 days, their positive rate, the median time to
        an answer, and the model serving the latest answer."""
        now = now or datetime.now(UTC)
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        week = now - timedelta(days=7)
        with self._session() as session:
            count_today = session.scalar(
                select(func.count()).select_from(ReviewRow).where(ReviewRow.received_at >= today)
            )
            count_week, positive, labelled = session.execute(
                select(
                    func.count(ReviewRow.id),
                    func.sum(case((PredictionRow.label == Label.POSITIVE, 1), else_=0)),
                    func.count(PredictionRow.review_id),
                )
                .select_from(ReviewRow)
                .outerjoin(PredictionRow, _SERVED)
                .where(ReviewRow.received_at >= week)
            ).one()
            # The median over the latest answers, computed here: percentiles and timestamp
            # arithmetic differ between SQLite and Postgres, and a sample this size is exact
            # enough for an admin's glance.
            answered = session.execute(
                select(ReviewRow.received_at, ReviewRow.replied_at)
                .where(ReviewRow.received_at >= week, ReviewRow.replied_at.is_not(None))
                .order_by(ReviewRow.received_at.desc())
                .limit(STATS_SAMPLE)
            ).all()
            latest = session.execute(
                select(PredictionRow.model_version, PredictionRow.threshold)
                .where(PredictionRow.served)
                .order_by(PredictionRow.created_at.desc())
                .limit(1)
            ).first()
        waits = sorted((replied - received).total_seconds() for received, replied in answered)
        return UsageStats(
            reviews_today=count_today or 0,
            reviews_7d=count_week or 0,
            positive_rate_7d=(positive or 0) / labelled if labelled else None,
            p50_answer_s=waits[len(waits) // 2] if waits else None,
            model_version=latest[0] if latest else None,
            threshold=latest[1] if latest else None,
        )

    # -- HTTP API keys ---------------------------------------------------------------------

    @_translating_errors
    def add_api_key(
        self, key_id: str, name: str, key_hash: str, prefix: str, rate_limit: int | None = None
    ) -> ApiKey:
        """Store a new API key by its hash (the caller made the key and shows it once)."""
        row = ApiKeyRow(
            id=key_id,
            name=name,
            key_hash=key_hash,
            prefix=prefix,
            rate_limit=rate_limit,
            created_at=datetime.now(UTC),
            revoked_at=None,
        )
        with self._writing() as session:
            session.add(row)
            session.flush()
            return _to_api_key(row)

    @_translating_errors
    def api_key_by_hash(self, key_hash: str) -> ApiKey | None:
        """The key with this hash, revoked or not; None when there is none."""
        with self._read() as session:
            row = session.scalars(select(ApiKeyRow).where(ApiKeyRow.key_hash == key_hash)).first()
            return None if row is None else _to_api_key(row)

    @_translating_errors
    def api_keys(self, include_revoked: bool = False) -> list[ApiKey]:
        """Every key, oldest first."""
        query = select(ApiKeyRow).order_by(ApiKeyRow.created_at, ApiKeyRow.id)
        if not include_revoked:
            query = query.where(ApiKeyRow.revoked_at.is_(None))
        with self._read() as session:
            return [_to_api_key(row) for row in session.scalars(query)]

    @_translating_errors
    def revoke_api_key(self, key_id: str) -> bool:
        """Revoke a key by its id or prefix; False when no active key matches. Raises
        ValueError when a prefix matches several keys."""
        with self._writing() as session:
            rows = session.scalars(
                select(ApiKeyRow).where(
                    ApiKeyRow.revoked_at.is_(None),
                    or_(ApiKeyRow.id == key_id, ApiKeyRow.prefix == key_id),
                )
            ).all()
            if len(rows) > 1:
                raise ValueError(f"{key_id!r} matches {len(rows)} keys: revoke by id")
            for row in rows:
                row.revoked_at = datetime.now(UTC)
            return bool(rows)

    # -- reading history -------------------------------------------------------------------

    def reviews_since(self, since: datetime, until: datetime | None = None) -> Iterator[Review]:
        """Stored reviews received in [since, until), oldest first, for re-scoring.

        Reads in pages (keyset on received_at, id) so a long re-scoring run holds no transaction.
        Reviews whose text retention erased are skipped: there is nothing to score.
        """
        after: tuple[datetime, str] | None = None
        while True:
            query = select(ReviewRow).where(
                ReviewRow.received_at >= since, ReviewRow.text.is_not(None)
            )
            if until is not None:
                query = query.where(ReviewRow.received_at < until)
            if after is not None:
                query = query.where(
                    or_(
                        ReviewRow.received_at > after[0],
                        and_(ReviewRow.received_at == after[0], ReviewRow.id > after[1]),
                    )
                )
            query = query.order_by(ReviewRow.received_at, ReviewRow.id).limit(PAGE_SIZE)
            with unavailable_as_store_error(self.url), self._read() as session:
                rows = session.scalars(query).all()
            yield from (_to_review(row) for row in rows)
            if len(rows) < PAGE_SIZE:
                return
            after = (rows[-1].received_at, rows[-1].id)

    # -- reports (drift review, feedback export) and retention --------------------------------

    @_translating_errors
    def served_in_window(self, start: datetime, end: datetime) -> list[Row]:
        """The served prediction of every review received in [start, end): rows of p_positive,
        threshold, label, language, text_chars, received_at, threshold_scope."""
        query = (
            select(
                PredictionRow.p_positive,
                PredictionRow.threshold,
                PredictionRow.label,
                ReviewRow.language,
                ReviewRow.text_chars,
                ReviewRow.received_at,
                PredictionRow.threshold_scope,
            )
            .select_from(ReviewRow)
            .join(PredictionRow, _SERVED)
            .where(ReviewRow.received_at >= start, ReviewRow.received_at < end)
        )
        with self._read() as session:
            return list(session.execute(query).all())

    @_translating_errors
    def feedback_in_window(self, start: datetime, end: datetime) -> list[Row]:
        """Per piece of feedback on reviews received in [start, end): the review's language,
        whether the person disagrees with the served label, and which threshold decided it."""
        query = (
            select(
                ReviewRow.language,
                FeedbackRow.label != PredictionRow.label,
                PredictionRow.threshold_scope,
            )
            .select_from(FeedbackRow)
            .join(ReviewRow, FeedbackRow.review_id == ReviewRow.id)
            .join(PredictionRow, _SERVED)
            .where(ReviewRow.received_at >= start, ReviewRow.received_at < end)
        )
        with self._read() as session:
            return list(session.execute(query).all())

    @_translating_errors
    def feedback_votes(self) -> list[Row]:
        """Every vote on a review whose text is still stored, oldest review first: rows of
        review id, text, language, served label (None if unclassified), the person's label."""
        query = (
            select(
                ReviewRow.id,
                ReviewRow.text,
                ReviewRow.language,
                PredictionRow.label,
                FeedbackRow.label,
            )
            .join(FeedbackRow, FeedbackRow.review_id == ReviewRow.id)
            .outerjoin(PredictionRow, _SERVED)
            .where(ReviewRow.text.is_not(None))
            .order_by(ReviewRow.received_at, ReviewRow.id)
        )
        with self._read() as session:
            return list(session.execute(query).all())

    @_translating_errors
    def erase_personal_data(self, received_before: datetime) -> int:
        """Erase text, chat, user and message ids of reviews received before the cutoff; their
        scores, languages and lengths stay, anonymous. Returns how many reviews changed."""
        stmt = (
            update(ReviewRow)
            .where(ReviewRow.received_at < received_before)
            .where(
                or_(
                    ReviewRow.text.is_not(None),
                    ReviewRow.user_id.is_not(None),
                    ReviewRow.chat_id.is_not(None),
                    ReviewRow.message_id.is_not(None),
                )
            )
            .values(text=None, chat_id=None, user_id=None, message_id=None)
        )
        with self._writing() as session:
            return session.execute(stmt).rowcount

    def session(self, write: bool = False) -> Session:
        """A plain session, for storage's own tests and ad-hoc inspection; every other room goes
        through the methods above, which map database errors to StoreUnavailable. `write`: its
        transactions write (on SQLite they take the write lock when they begin)."""
        return (self._session if write else self._read)()

    def close(self) -> None:
        if self._checkpoints is not None:
            self._checkpoints.close()
        if self._turns is not None:
            self._turns.close()
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def _one_per_review(verdicts: Sequence[Verdict]) -> list[Verdict]:
    """One verdict per review id, a successful one where there is one.

    Postgres refuses an upsert that touches the same row twice in one statement.
    """
    chosen: dict[str, Verdict] = {}
    for verdict in verdicts:
        kept = chosen.get(verdict.review.id)
        if kept is None or (verdict.ok and not kept.ok):
            chosen[verdict.review.id] = verdict
    return list(chosen.values())


def _review_values(review: Review) -> dict:
    return {
        "id": _storable(review.id),
        "text": _storable(review.text),
        "text_chars": review.cut_from or len(review.text),
        "source": review.source,
        "chat_id": _storable(review.chat_id),
        "user_id": _storable(review.user_id),
        "message_id": _storable(review.message_id),
        "received_at": review.received_at,
    }


def _storable(text: str | None) -> str | None:
    """The text with what a database refuses replaced: NUL (Postgres TEXT cannot hold it) and lone
    surrogates (not UTF-8), so a hostile review is kept, recognisably, instead of failing its batch."""
    if text is None:
        return None
    if text.isascii() and "\x00" not in text:  # nearly every id and review: nothing to replace
        return text
    return (
        text.replace("\x00", "\N{REPLACEMENT CHARACTER}").encode("utf-8", "replace").decode("utf-8")
    )


def _outcome_values(verdict: Verdict) -> dict:
    language = verdict.prediction.language if verdict.prediction is not None else None
    error = None if verdict.ok else _storable(verdict.error or "no prediction and no error given")
    return {"language": language, "error": error, "classified_at": verdict.classified_at}


def _prediction_values(
    review_id: str,
    p: Prediction,
    *,
    served: bool,
    latency_ms: float | None,
    batch_size: int | None,
    at: datetime,
) -> dict:
    return {
        "review_id": _storable(review_id),  # as the review row stored it
        "model_version": p.model_version,
        "p_positive": p.p_positive,
        "threshold": p.threshold,
        "threshold_scope": p.threshold_scope,
        "label": p.label,
        "n_tokens": p.n_tokens,
        "truncated": p.truncated,
        "served": served,
        "latency_ms": latency_ms,
        "batch_size": batch_size,
        "created_at": at,
    }


def _to_review(row: ReviewRow) -> Review:
    return Review(
        id=row.id,
        text=row.text,
        source=row.source,
        chat_id=row.chat_id,
        user_id=row.user_id,
        message_id=row.message_id,
        received_at=row.received_at,
    )


def _chunks(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(ids), ID_CHUNK):
        yield ids[start : start + ID_CHUNK]


def _to_api_key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        rate_limit=row.rate_limit,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )
