"""When the API must say no: no live worker (503), a full queue (429 + Retry-After), API keys
off on loopback and required elsewhere, a key over its rate (429), and keys never in logs."""

import logging
import time

import httpx
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from api.keys import hash_key
from api.settings import ApiSettings, is_loopback
from frontend.client import retry_after
from frontend.texts import sentence
from reviewbot.messages import Review, Source
from reviewbot.protocol import RATE_KEY, review_fields
from reviewbot.settings import StreamSettings
from reviewbot.validation import Busy
from tests.api.conftest import warm_up
from tests.api.helpers import api_settings, beat, until


def test_without_a_live_worker_readyz_and_requests_answer_503_and_nothing_is_queued(
    spare_redis, api_server
):
    url, client = spare_redis
    # A worker killed long ago left its heartbeat behind: stale, so not a live worker.
    client.hset(RATE_KEY, "dead-worker", f"50.0 {time.time() - 3600:.0f}")
    with api_server(url) as base, httpx.Client(base_url=base, timeout=180) as http:
        ready = http.get("/readyz")
        single = http.post("/v1/reviews", json={"text": "Lovely."})
        batch = http.post("/v1/reviews/batch", json={"texts": ["Lovely.", "Dull."]})
        old = http.post("/predict_single", json={"text": "Lovely."})
        empty = http.post("/v1/reviews", json={"text": ""})
    for answer in (ready, single, batch, old):
        assert answer.status_code == 503
        assert answer.json()["detail"] == sentence("no_worker")
    assert empty.status_code == 422  # a bad review is still told what is wrong with it
    assert client.xlen(StreamSettings().stream) == 0


def test_a_real_worker_is_seen_alive_by_its_heartbeat_and_gone_once_it_stops(
    api_server, running_worker, redis_url
):
    with api_server(redis_url) as base, httpx.Client(base_url=base, timeout=180) as http:
        assert http.get("/readyz").status_code == 503
        with running_worker():
            warm_up(redis_url)
            until(lambda: http.get("/readyz").status_code == 200, "the worker's heartbeat")
            time.sleep(1.5)  # idle for more than a heartbeat: still alive
            assert http.get("/readyz").json()["workers"] == 1
            assert http.post("/v1/reviews", json={"text": "Fine film."}).status_code == 200
        until(lambda: http.get("/readyz").status_code == 503, "the stopped worker to be gone")


def test_a_full_queue_is_429_with_retry_after_and_a_full_batch_too(spare_redis, api_server):
    url, client = spare_redis
    stream = StreamSettings(max_concurrent_requests=3)
    for _ in range(3):  # three reviews waiting for a worker that is stuck but alive
        client.xadd(stream.stream, review_fields(Review(text="queued", source=Source.API)))
    beat(client)
    with (
        api_server(url, stream_settings=stream) as base,
        httpx.Client(base_url=base, timeout=180) as http,
    ):
        single = http.post("/v1/reviews", json={"text": "One more."})
        batch = http.post("/v1/reviews/batch", json={"texts": ["a", "b"]})
    expected = retry_after(3, client.hgetall(RATE_KEY))
    for answer in (single, batch):
        assert answer.status_code == 429
        assert answer.headers["Retry-After"] == str(expected)
        assert answer.json()["detail"] == Busy(expected, 3).message
        assert answer.json()["retry_after_s"] == expected
    assert client.xlen(stream.stream) == 3


def test_keys_are_off_on_loopback_and_required_on_any_other_address():
    assert not ApiSettings(host="127.0.0.1").keys_required()
    assert not ApiSettings(host="localhost").keys_required()
    assert not ApiSettings(host="::1").keys_required()
    assert ApiSettings(host="0.0.0.0").keys_required()
    assert ApiSettings(host="192.168.1.20").keys_required()
    assert ApiSettings(host="api.example.org").keys_required()
    assert ApiSettings(host="127.0.0.1", require_keys=True).keys_required()
    assert is_loopback("127.0.0.2") and not is_loopback("::")


