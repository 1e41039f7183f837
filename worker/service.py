"""The worker: a three-stage pipeline over the review stream.

    reader (this thread)  read a batch (batching.py), parse, validate, tokenize on the CPU
    scorer (thread)       model forward passes of that batch (GPU), isolated per review on failure
    writer (thread)       storage (one save_verdicts per batch), then ack + answer atomically

Queues of one batch between the stages: the reader tokenizes batch k+1 while the scorer runs
batch k and the writer stores batch k-1; torch, the tokenizers and the Redis/SQL drivers
release the GIL while they work. The reader starts the next read only once the scorer has
taken the previous batch, so under load a batch fills from everything that piled up meanwhile.

Order of effects per batch: store first (idempotent by review id), then one Redis script that
acks, deletes and answers (FINISH_SCRIPT). A crash before the script means redelivery and the
store ignoring the duplicate; after it, nothing is left to redeliver. A review that fails is
not acked: it is delivered again (after claim_idle_ms) and, after max_deliveries, ends in the
dead-letter stream with an error verdict for its sender. Dead letters are finished first, in a
script call of their own, after one try at storing them: they never wait for the database.
"""

import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Protocol

import redis

from model import Classifier, Encoded
from reviewbot.messages import Verdict, utcnow
from reviewbot.protocol import RATE_KEY
from reviewbot.validation import InvalidReview, check_text, cut_text
from worker import metrics
from worker import stages as costs
from worker.batching import Collector
from worker.isolation import classify_isolated
from worker.leases import Leases
from worker.outage import Outage
from worker.settings import WorkerSettings
from worker.stream import Entry, Finish, ReviewStream

log = logging.getLogger(__name__)

RATE_SMOOTHING = 0.2
#: Seconds between heartbeats (refreshes of the worker's RATE_KEY entry) of a live worker.
HEARTBEAT_S = 1.0
STORE_RETRY_FIRST_S = 0.5


class VerdictStore(Protocol):
    """The part of storage.Store the worker needs."""

    def save_verdicts(self, verdicts: list[Verdict]) -> None: ...


@dataclass
class Batch:
    """One batch on its way through the stages."""

    #: Entries to classify and their tokens (None: tokenizing failed; isolate in the scorer).
    entries: list[Entry]
    encoded: Encoded | None
    #: Entries already decided (invalid text, malformed, too many deliveries).
    decided: list[Finish] = field(default_factory=list)
    classify_s: float = 0.0
    #: What encoding cost, per step (see model.Encoded), for the stage counters.
    cpu_s: dict[str, float] = field(default_factory=dict)
    wall_s: dict[str, float] = field(default_factory=dict)
    #: Entries the model failed on: entry id -> error (left pending for redelivery).
    failed: dict[str, str] = field(default_factory=dict)

    def entry_ids(self) -> list[str]:
        return [e.entry_id for e in self.entries] + [f.entry.entry_id for f in self.decided]


