"""The storage commands, run the way an admin runs them (on the embedded SQLite default)."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from reviewbot.cli import app
from reviewbot.messages import Label
from storage import migrate, open_store
from tests.storage.history import verdict

runner = CliRunner()


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh REVIEWBOT_HOME and no database URL: the commands use the SQLite default there."""
    monkeypatch.setenv("REVIEWBOT_HOME", str(tmp_path))
    monkeypatch.delenv("REVIEWBOT_DATABASE_URL", raising=False)
    monkeypatch.delenv("REVIEWBOT_STORAGE_SQL_URL", raising=False)
    return tmp_path


def invoke(*args: str):
    return runner.invoke(app, list(args))


def test_db_upgrade_then_current(home):
    assert invoke("db", "upgrade").exit_code == 0
    assert (home / "reviewbot.sqlite3").exists()
    result = invoke("db", "current")
    head = migrate.head_revision()
    assert result.exit_code == 0 and f"database: {head}; code: {head}" in result.output


def test_sql_prints_a_table_or_csv_and_refuses_writes(home):
    with open_store() as store:
        store.save_verdicts([verdict(0.9), verdict(0.2)])
    table = invoke(
        "sql", "SELECT label, COUNT(*) AS n FROM predictions GROUP BY label ORDER BY label"
    )
    assert table.exit_code == 0 and "negative" in table.output and "2 rows" in table.output
    as_csv = invoke(
        "sql", "--csv", "SELECT label, COUNT(*) AS n FROM predictions GROUP BY label ORDER BY label"
    )
    assert as_csv.output.splitlines() == ["label,n", "negative,1", "positive,1"]
    refused = invoke("sql", "DELETE FROM reviews")
    assert refused.exit_code == 2 and "read-only" in refused.output
    assert invoke("sql", "--csv", "SELECT COUNT(*) AS n FROM reviews").output.splitlines() == [
        "n",
        "2",
    ]


def test_forget_and_export_feedback(home):
    mine, theirs = verdict(0.9, user="42"), verdict(0.2, user="7")
    with open_store() as store:
        store.save_verdicts([mine, theirs])
        store.add_feedback(theirs.review.id, "7", Label.POSITIVE)
    result = invoke("forget", "--source", "telegram", "--user", "42")
    assert result.exit_code == 0 and "deleted 1 reviews" in result.output
    result = invoke("export-feedback", "--out", str(home / "fb.jsonl"))
    assert result.exit_code == 0 and "wrote 1 labelled reviews" in result.output
    assert json.loads((home / "fb.jsonl").read_text())["label"] == 1
    assert invoke("forget", "--source", "fax", "--user", "1").exit_code != 0


def test_drift_writes_its_report_where_asked(home):
    today = datetime.now(UTC)
    with open_store() as store:
        store.save_verdicts([verdict(0.8, at=today - timedelta(days=d)) for d in range(14)])
    result = invoke("drift", "--out", str(home / "drift"))
    assert result.exit_code == 0, result.output
    report = json.loads((home / "drift" / "report.json").read_text())
    assert report["overall"]["n_current"] == 7 and report["overall"]["n_reference"] == 7
    bad = invoke("drift", "--current", "2026-11-20")
    assert bad.exit_code != 0 and "FIRST..LAST" in bad.output


def test_an_unreachable_database_is_one_clear_line(home, monkeypatch):
    monkeypatch.setenv("REVIEWBOT_DATABASE_URL", "postgresql+psycopg://reviewbot@127.0.0.1:9/none")
    result = invoke("db", "upgrade")
    assert (
        result.exit_code == 1
        and "unavailable" in result.output
        and "Traceback" not in result.output
    )