@pytest.fixture
def make_key(history):
    from api.keys import new_key

    def make(name: str = "ci", rate_limit: int | None = None) -> str:
        key = new_key()
        history.add_api_key(key.id, name, key.key_hash, key.prefix, rate_limit)
        return key.secret

    return make


def test_with_keys_required_a_request_needs_a_valid_unrevoked_key(
    stack, api_server, make_key, history, caplog
):
    caplog.set_level(logging.DEBUG)
    secret = make_key("service")
    settings = api_settings(require_keys=True, key_cache_s=0)
    with (
        api_server(stack.redis_url, settings) as base,
        httpx.Client(base_url=base, timeout=180) as http,
    ):
        missing = http.post("/v1/reviews", json={"text": "Good."})
        wrong = http.post(
            "/v1/reviews", json={"text": "Good."}, headers={"Authorization": "Bearer rb_nope"}
        )
        bearer = http.post(
            "/v1/reviews", json={"text": "Good."}, headers={"Authorization": f"Bearer {secret}"}
        )
        header = http.get(f"/v1/reviews/{bearer.json()['id']}", headers={"X-API-Key": secret})
        open_routes = [http.get(path).status_code for path in ("/", "/healthz", "/readyz")]
        key_id = history.api_key_by_hash(hash_key(secret)).id
        assert history.revoke_api_key(key_id)
        revoked = http.post(
            "/v1/reviews", json={"text": "Good."}, headers={"Authorization": f"Bearer {secret}"}
        )
    assert missing.status_code == 401 and missing.json()["detail"] == sentence("key_required")
    assert wrong.status_code == 401 and wrong.json()["detail"] == sentence("key_invalid")
    assert bearer.status_code == 200 and header.status_code == 200
    assert open_routes == [200, 200, 200]
    assert revoked.status_code == 401
    assert 'POST /v1/reviews HTTP/1.1" 401' in caplog.text  # the access log was captured
    assert secret not in caplog.text


def test_a_key_over_its_rate_gets_429_with_retry_after(stack, api_server, make_key):
    secret = make_key("tight", rate_limit=2)
    settings = api_settings(require_keys=True, rate_window_s=30)
    headers = {"Authorization": f"Bearer {secret}"}
    with (
        api_server(stack.redis_url, settings) as base,
        httpx.Client(base_url=base, timeout=180) as http,
    ):
        answers = [
            http.post("/v1/reviews", json={"text": "Good.", "wait_s": 0}, headers=headers)
            for _ in range(3)
        ]
    assert [a.status_code for a in answers] == [202, 202, 429]
    retry = int(answers[2].headers["Retry-After"])
    assert 1 <= retry <= 30
    assert answers[2].json()["detail"] == sentence("rate_limited", seconds=retry)


def test_api_keys_commands_create_list_and_revoke_with_only_the_hash_stored(tmp_path, monkeypatch):
    from reviewbot.cli import app
    from storage import open_store

    database = f"sqlite:///{tmp_path / 'keys.sqlite3'}"
    monkeypatch.setenv("REVIEWBOT_DATABASE_URL", database)
    monkeypatch.setenv("REVIEWBOT_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    created = runner.invoke(app, ["api-keys", "create", "partner", "--rate-limit", "50"])
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("rb_") and len(secret) > 40
    listed = runner.invoke(app, ["api-keys", "list"])
    assert "partner" in listed.stdout and secret[:9] in listed.stdout
    assert secret not in listed.stdout
    with open_store(database) as store:
        (key,) = store.api_keys()
        with store.session() as session:
            stored = session.execute(text("SELECT key_hash FROM api_keys")).scalar_one()
    assert stored != secret and len(stored) == 64 and key.rate_limit == 50
    revoked = runner.invoke(app, ["api-keys", "revoke", key.id])
    assert revoked.exit_code == 0
    again = runner.invoke(app, ["api-keys", "revoke", key.id])
    assert again.exit_code == 1 and "no active key" in again.output
    assert "partner" not in runner.invoke(app, ["api-keys", "list"]).stdout
