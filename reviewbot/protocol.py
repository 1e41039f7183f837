"""How reviews and verdicts are laid out in Redis; the one place that names the keys.

- review stream entry: {"review": Review JSON}
- reply stream entry (Review.reply_to): {REPLY_ID_FIELD: review id, REPLY_VERDICT_FIELD: Verdict
  JSON}, written by the worker's finish script, read by frontend.replies
- result key `reviewbot:result:<review id>`: Verdict JSON, expires after result_ttl_s
- done key `reviewbot:done:<review id>`: a list one waiter can block on (BLPOP) instead of polling
- dead-letter entry: {"review_id", "entry": the original fields as JSON, "error", "deliveries"}
"""

from reviewbot.messages import Review, Verdict

RESULT_PREFIX = "reviewbot:result:"
DONE_PREFIX = "reviewbot:done:"
#: Hash of consumer -> "reviews/s unix-time": the workers' recent rates, for the "retry in N s"
#: estimate of a busy queue.
RATE_KEY = "reviewbot:worker:rates"
#: A rate older than this many seconds belongs to a worker that stopped; it is ignored.
RATE_FRESH_S = 30


def result_key(review_id: str) -> str:
    return RESULT_PREFIX + review_id


def done_key(review_id: str) -> str:
    return DONE_PREFIX + review_id


def review_fields(review: Review) -> dict[str, str]:
    return {"review": review.model_dump_json()}


def parse_review(fields: dict[str, str]) -> Review:
    """The review of a stream entry; ValueError when the entry is not one."""
    if "review" not in fields:
        raise ValueError(f"stream entry has no 'review' field (fields: {sorted(fields)})")
    return Review.model_validate_json(fields["review"])


REPLY_ID_FIELD = "review_id"
REPLY_VERDICT_FIELD = "verdict"


def parse_reply(fields: dict[str, str]) -> Verdict:
    """The verdict of a reply stream entry; ValueError when the entry is not one."""
    if REPLY_VERDICT_FIELD not in fields:
        raise ValueError(
            f"reply entry has no {REPLY_VERDICT_FIELD!r} field (fields: {sorted(fields)})"
        )
    return parse_verdict(fields[REPLY_VERDICT_FIELD])


def parse_verdict(payload: str) -> Verdict:
    return Verdict.model_validate_json(payload)


def total_rate(rates: dict[str, str], now: float) -> float:
    """Sum of the fresh per-worker rates in RATE_KEY."""
    total = 0.0
    for value in rates.values():
        rate, _, at = value.partition(" ")
        if at and now - float(at) <= RATE_FRESH_S:
            total += float(rate)
    return total


#: Hash of entry id -> the last error that kept it from a verdict, quoted in its dead letter.
ERRORS_KEY = "reviewbot:errors"
