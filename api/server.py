"""Serving the app with uvicorn: `reviewbot api`, the demo, the tests and the benchmark."""

import logging
import threading
import time
from typing import Self

import uvicorn

from api.app import create_app
from api.settings import ApiSettings

log = logging.getLogger(__name__)


def serve(settings: ApiSettings | None = None) -> None:
    """Serve until SIGINT/SIGTERM (uvicorn finishes the requests in flight first)."""
    settings = settings or ApiSettings()
    log.info(
        "ReviewBot API on http://%s:%d/ (API keys %s)",
        settings.host,
        settings.port,
        "required" if settings.keys_required() else "off",
    )
    # uvicorn's access log prints method, path and status, never headers: keys stay out of it.
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None)


class BackgroundServer:
    """The app in a uvicorn server on a thread of this process, on an ephemeral port when
    `settings.port` is 0. `with BackgroundServer(app, settings) as server: server.url`."""

    def __init__(
        self,
        app,
        settings: ApiSettings,
        start_timeout_s: float = 60.0,
        access_log: bool = False,
    ) -> None:
        config = uvicorn.Config(
            app, host=settings.host, port=settings.port, log_config=None, access_log=access_log
        )
        self.server = uvicorn.Server(config)
        self.start_timeout_s = start_timeout_s
        self.thread = threading.Thread(target=self.server.run, name="api-server", daemon=True)
        self.url = ""

    def __enter__(self) -> Self:
        self.thread.start()
        deadline = time.monotonic() + self.start_timeout_s
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the API server did not start")
            time.sleep(0.02)
        host, port = self.server.servers[0].sockets[0].getsockname()[:2]
        self.url = f"http://{host}:{port}"
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
