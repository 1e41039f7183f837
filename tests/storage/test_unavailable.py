"""An unreachable database raises StoreUnavailable (the worker retries and holds its acks); once it
is back the same Store writes again and nothing is lost."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from storage import StoreUnavailable, open_store
from storage.schema import ReviewRow
from tests.storage.history import verdict
from tests.storage.tcp_proxy import TcpProxy


@pytest.fixture
def proxied_database_url(database_url: str):
    """The migrated database reached through a proxy that the test can cut (Postgres only)."""
    url = make_url(database_url)
    proxy = TcpProxy(url.host, url.port or 5432)
    proxy.start()
    yield url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False), proxy
    proxy.stop()


@pytest.mark.parametrize("empty_database_url", ["postgres"], indirect=True)
def test_a_server_that_goes_away_and_comes_back(proxied_database_url):
    url, proxy = proxied_database_url
    store = open_store(url)
    first, second = [verdict(0.9), verdict(0.1)], [verdict(0.6)]
    store.save_verdicts(first)

    proxy.stop()
    with pytest.raises(StoreUnavailable, match="unavailable"):
        store.save_verdicts(second)
    with pytest.raises(StoreUnavailable):
        list(store.reviews_since(first[0].review.received_at))

    proxy.start()
    store.save_verdicts(second)  # the worker's retry of the held batch
    store.save_verdicts(first)  # and a redelivery: still no duplicates
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(ReviewRow)) == 3
    store.close()


def test_a_server_that_is_not_up_yet_opens_and_raises_on_use():
    store = open_store("postgresql+psycopg://reviewbot@127.0.0.1:9/none")  # port 9: nothing listens
    with pytest.raises(StoreUnavailable, match="127.0.0.1:9"):
        store.save_verdicts([verdict()])
    store.close()


def test_a_sqlite_file_that_cannot_be_opened(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(StoreUnavailable, match="unavailable"):
        open_store(f"sqlite:///{tmp_path / 'file' / 'history.sqlite3'}")