class Worker:
    def __init__(
        self,
        classifier: Classifier,
        stream: ReviewStream,
        settings: WorkerSettings,
        store: VerdictStore | None = None,
    ) -> None:
        self.classifier = classifier
        self.stream = stream
        self.settings = settings
        self.store = store
        self.leases = Leases(stream)
        self.collector = Collector(stream, settings, self.leases)
        self.stop = threading.Event()
        self._to_score: queue.Queue[Batch | None] = queue.Queue(maxsize=1)
        self._to_write: queue.Queue[Batch | None] = queue.Queue(maxsize=1)
        self._reader_slot = threading.Semaphore(1)
        self._rate = 0.0
        self._last_write = time.time()
        self._last_beat = float("-inf")
        self.last_loop = time.monotonic()
        self.answered = 0
        self.redis_outage = Outage("redis", settings.outage_log_every_s, log)
        self.database_outage = Outage("database", settings.outage_log_every_s, log)
        #: Why the database rejected a review's verdict (review id -> its reason), for the
        #: review's answer and dead letter if it keeps being rejected.
        self._unstored: dict[str, str] = {}

    # -- running ------------------------------------------------------------------------------
    def run(self) -> None:
        """Serve until `self.stop` is set; returns after the batches in flight are finished."""
        self.stream.join()
        self._heartbeat()
        metrics.MODEL.info({"version": self.classifier.version, "consumer": self.stream.consumer})
        self.leases.start()
        stages = [
            threading.Thread(target=self._score_stage, name="scorer"),
            threading.Thread(target=self._write_stage, name="writer"),
        ]
        for stage in stages:
            stage.start()
        log.info("worker %s serving %s", self.stream.consumer, self.classifier.version)
        try:
            self._read_stage()
        finally:
            self._to_score.put(None)
            for stage in stages:
                stage.join()
            self.leases.stop()
            try:
                self.stream.leave()
            except Exception as exc:  # noqa: BLE001 - Redis gone at exit: the name just lingers
                log.warning("could not leave the consumer group: %s", exc)
            log.info(
                "worker %s stopped after answering %d reviews", self.stream.consumer, self.answered
            )

    def health(self) -> dict:
        idle_s = time.monotonic() - self.last_loop
        limit_s = max(5.0, 3 * self.settings.block_ms / 1000)
        return {
            "ok": idle_s < limit_s and not self.stop.is_set(),
            "consumer": self.stream.consumer,
            "model_version": self.classifier.version,
            "seconds_since_loop": round(idle_s, 3),
            "answered": self.answered,
        }

    # -- reader -------------------------------------------------------------------------------
    def _read_stage(self) -> None:
        while not self.stop.is_set():
            self.last_loop = time.monotonic()
            metrics.mark_loop()
            self._heartbeat()
            if not self._reader_slot.acquire(timeout=self.settings.block_ms / 1000):
                continue
            entries: list[Entry] = []
            try:
                cpu, wall = time.thread_time(), time.perf_counter()
                entries = self.collector.collect()
                self.redis_outage.ok()
                if entries:  # an empty read only waited: no cost to count
                    costs.add(
                        {"read": time.thread_time() - cpu}, {"read": time.perf_counter() - wall}
                    )
                    self.leases.hold(e.entry_id for e in entries)
                    batch = self._prepare(entries)
                    costs.add(batch.cpu_s, batch.wall_s)
                    self._to_score.put(batch)
                    continue
            except redis.RedisError as exc:  # Redis restarting, say: what was read stays pending
                self.redis_outage.failed(exc)
                self.leases.release(e.entry_id for e in entries)
                self.stop.wait(1.0)
            except Exception:  # a bug: say where, keep serving
                log.exception("reading the review stream failed; retrying in 1 s")
                self.leases.release(e.entry_id for e in entries)
                self.stop.wait(1.0)
            self._reader_slot.release()

    def _prepare(self, entries: list[Entry]) -> Batch:
        """Sort out what needs no model, and tokenize the rest."""
        with costs.stage("read"):
            decided, todo = self._sort_out(entries)
        started = time.perf_counter()
        try:
            encoded = self.classifier.encode([e.review.text for e in todo]) if todo else None
        except Exception:  # isolated per review in the scorer
            log.exception("tokenizing a batch failed; isolating its reviews")
            encoded = None
        batch = Batch(todo, encoded, decided, classify_s=time.perf_counter() - started)
        if encoded is not None:
            batch.cpu_s, batch.wall_s = encoded.cpu_s, encoded.wall_s
        return batch

    def _sort_out(self, entries: list[Entry]) -> tuple[list[Finish], list[Entry]]:
        """(entries decided without the model: malformed, too many deliveries, invalid text;
        entries to classify)."""
        decided: list[Finish] = []
        todo: list[Entry] = []
        over = [
            e.entry_id for e in entries if e.review and e.deliveries > self.settings.max_deliveries
        ]
        last_errors = self.stream.last_errors(over)
        for entry in entries:
            if entry.review is None:
                decided.append(Finish(entry, dead_error=entry.problem))
            elif entry.deliveries > self.settings.max_deliveries:
                why = last_errors.get(entry.entry_id) or "the worker handling it stopped each time"
                error = f"delivered {entry.deliveries - 1} times without a verdict: {why}"
                decided.append(Finish(entry, self._refused(entry, error), dead_error=error))
            else:
                try:
                    check_text(entry.review.text, self.settings.max_review_chars)
                    todo.append(entry)
                except InvalidReview as exc:
                    decided.append(Finish(entry, self._refused(entry, exc.message)))
        return decided, todo

    def _refused(self, entry: Entry, error: str) -> Verdict:
        """The error verdict of a review, its text cut to the limit: what is stored and echoed
        (result key, reply, history row) of a refused text, not a copy of megabytes of it."""
        review = entry.review
        limit = self.settings.max_review_chars
        if isinstance(review.text, str) and len(review.text) > limit:
            review = review.model_copy(
                update={"text": cut_text(review.text, limit), "cut_from": len(review.text)}
            )
        return Verdict(review=review, error=error)

    # -- scorer -------------------------------------------------------------------------------
    def _score_stage(self) -> None:
        while (batch := self._to_score.get()) is not None:
            self._reader_slot.release()
            try:
                with costs.stage("forward"):
                    self._score(batch)
            except Exception:  # never lose the batch: its entries stay pending
                log.exception("scoring a batch failed unexpectedly")
                batch.failed.update({e.entry_id: "internal error" for e in batch.entries})
                batch.entries = []
            self._to_write.put(batch)
        self._to_write.put(None)

    def _score(self, batch: Batch) -> None:
        if not batch.entries:
            return
        started = time.perf_counter()
        texts = [e.review.text for e in batch.entries]
        try:
            if batch.encoded is None:
                raise RuntimeError("tokenization failed")
            outcomes = list(self.classifier.score(batch.encoded))
        except Exception:  # bisect to find the review at fault
            log.exception("a batch of %d failed; classifying it in halves", len(texts))
            outcomes = classify_isolated(self.classifier, texts)
        batch.classify_s += time.perf_counter() - started
        metrics.CLASSIFY_SECONDS.observe(batch.classify_s)
        metrics.BATCH_SIZE.observe(len(texts))
        if batch.encoded is not None:
            metrics.BATCH_TOKENS.observe(sum(batch.encoded.n_tokens))
        latency_ms = batch.classify_s * 1000
        # One time for the batch, like its latency: storage converts each distinct time once.
        classified_at = utcnow()
        for entry, outcome in zip(batch.entries, outcomes, strict=True):
            if isinstance(outcome, str):
                batch.failed[entry.entry_id] = outcome
            else:
                verdict = Verdict(
                    review=entry.review,
                    prediction=outcome,
                    latency_ms=latency_ms,
                    batch_size=len(texts),
                    classified_at=classified_at,
                )
                batch.decided.append(Finish(entry, verdict))
        batch.entries = []

    # -- writer -------------------------------------------------------------------------------
    def _write_stage(self) -> None:
        while (batch := self._to_write.get()) is not None:
            try:
                self._write(batch)
            except redis.RedisError as exc:  # entries stay pending and are redelivered
                self.redis_outage.failed(exc)
            except Exception:  # entries stay pending and are redelivered
                log.exception("writing a batch failed; its reviews will be redelivered")
            finally:
                self.leases.release(batch.entry_ids() + list(batch.failed))

    def _write(self, batch: Batch) -> None:
        if batch.failed:
            self.stream.record_errors(batch.failed)
        # Dead letters are final: their verdict gets one try at the history, then they are
        # finished whatever the database says. Held like the others, a row the database rejects
        # every time (or an outage) would keep them pending, and redelivered, forever; the
        # dead-letter stream keeps their record either way.
        dead = [f for f in batch.decided if f.dead_error]
        answered: list[Finish] = []
        if dead:
            with costs.stage("store"):
                self._store_once([f.verdict for f in dead if f.verdict])
            with costs.stage("finish"):
                answered += self.stream.finish(dead)
        finishes = [f for f in batch.decided if not f.dead_error]
        with costs.stage("store"):
            stored = self._store([f.verdict for f in finishes if f.verdict])
        self._record_unstored(batch)
        if stored is None:  # stopping while the database is down: leave the rest for redelivery
            finishes = []
        else:
            finishes = [f for f in finishes if not f.verdict or f.verdict.review.id in stored]
        with costs.stage("finish"):
            answered += self.stream.finish(finishes)
        self.answered += len(answered)
        self._observe(answered)

    def _store_once(self, verdicts: list[Verdict]) -> None:
        if self.store is None or not verdicts:
            return
        try:
            self.store.save_verdicts(verdicts)
        except Exception as exc:  # noqa: BLE001 - dead-lettered anyway, with their error
            log.error("%d dead-lettered verdicts could not be stored: %s", len(verdicts), exc)

    def _store(self, verdicts: list[Verdict]) -> set[str] | None:
        """Save `verdicts` in one transaction; the review ids stored, or None when stopping
        before the database came back."""
        ids = {v.review.id for v in verdicts}
        if self.store is None or not verdicts:
            return ids
        from storage import StoreUnavailable
        from storage.errors import reason_of

        delay = STORE_RETRY_FIRST_S
        while True:
            try:
                self.store.save_verdicts(verdicts)
                self.database_outage.ok()
                return ids
            except StoreUnavailable as exc:  # unreachable, or refusing every write alike
                metrics.STORE_RETRIES.inc()
                self.database_outage.failed(exc)
                log.info("holding %d acks, database retry in %.1f s", len(ids), delay)
            except Exception as exc:  # noqa: BLE001 - a row the database rejects must not sink the batch
                log.error(
                    "saving a batch failed (%s); saving its verdicts one by one", reason_of(exc)
                )
                return self._store_one_by_one(verdicts)
            if self.stop.wait(delay):
                return None
            delay = min(delay * 2, self.settings.store_retry_max_s)

    def _store_one_by_one(self, verdicts: list[Verdict]) -> set[str]:
        from storage.errors import reason_of

        stored = set()
        for verdict in verdicts:
            try:
                self.store.save_verdicts([verdict])
                stored.add(verdict.review.id)
            except Exception as exc:  # noqa: BLE001 - left pending, retried, then dead-lettered
                reason = reason_of(exc)
                self._unstored[verdict.review.id] = reason
                log.error("review %s could not be stored: %s", verdict.review.id, reason)
        return stored

    def _record_unstored(self, batch: Batch) -> None:
        """Record, for the entries of `batch` the database rejected last time, the database's
        reason: their dead letter and answer say it instead of "the worker stopped each time"."""
        if not self._unstored:
            return
        reasons = {
            f.entry.entry_id: f"could not be stored: {self._unstored[f.verdict.review.id]}"
            for f in batch.decided
            if f.verdict is not None and f.verdict.review.id in self._unstored
        }
        self._unstored.clear()
        self.stream.record_errors(reasons)

    def _observe(self, finishes: list[Finish]) -> None:
        """Count `finishes`, which this worker answered (never one another worker answered)."""
        now = utcnow()
        # Counted per batch, not per review: a labelled child's lookup and lock, taken for every
        # review, held 2.8% of a worker's GIL samples (py-spy, bench --profile-gil, null model).
        outcomes = {"ok": 0, "invalid": 0, "dead_letter": 0}
        for finish in finishes:
            if finish.dead_error:
                outcomes["dead_letter"] += 1
            elif finish.verdict is not None:
                outcomes["ok" if finish.verdict.ok else "invalid"] += 1
                waited = (now - finish.verdict.review.received_at).total_seconds()
                metrics.END_TO_END_SECONDS.observe(max(0.0, waited))
        if outcomes["dead_letter"]:
            metrics.DEAD_LETTERS.inc(outcomes["dead_letter"])
        for outcome, count in outcomes.items():
            if count:
                metrics.REVIEWS.labels(outcome).inc(count)
        self._update_rate(len(finishes))

    def _heartbeat(self) -> None:
        """Refresh the time of this worker's RATE_KEY entry, idle or busy, at most once per
        HEARTBEAT_S: front-ends count a fresh entry as a live worker (the HTTP API answers 503
        with none). Redis 6 cannot tell instead: a consumer's idle time in XINFO CONSUMERS
        grows while it blocks on an empty stream."""
        now = time.time()
        if now - self._last_beat < HEARTBEAT_S:
            return
        self._last_beat = now
        try:
            self.stream.redis.hset(RATE_KEY, self.stream.consumer, f"{self._rate:.1f} {now:.0f}")
        except Exception as exc:  # noqa: BLE001 - the read that follows reports Redis trouble
            log.debug("could not publish the heartbeat: %s", exc)

    def _update_rate(self, count: int) -> None:
        """Publish this worker's recent reviews/s, for the clients' "retry in N s" estimate."""
        now = time.time()
        elapsed = max(1e-3, now - self._last_write)
        self._last_write = now
        self._rate = (1 - RATE_SMOOTHING) * self._rate + RATE_SMOOTHING * count / elapsed
        try:
            self.stream.redis.hset(RATE_KEY, self.stream.consumer, f"{self._rate:.1f} {now:.0f}")
        except Exception as exc:  # noqa: BLE001 - only an estimate
            log.debug("could not publish the rate: %s", exc)
