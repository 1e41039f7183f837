"""Settings of the HTTP API room (prefix REVIEWBOT_API_)."""

import ipaddress

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings

from reviewbot.settings import room_config


class ApiSettings(BaseSettings):
    model_config = room_config("REVIEWBOT_API_")

    #: Address `reviewbot api` listens on. A loopback address (the demo) needs no API key;
    #: any other address requires one on every route but the page, /healthz, /readyz, /metrics.
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    #: Force API keys on (True) or off (False); unset: required exactly when `host` is not loopback.
    require_keys: bool | None = None
    #: Most texts in one POST /v1/reviews/batch or /predict_batch.
    batch_max_texts: int = Field(64, ge=1)
    #: Largest request body in bytes; a larger one gets 413 before it is read. 2 MiB holds a
    #: full batch (64 texts of 4,000 characters even with every character JSON-escaped as
    #: "\\uXXXX": 1.5 MiB).
    max_body_bytes: int = Field(2_097_152, ge=1024)
    #: How long a request waits for its verdict when it does not say (`wait_s`), in seconds.
    #: The tiny CPU worker answers in ~10-50 ms and e5-small in ~0.1-0.3 s under light load.
    default_wait_s: float = Field(10.0, ge=0)
    #: Longest `wait_s` a request may ask for; longer asks are cut to this.
    max_wait_s: float = Field(60.0, ge=0)
    #: Requests per key per window (`rate_window_s`); a key's own limit overrides it; 0 turns it off.
    rate_limit: int = Field(600, ge=0)
    rate_window_s: float = Field(60.0, gt=0)
    #: A worker whose heartbeat (once a second, reviewbot.protocol.RATE_KEY) is older than this
    #: counts as gone: /readyz and requests answer 503 when no worker is left. Ten missed beats:
    #: a busy CPU worker's reader can wait a few seconds for the model between two beats.
    worker_fresh_s: float = Field(10.0, gt=0)
    #: Seconds a key found in the database is trusted without asking again (a revoked key keeps
    #: working this long at most).
    key_cache_s: float = Field(5.0, ge=0)
    #: Seconds a review's "submitted" marker lives (GET answers "pending" meanwhile, and a
    #: retried POST with the same Idempotency-Key is not queued twice). Like the result keys.
    pending_ttl_s: int = Field(600, ge=1)

    @model_validator(mode="after")
    def _wait_bounds(self) -> "ApiSettings":
        if self.default_wait_s > self.max_wait_s:
            raise ValueError("default_wait_s must not exceed max_wait_s")
        return self

    def keys_required(self) -> bool:
        if self.require_keys is not None:
            return self.require_keys
        return not is_loopback(self.host)


def is_loopback(host: str) -> bool:
    """Whether `host` only accepts connections from this machine ("localhost", 127.x, ::1)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
