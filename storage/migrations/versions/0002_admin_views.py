"""Views for the admin questions; the same figures (and types) on SQLite and Postgres.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: A prediction is low-confidence when p_positive is within this of its threshold. The slack
#: keeps binary floats (0.58 - 0.48 = 0.09999999999999998) on the side a person expects.
LOW_CONFIDENCE_BAND = 0.1 + 1e-9


def _day(column: str) -> str:
    """The UTC day of a timestamp as 'YYYY-MM-DD' text: one type and value on both databases."""
    if op.get_bind().dialect.name == "postgresql":
        return f"to_char({column}, 'YYYY-MM-DD')"
    return f"strftime('%Y-%m-%d', {column})"


def _views() -> dict[str, str]:
    received_day = _day("r.received_at")
    low = f"ABS(p.p_positive - p.threshold) <= {LOW_CONFIDENCE_BAND!r}"
    # CAST(... AS FLOAT) makes averages a double on Postgres (not NUMERIC) like SQLite's REAL.
    return {
        # Volume and positive rate of the served answers, per UTC day, language and platform.
        "daily_reviews": f"""
            SELECT {received_day} AS day,
                   COALESCE(r.language, 'unknown') AS language,
                   r.source AS platform,
                   COUNT(*) AS reviews,
                   COUNT(p.review_id) AS classified,
                   COUNT(r.error) AS failed,
                   SUM(CASE WHEN p.label = 'positive' THEN 1 ELSE 0 END) AS positive,
                   CAST(AVG(CASE WHEN p.label = 'positive' THEN 1.0
                                 WHEN p.label IS NOT NULL THEN 0.0 END) AS FLOAT) AS positive_rate
            FROM reviews r
            LEFT JOIN predictions p ON p.review_id = r.id AND p.served
            GROUP BY {received_day}, COALESCE(r.language, 'unknown'), r.source""",
        # Share of predictions close to the threshold, per day, language and model version
        # (served and re-scored alike: each version is judged on every review it scored).
        "daily_low_confidence": f"""
            SELECT {received_day} AS day,
                   COALESCE(r.language, 'unknown') AS language,
                   p.model_version,
                   COUNT(*) AS predictions,
                   SUM(CASE WHEN {low} THEN 1 ELSE 0 END) AS low_confidence,
                   CAST(AVG(CASE WHEN {low} THEN 1.0 ELSE 0.0 END) AS FLOAT) AS low_confidence_share
            FROM predictions p
            JOIN reviews r ON r.id = p.review_id
            GROUP BY {received_day}, COALESCE(r.language, 'unknown'), p.model_version""",
        # One row per piece of feedback, beside the answer the person was served.
        "feedback_vs_model": f"""
            SELECT f.review_id,
                   {received_day} AS day,
                   COALESCE(r.language, 'unknown') AS language,
                   r.source AS platform,
                   p.model_version,
                   p.p_positive,
                   p.label AS model_label,
                   f.label AS user_label,
                   f.user_id AS feedback_user_id,
                   CASE WHEN f.label <> p.label THEN 1 ELSE 0 END AS disagrees,
                   f.created_at AS feedback_at
            FROM feedback f
            JOIN reviews r ON r.id = f.review_id
            JOIN predictions p ON p.review_id = f.review_id AND p.served""",
        "daily_feedback_disagreement": """
            SELECT day, language, model_version,
                   COUNT(*) AS feedback,
                   SUM(disagrees) AS disagreements,
                   CAST(AVG(disagrees * 1.0) AS FLOAT) AS disagreement_rate
            FROM feedback_vs_model
            GROUP BY day, language, model_version""",
        # Every pair of model versions that scored the same review, in both orders, so
        # WHERE version_a = 'old' AND version_b = 'new' always finds them.
        "model_comparison": f"""
            SELECT a.review_id,
                   {received_day} AS day,
                   COALESCE(r.language, 'unknown') AS language,
                   a.model_version AS version_a,
                   b.model_version AS version_b,
                   a.p_positive AS p_a,
                   b.p_positive AS p_b,
                   a.label AS label_a,
                   b.label AS label_b,
                   CASE WHEN a.label = b.label THEN 1 ELSE 0 END AS same_label
            FROM predictions a
            JOIN predictions b ON b.review_id = a.review_id AND b.model_version <> a.model_version
            JOIN reviews r ON r.id = a.review_id""",
    }


def upgrade() -> None:
    for name, query in _views().items():
        op.execute(f"CREATE VIEW {name} AS {query}")


def downgrade() -> None:
    for name in reversed(list(_views())):
        op.execute(f"DROP VIEW {name}")
